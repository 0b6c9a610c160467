//! TLS to PostgreSQL, against a throw-away cluster of the test's own with
//! `ssl=on` and a certificate it makes: `sslmode` is honoured, and a TLS
//! failure is a configuration error reported at start, not an outage
//! waited out. Needs PostgreSQL's `initdb`, `pg_ctl` and `openssl`.

use app::server::db::Db;
use server::config::Settings;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A cluster that accepts only TLS connections on 127.0.0.1:`port`,
/// stopped when dropped.
struct TlsCluster {
    dir: tempfile::TempDir,
    port: u16,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// PostgreSQL refuses to run as root: then the cluster is the `postgres`
/// user's.
fn as_postgres(program: &str) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--", program]);
        cmd
    } else {
        Command::new(program)
    }
}

/// A certificate authority and a server certificate for 127.0.0.1 and
/// localhost that it signed, in `dir` as `<name>-ca.crt`, `server.crt`
/// and `server.key`.
fn make_certificates(dir: &Path, name: &str) {
    let ca_key = dir.join(format!("{name}-ca.key"));
    let ca = dir.join(format!("{name}-ca.crt"));
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec"])
        .args([
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN=autobank test CA {name}"),
            "-keyout",
        ])
        .arg(&ca_key)
        .arg("-out")
        .arg(&ca));
    if name != "server" {
        return;
    }
    let key = dir.join("server.key");
    let csr = dir.join("server.csr");
    run(Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&csr));
    let ext = dir.join("server.ext");
    std::fs::write(&ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(&ca)
        .arg("-CAkey")
        .arg(&ca_key)
        .arg("-CAcreateserial")
        .arg("-extfile")
        .arg(&ext)
        .arg("-out")
        .arg(dir.join("server.crt")));
}

impl TlsCluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path(), "server");
        make_certificates(dir.path(), "other");
        let data = dir.path().join("data");
        if is_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(dir.path()));
        }
        run(as_postgres("initdb")
            .args(["-U", "postgres", "--auth=trust", "-D"])
            .arg(&data));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{dir}'\n\
             ssl = on\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\n",
            dir = dir.path().display()
        );
        append(&data.join("postgresql.conf"), &conf);
        std::fs::write(
            data.join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        if is_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(dir.path()));
        }
        run(as_postgres("pg_ctl")
            .args(["-w", "-t", "30", "-l"])
            .arg(dir.path().join("log"))
            .arg("-D")
            .arg(&data)
            .arg("start"));
        Self { dir, port }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn url(&self, params: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?{params}",
            self.port
        )
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .output();
    }
}

fn settings(url: String) -> Settings {
    Settings {
        database_url: url,
        data_dir: "unused".into(),
        secret_key: None,
        trusted_proxies: vec![],
        log_format: server::config::LogFormat::Text,
        limits: Default::default(),
    }
}

#[tokio::test]
#[ignore = "starts a PostgreSQL cluster of its own: make test-postgres runs it"]
async fn tls_to_postgresql_is_verified_and_its_failures_stop_the_start() {
    let cluster = TlsCluster::start();
    let root = cluster.file("server-ca.crt");

    let verified = cluster.url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        root.display()
    ));
    let db = Db::connect(&verified)
        .await
        .expect("verify-full with the right root");
    let on_tls: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(on_tls, "the connection is encrypted");
    db.close().await;
    Db::connect(&cluster.url("sslmode=require"))
        .await
        .expect("require");
    Db::connect(&cluster.url("sslmode=prefer"))
        .await
        .expect("prefer uses TLS");

    // A certificate from another authority: refused at once, not retried.
    let other = cluster.file("other-ca.crt");
    let wrong = cluster.url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        other.display()
    ));
    let started = tokio::time::timeout(
        Duration::from_secs(10),
        server::startup::open_database(&settings(wrong)),
    )
    .await
    .expect("a TLS failure is not waited out");
    let err = started.expect_err("the start fails").to_string();
    assert!(err.contains("TLS") && err.contains("sslrootcert"), "{err}");

    // Without TLS the cluster refuses: an error too, never plain text.
    assert!(Db::connect(&cluster.url("sslmode=disable")).await.is_err());
}
