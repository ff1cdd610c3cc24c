//! Starts the real application on a free port against a fresh PostgreSQL database of its own.

pub mod browser;
pub mod fake_sendgrid;
pub mod logs;
pub mod nginx;
pub mod orgs;
pub mod pki;
pub mod wait;

use std::{collections::HashMap, net::SocketAddr};

use server::{config::Config, startup::Application};
use sqlx::{Connection, PgConnection};
use tokio::{sync::oneshot, task::JoinHandle};
use url::Url;

/// Anthropic's stand-in on a free port, answering at once to `key`; its address.
pub async fn anthropic_standin(key: &str) -> (server::standins::anthropic::Anthropic, String) {
    let (ai, addr) = server::standins::anthropic::Anthropic::start(
        server::standins::anthropic::Options {
            key: key.into(),
            delay: std::time::Duration::ZERO,
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    (ai, format!("http://{addr}"))
}

/// The server tests create their databases on: `TEST_DATABASE_URL`, else `DATABASE_URL`, else
/// the machine's PostgreSQL on 127.0.0.1.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test and is dropped with it, owned by `ops_owner` as in
/// every deployment.
pub struct TestDb {
    pub name: String,
    /// As the superuser, for tests to look past row-level security at what was written.
    pub url: String,
    /// As `ops_owner`, which runs the migrations.
    pub owner_url: String,
    /// As `ops_app`, the application's role.
    pub app_url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let admin = admin_url();
        let name = format!("ops_test_{:016x}", rand_u64());
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("connect to the test server");
        sqlx::raw_sql(include_str!("../../../../scripts/roles.sql"))
            .execute(&mut conn)
            .await
            .expect("create the database roles");
        sqlx::query(&format!("create database {name} owner ops_owner"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let url_as = |user: Option<&str>| {
            let mut url = Url::parse(&admin).expect("admin URL parses");
            url.set_path(&name);
            if let Some(user) = user {
                url.set_username(user).unwrap();
                url.set_password(None).unwrap();
            }
            url.to_string()
        };
        Self {
            url: url_as(None),
            owner_url: url_as(Some("ops_owner")),
            app_url: url_as(Some("ops_app")),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any async context we could borrow, so clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

pub fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), server::startup::StartupError>>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the app with extra configuration variables on top of the test defaults.
    pub async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        logs::capture();
        let db = TestDb::create().await;
        let mut env: HashMap<String, String> = [
            ("OPS_ENV", "development"),
            ("DATABASE_URL", db.app_url.as_str()),
            ("OPS_MIGRATION_DATABASE_URL", db.owner_url.as_str()),
            ("OPS_BIND", "127.0.0.1:0"),
            ("OPS_PUBLIC_URL", "http://ops.test"),
            ("OPS_SECURITY_CONTACT", "security@ops.test"),
            ("OPS_SECURITY_UPDATED", "2026-11-01"),
            (
                "OPS_SITE_ROOT",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config =
            Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration is valid");
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };

        let app = Application::build(config)
            .await
            .expect("application builds");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            base: format!("{scheme}://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            db,
            stop: Some(stop),
            server: Some(server),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request sent")
    }

    /// Asks the server to stop (as SIGTERM does), without waiting.
    pub fn begin_shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Asks the server to stop and waits until it has.
    pub async fn shut_down(mut self) -> Result<(), server::startup::StartupError> {
        self.begin_shut_down();
        self.server.take().unwrap().await.expect("server task")
    }
}
