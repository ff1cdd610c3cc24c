//! Commitment 1: with a certificate the server completes TLS 1.2 and TLS 1.3 handshakes, sends
//! HSTS over them, and refuses TLS 1.1.

use std::sync::Arc;

use crate::support::{pki::TestPki, TestApp};
use rustls::{pki_types::ServerName, ClientConfig, RootCertStore, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

/// A fresh authority and certificate for one test.
fn make_pki(name: &str) -> TestPki {
    TestPki::write_to(std::env::temp_dir().join(format!("ops-tls-{}-{name}", std::process::id())))
}

async fn spawn_tls(pki: &TestPki) -> TestApp {
    let cert = pki.dir.join("cert.pem");
    let key = pki.dir.join("key.pem");
    TestApp::spawn_with(&[
        ("OPS_TLS_CERT_FILE", cert.to_str().unwrap()),
        ("OPS_TLS_KEY_FILE", key.to_str().unwrap()),
    ])
    .await
}

/// Handshakes with only `version` offered, then asks for `/healthz` over the connection.
async fn get_over(
    app: &TestApp,
    pki: &TestPki,
    version: &'static SupportedProtocolVersion,
) -> (rustls::ProtocolVersion, String) {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect("handshake completes");
    let negotiated = tls.get_ref().1.protocol_version().unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    (negotiated, response)
}

#[tokio::test]
async fn tls_1_2_and_1_3_handshakes_complete() {
    let pki = make_pki("handshakes");
    let app = spawn_tls(&pki).await;
    for (offered, expected) in [
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
    ] {
        let (negotiated, response) = get_over(&app, &pki, offered).await;
        assert_eq!(negotiated, expected);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        let lower = response.to_ascii_lowercase();
        assert!(
            lower.contains("strict-transport-security: max-age=31536000; includesubdomains"),
            "{response}"
        );
    }
}

/// A TLS 1.1 ClientHello, written out by hand because no maintained client library still speaks
/// TLS 1.1: client_version 3.2, two TLS 1.1 cipher suites, no extensions.
fn tls_1_1_client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x02]; // client_version TLS 1.1
    body.extend([0x42; 32]); // random
    body.push(0); // session id: empty
    body.extend([0x00, 0x04, 0xc0, 0x13, 0x00, 0x2f]); // ECDHE_RSA_AES128_CBC_SHA, RSA_AES128_CBC_SHA
    body.extend([0x01, 0x00]); // compression: null
    let mut handshake = vec![0x01]; // ClientHello
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01]; // handshake record
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

#[tokio::test]
async fn tls_1_1_is_refused() {
    let pki = make_pki("tls11");
    let app = spawn_tls(&pki).await;
    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    tcp.write_all(&tls_1_1_client_hello()).await.unwrap();
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tcp.read_to_end(&mut reply),
    )
    .await;
    assert!(!reply.is_empty(), "the server answers with an alert");
    assert_eq!(
        reply[0], 0x15,
        "an alert record, never a ServerHello: {reply:02x?}"
    );
    assert_eq!(reply[5], 2, "a fatal alert: {reply:02x?}");
    // rustls answers a hello without TLS 1.2+ support with handshake_failure (40); other stacks
    // send protocol_version (70). Either way the handshake ends there.
    assert!(matches!(reply[6], 40 | 70), "a refusal alert: {reply:02x?}");
    assert_eq!(reply.len(), 7, "nothing follows the alert: {reply:02x?}");
}
