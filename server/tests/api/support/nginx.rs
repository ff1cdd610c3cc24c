//! Debian's nginx as the TLS proxy in front of a test server, as the README expects in
//! production: it terminates TLS with a throwaway certificate and passes requests on over plain
//! HTTP with `X-Forwarded-For`. Each proxy is its own process, with its own configuration and
//! files in a folder of its own, on a free port, stopped when dropped.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use super::pki::TestPki;

/// The address nginx connects to the app from (`proxy_bind`): all of 127.0.0.0/8 is this
/// machine, so the proxy, the app and each test client can each have an address of their own.
pub const PROXY_ADDR: &str = "127.0.0.3";

pub struct Nginx {
    /// Where clients reach the proxy, such as `https://127.0.0.1:41234`.
    pub base: String,
    dir: PathBuf,
    ca_pem: String,
    process: Child,
}

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("nginx is missing (Debian package nginx; scripts/tools.sh installs it)")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Nginx {
    /// Starts nginx in front of the app listening on `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("ops-nginx-{}-{port}", std::process::id()));
        let pki = TestPki::write_to(dir.clone());

        let d = dir.display();
        // One process in the foreground (no master, no workers to switch user), every file it
        // writes inside `dir`.
        let conf = format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {d}/cert.pem;
        ssl_certificate_key {d}/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_bind {PROXY_ADDR};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"#
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let process = Command::new(nginx_binary())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Self {
            base: format!("https://127.0.0.1:{port}"),
            dir,
            ca_pem: pki.ca_pem,
            process,
        };
        nginx.wait_until_listening(port).await;
        nginx
    }

    async fn wait_until_listening(&self, port: u16) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if tokio::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                panic!("nginx did not start listening on {port}: {log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// An HTTPS client that trusts this proxy's certificate and connects from `from`, sending
    /// `headers` with every request.
    pub fn client(&self, from: &str, headers: &[(&'static str, &str)]) -> reqwest::Client {
        client_from(from, headers)
            .add_root_certificate(reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).unwrap())
            .build()
            .unwrap()
    }
}

/// A client builder that connects from the local address `from`, sending `headers` with every
/// request and following no redirects.
pub fn client_from(from: &str, headers: &[(&'static str, &str)]) -> reqwest::ClientBuilder {
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().unwrap());
    }
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .default_headers(map)
        .redirect(reqwest::redirect::Policy::none())
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
