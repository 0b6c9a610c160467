//! A release binary (the portal, or the Leptos "hello" reference) running
//! in its own process, as deployed, on a port of its own.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Served {
    child: Child,
    pub addr: SocketAddr,
    /// From exec to the first 200 on `probe`.
    pub cold_start: Duration,
}

impl Served {
    /// Starts `command` on a free port (`LEPTOS_SITE_ADDR`) and waits for a
    /// 200 on `probe`, asking every 2 ms over a new connection.
    pub async fn start(mut command: Command, probe: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let started = Instant::now();
        let child = command
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts");
        let mut served = Self {
            child,
            addr,
            cold_start: Duration::ZERO,
        };
        let deadline = started + Duration::from_secs(30);
        loop {
            if status_of(addr, probe).await == Some(200) {
                break;
            }
            if let Ok(Some(status)) = served.child.try_wait() {
                panic!("the server exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        served.cold_start = started.elapsed();
        served
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> f64 {
        rss_kib(self.pid()) as f64 / 1024.0
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The status of one `GET path` on a new connection, or `None` when
/// nothing answers.
pub async fn status_of(addr: SocketAddr, path: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// Where a portal process keeps its data: a fresh SQLite folder, or a
/// fresh PostgreSQL database with the shared key every instance needs.
pub struct Site {
    pub engine: &'static str,
    envs: Vec<(&'static str, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Site {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            engine: "SQLite",
            envs: vec![("AUTOBANK_DATA_DIR", dir.path().display().to_string())],
            _dir: Some(dir),
        }
    }

    /// `database_url` names a database that exists and is empty.
    pub fn postgres(database_url: String) -> Self {
        use base64::Engine as _;
        let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        Self {
            engine: "PostgreSQL",
            envs: vec![("DATABASE_URL", database_url), ("AUTOBANK_SECRET_KEY", key)],
            _dir: None,
        }
    }

    /// `bin args...` on this site's data, serving the built files of
    /// `site_root`.
    pub fn command(
        &self,
        bin: &std::path::Path,
        site_root: &std::path::Path,
        args: &[&str],
    ) -> Command {
        let mut command = Command::new(bin);
        command
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("AUTOBANK_SECRET_KEY")
            .env("LEPTOS_SITE_ROOT", site_root)
            // Every client here is 127.0.0.1, standing for many addresses:
            // the per-address throttle is opened so that load reaches the
            // pages and the password checks, as one from many addresses would.
            .env("AUTOBANK_POST_BURST", "100000000")
            .env("AUTOBANK_POSTS_PER_MINUTE", "100000000");
        for (k, v) in &self.envs {
            command.env(k, v);
        }
        command
    }

    /// Adds a dealer with `password` through the command line.
    pub fn add_user(
        &self,
        bin: &std::path::Path,
        site_root: &std::path::Path,
        login_id: &str,
        password: &str,
    ) {
        use std::io::Write;
        let mut add = self
            .command(
                bin,
                site_root,
                &["user", "add", login_id, "--name", "ベンチ販売店"],
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
        assert!(add.wait().unwrap().success(), "user add");
    }
}
