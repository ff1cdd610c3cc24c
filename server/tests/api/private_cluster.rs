//! Commitment 2: the private PostgreSQL cluster the run command starts listens on no TCP address
//! at all, only on a Unix socket its owner alone may use, and flushes its writes to disk.

use std::{path::PathBuf, process::Command};

use sqlx::{Connection, PgConnection};

fn pg_script(args: &[&str]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh");
    let out = Command::new(script)
        .args(args)
        .output()
        .expect("scripts/pg.sh runs");
    assert!(
        out.status.success(),
        "pg.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

struct Cluster(String);

impl Drop for Cluster {
    fn drop(&mut self) {
        pg_script(&["stop", &self.0]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_private_cluster_listens_only_on_its_own_socket() {
    // Not a mkdtemp folder: the cluster runs as the postgres user, which must be able to enter it.
    let dir = std::env::temp_dir().join(format!("ops-pg-{}", std::process::id()));
    let dir = dir.to_str().unwrap().to_string();
    let url = pg_script(&["start", &dir]);
    let _cluster = Cluster(dir.clone());
    assert!(
        url.contains(&format!("host={dir}")),
        "connects through the socket: {url}"
    );

    let mut conn = PgConnection::connect(&url)
        .await
        .expect("socket connection");
    let show = |name: &'static str| format!("show {name}");
    let listen: String = sqlx::query_scalar(&show("listen_addresses"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(listen, "", "no TCP listener at all");
    let perms: String = sqlx::query_scalar(&show("unix_socket_permissions"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(perms, "0700");
    let socket_dir: String = sqlx::query_scalar(&show("unix_socket_directories"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(socket_dir, dir);
    // The run command's data outlives a power cut: only the test suite's throwaway clusters
    // may skip flushing writes to disk.
    let fsync: String = sqlx::query_scalar(&show("fsync"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(fsync, "on");

    // Starting it again reuses the running cluster.
    assert_eq!(pg_script(&["start", &dir]), url);
}
