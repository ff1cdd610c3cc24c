//! A throwaway certificate authority and a server certificate for 127.0.0.1 signed by it, made
//! fresh for each test that speaks TLS (the server's own, or a proxy's in front of it).

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::CertificateDer;

pub struct TestPki {
    /// Holds `cert.pem` and `key.pem`.
    pub dir: PathBuf,
    /// The authority, for clients to trust.
    pub ca: CertificateDer<'static>,
    pub ca_pem: String,
}

impl TestPki {
    /// Makes the authority and the certificate, and writes the certificate and its key into
    /// `dir` (created if missing).
    pub fn write_to(dir: PathBuf) -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
        Self {
            dir,
            ca: ca.der().clone(),
            ca_pem: ca.pem(),
        }
    }
}
