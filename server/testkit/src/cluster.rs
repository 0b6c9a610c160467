//! A PostgreSQL cluster of a test's own: for TLS, and for stopping the
//! database under a running server.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL cluster of a test's own on 127.0.0.1:`port`, that it may
/// stop and start; with `tls`, it accepts TLS connections only. Stopped
/// when dropped. Needs PostgreSQL's `initdb` and `pg_ctl`, and `openssl`
/// for TLS.
pub struct Cluster {
    dir: tempfile::TempDir,
    pub port: u16,
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

impl Cluster {
    pub fn start(tls: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if tls {
            make_certificates(dir.path(), "server");
            make_certificates(dir.path(), "other");
        }
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
        let mut conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{dir}'\n",
            dir = dir.path().display()
        );
        let hba = if tls {
            conf += &format!(
                "ssl = on\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\n",
                dir = dir.path().display()
            );
            "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n"
        } else {
            "host all all 127.0.0.1/32 trust\n"
        };
        append(&data.join("postgresql.conf"), &conf);
        std::fs::write(data.join("pg_hba.conf"), hba).unwrap();
        if is_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(dir.path()));
        }
        let cluster = Self { dir, port };
        cluster.start_again();
        cluster
    }

    /// Starts the stopped cluster, waiting until it accepts connections.
    pub fn start_again(&self) {
        run(as_postgres("pg_ctl")
            .args(["-w", "-t", "30", "-l"])
            .arg(self.dir.path().join("log"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("start"));
    }

    /// Stops the cluster as a crash would (`immediate`: no checkpoint,
    /// connections cut).
    pub fn stop(&self) {
        run(as_postgres("pg_ctl")
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop"));
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn url(&self, params: &str) -> String {
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

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .output();
    }
}
