//! What the HTTP tests (`server/tests/api`) and the benches share:
//! `spawn_app()` and the small HTTP helpers (cookie names and readers, the
//! app's clock, an independent authenticator, the log capture: `TEST_LOG=1`
//! prints the logs as well), two instances ([`Pair`]) or a cluster, and the
//! benches' load generator ([`bench`]).

use app::domain::Password;
pub use app::domain::Role;
use app::server::clock::Clock;
use app::server::crypto::SecretBox;
use app::server::db::change::Seen;
use app::server::db::{users, Db};
use app::server::password::Passwords;
pub use app::server::request::{DEVICE_COOKIE, SESSION_COOKIE};
use app::server::services::keys;
use leptos::prelude::LeptosOptions;
use reqwest::header::{HeaderMap, ACCEPT, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{redirect, Response, StatusCode};
pub use server::config::Limits;
use server::startup::Application;
use std::sync::OnceLock;

pub mod bench;
mod cluster;
mod logs;
mod mfa;
mod pair;

use app::server::db::locks;
pub use cluster::Cluster;
pub use logs::capture_logs;
use logs::init_logging;
pub use mfa::*;
pub use pair::Pair;

pub const GOOD_PASSWORD: &str = "tulip-harbor-87-velvet";

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub database_url: String,
    pub client: reqwest::Client,
    /// The server's clock: `advance` it instead of ageing rows.
    pub clock: Clock,
    /// The server's state, for calling services directly.
    pub state: app::server::AppState,
    /// The server key, for a command line that must share it.
    pub key: [u8; 32],
    _dir: Option<tempfile::TempDir>,
}

fn passwords() -> &'static Passwords {
    static PASSWORDS: OnceLock<Passwords> = OnceLock::new();
    PASSWORDS.get_or_init(Passwords::new)
}

/// The engine this run tests: SQLite, or PostgreSQL with `TEST_ENGINE=postgres`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_this_run() -> Self {
        if std::env::var("TEST_ENGINE").as_deref() == Ok("postgres") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// The PostgreSQL server the tests may create databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database for one test: a SQLite file in a temporary folder, or
/// a new database on the PostgreSQL server at `TEST_DATABASE_URL`.
pub async fn fresh_database(engine: Engine) -> (String, Option<tempfile::TempDir>) {
    match engine {
        Engine::Postgres => {
            let admin_url = postgres_admin_url();
            // The prefix names this run's databases, so that cleaning up
            // after it leaves a parallel run's alone.
            let prefix =
                std::env::var("TEST_DB_PREFIX").unwrap_or_else(|_| "autobank_test_".into());
            let name = format!("{prefix}{:016x}", rand::random::<u64>());
            let admin = Db::connect_lazy(&admin_url).expect("admin URL parses");
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(admin.pool())
                .await
                .expect("PostgreSQL at TEST_DATABASE_URL creates a test database");
            admin.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), None)
        }
        Engine::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = server::config::sqlite_url(&dir.path().join("test.db"));
            (url, Some(dir))
        }
    }
}

pub async fn spawn_app() -> TestApp {
    let (database_url, dir) = fresh_database(Engine::of_this_run()).await;
    let db = Db::connect(&database_url)
        .await
        .expect("database opens and migrates");
    spawn_on(db, database_url, dir).await
}

pub async fn spawn_on(db: Db, database_url: String, dir: Option<tempfile::TempDir>) -> TestApp {
    spawn_with(db, database_url, dir, roomy()).await
}

/// The default limits, but a throttle that tests of other things (bursts
/// of guesses from one address) do not reach; `flood.rs` tests it.
pub fn roomy() -> Limits {
    Limits {
        posts_per_minute: 10_000,
        post_burst: 10_000,
        ..Limits::default()
    }
}

/// A fresh app whose flood limits are `limits`.
pub async fn spawn_app_with(limits: Limits) -> TestApp {
    let (database_url, dir) = fresh_database(Engine::of_this_run()).await;
    let db = Db::connect(&database_url)
        .await
        .expect("database opens and migrates");
    spawn_with(db, database_url, dir, limits).await
}

/// What else a test app may be started with.
pub struct Setup {
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The server key.
    pub key: [u8; 32],
    /// Several keys, the first sealing (`AUTOBANK_SECRET_KEYS`), in place
    /// of `key` when not empty.
    pub ring: Vec<app::server::crypto::NamedKey>,
    /// The OpenID Connect issuer; `None`: the app's own URL.
    pub issuer: Option<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            limits: roomy(),
            trusted_proxies: Vec::new(),
            key: rand::random(),
            ring: Vec::new(),
            issuer: None,
        }
    }
}

/// A fresh app behind a load balancer on loopback: the test's own
/// `X-Forwarded-For` names the client.
pub async fn spawn_app_behind_proxy(limits: Limits) -> TestApp {
    let (database_url, dir) = fresh_database(Engine::of_this_run()).await;
    let db = Db::connect(&database_url).await.expect("database migrates");
    let setup = Setup {
        limits,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Setup::default()
    };
    spawn_set_up(db, database_url, dir, setup).await
}

async fn spawn_with(
    db: Db,
    database_url: String,
    dir: Option<tempfile::TempDir>,
    limits: Limits,
) -> TestApp {
    let setup = Setup {
        limits,
        ..Setup::default()
    };
    spawn_set_up(db, database_url, dir, setup).await
}

/// An app over `db`, started as `setup` says.
pub async fn spawn_set_up(
    db: Db,
    database_url: String,
    dir: Option<tempfile::TempDir>,
    setup: Setup,
) -> TestApp {
    init_logging();
    let options = LeptosOptions::builder().output_name("autobank").build();
    let secrets = if setup.ring.is_empty() {
        SecretBox::from_key(&setup.key)
    } else {
        SecretBox::from_keys(&setup.ring)
    };
    // With the MAC key the database keeps, as `serve` opens it; a server
    // over a database that is away (the outage tests) goes without.
    let secrets = match keys::open_keyring(&db, &secrets).await {
        Ok(opened) => opened,
        Err(keys::KeyringError::Db(err)) if app::server::db::is_unavailable(&err) => secrets,
        Err(err) => panic!("the keys do not open the database's keyring: {err}"),
    };
    let app = Application::build(
        options,
        db.clone(),
        secrets,
        setup.trusted_proxies,
        "127.0.0.1:0".parse().unwrap(),
        setup.limits,
        setup.issuer,
    )
    .await
    .expect("application builds");
    let base = format!("http://{}", app.local_addr());
    let clock = app.state().clock.clone();
    let state = app.state().clone();
    tokio::spawn(app.run(std::future::pending()));
    let client = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        db,
        database_url,
        client,
        clock,
        state,
        key: setup.key,
        _dir: dir,
    }
}

/// The value a response sets for one cookie, if it sets it.
pub fn cookie_value(res: &Response, name: &str) -> Option<String> {
    set_cookie_header(res.headers(), name)
        .map(|h| h.split(';').next().unwrap()[name.len() + 1..].to_owned())
}

/// The session cookie's value from a response, if it sets one.
pub fn session_cookie(res: &Response) -> Option<String> {
    cookie_value(res, SESSION_COOKIE)
}

/// The whole `Set-Cookie` header for one cookie.
pub fn set_cookie_header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn location(res: &Response) -> Option<String> {
    res.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a dealer's account directly in the database.
    pub async fn add_user(&self, login_id: &str, password: &str) -> i64 {
        self.add_user_as(login_id, password, Role::Dealer).await
    }

    /// Creates an account with `role` directly in the database.
    pub async fn add_user_as(&self, login_id: &str, password: &str, role: Role) -> i64 {
        let hash = passwords()
            .hash(Password::parse(password).unwrap())
            .await
            .unwrap();
        users::insert(
            &self.db,
            login_id,
            "テスト販売店",
            role.as_str(),
            &hash,
            self.clock.now(),
        )
        .await
        .unwrap()
    }

    /// The account's ID.
    pub async fn user_id(&self, login_id: &str) -> i64 {
        users::find_by_login_id(&self.db, login_id)
            .await
            .unwrap()
            .expect("the account exists")
            .id
    }

    /// The audit trail's event names, oldest first.
    pub async fn audit_events(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT event FROM audit_events ORDER BY id")
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }

    /// How many sessions (full or half) the account has.
    pub async fn session_count(&self, login_id: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login_id = $1",
        )
        .bind(login_id)
        .fetch_one(self.db.pool())
        .await
        .unwrap()
    }

    /// The helpdesk's unlock, as the CLI does it.
    pub async fn unlock(&self, login_id: &str) {
        let user_id = self.user_id(login_id).await;
        let entry = test_entry(user_id, app::server::db::audit::Event::Unlocked);
        locks::unlock(
            &self.db,
            &Seen::nothing(),
            user_id,
            self.clock.now(),
            &entry,
        )
        .await
        .unwrap();
    }

    /// The helpdesk's new password, as the CLI sets it.
    pub async fn set_password(&self, login_id: &str, password: &str) {
        let user_id = self.user_id(login_id).await;
        let hash = passwords()
            .hash(Password::parse(password).unwrap())
            .await
            .unwrap();
        let entry = test_entry(user_id, app::server::db::audit::Event::PasswordChanged);
        users::set_password(&self.db, user_id, &hash, None, self.clock.now(), &entry)
            .await
            .unwrap();
    }

    /// Posts a server function the way the app's own JavaScript does.
    pub async fn call(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(ACCEPT, "application/json")
            .form(form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, format!("{SESSION_COOKIE}={c}"));
        }
        req.send().await.unwrap()
    }

    pub async fn login(&self, login_id: &str, password: &str) -> Response {
        self.login_with(login_id, password, "/menu", None).await
    }

    pub async fn login_with(
        &self,
        login_id: &str,
        password: &str,
        next: &str,
        cookie: Option<&str>,
    ) -> Response {
        self.call(
            "login",
            &[
                ("login_id", login_id),
                ("password", password),
                ("next", next),
            ],
            cookie,
        )
        .await
    }

    /// Signs in and returns the session cookie.
    pub async fn signed_in(&self, login_id: &str, password: &str) -> String {
        let res = self.login(login_id, password).await;
        assert_eq!(res.status(), StatusCode::OK, "sign-in should succeed");
        session_cookie(&res).expect("sign-in sets the session cookie")
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path)).header(ACCEPT, "text/html");
        if let Some(c) = cookie {
            req = req.header(COOKIE, format!("{SESSION_COOKIE}={c}"));
        }
        req.send().await.unwrap()
    }
}

/// The JSON error a server function answered with.
pub async fn error_of(res: Response) -> app::error::AppError {
    res.json().await.expect("a JSON error body")
}

/// Sends the same form to a server function from several connections at
/// once, as several browsers (or instances) would, and returns the
/// statuses and bodies.
pub async fn burst(
    app: &TestApp,
    endpoint: &str,
    form: Vec<(&'static str, String)>,
    cookies: Vec<Option<String>>,
) -> Vec<(StatusCode, String)> {
    let handles: Vec<_> = cookies
        .into_iter()
        .map(|cookie| {
            let (client, url, form) = (
                app.client.clone(),
                app.url(&format!("/api/{endpoint}")),
                form.clone(),
            );
            tokio::spawn(async move {
                let mut req = client
                    .post(url)
                    .header(ACCEPT, "application/json")
                    .form(&form);
                if let Some(c) = cookie {
                    req = req.header(COOKIE, format!("{SESSION_COOKIE}={c}"));
                }
                let res = req.send().await.unwrap();
                (res.status(), res.text().await.unwrap())
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// An audit entry made by an operator in a test.
pub fn test_entry(
    user_id: i64,
    event: app::server::db::audit::Event,
) -> app::server::db::audit::Entry {
    let actor = app::server::db::audit::Actor {
        user_id: Some(user_id),
        actor: "cli:test".into(),
        ..Default::default()
    };
    app::server::db::audit::Entry::new(actor, event)
}

/// Runs the `autobank` command line on the database at `database_url`,
/// with `stdin` as its input.
pub fn run_cli(database_url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    run_cli_with(database_url, &[], args, stdin)
}

impl TestApp {
    /// `autobank ARGS` against this app's database with its server key, as
    /// an operator on one of its instances runs it.
    pub fn cli(&self, args: &[&str], stdin: &str) -> std::process::Output {
        use base64::Engine as _;
        let key = base64::engine::general_purpose::STANDARD.encode(self.key);
        run_cli_with(
            &self.database_url,
            &[("AUTOBANK_SECRET_KEY", &key)],
            args,
            stdin,
        )
    }
}

/// As [`run_cli`], with more environment (`AUTOBANK_SECRET_KEY`, say).
pub fn run_cli_with(
    database_url: &str,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(autobank_bin())
        .args(args)
        .envs(env.iter().copied())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("autobank runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Every page route of the app, path parameters written as `x` (any value
/// will do for `/menu/{feature}` and the like).
pub fn page_paths() -> Vec<String> {
    leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|route| {
            route
                .path()
                .split('/')
                .map(|seg| {
                    if seg.starts_with(['{', ':']) {
                        "x"
                    } else {
                        seg
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// The `autobank` binary that cargo built beside the running test or
/// bench (`target/<profile>/autobank`; the test itself is in `deps/`).
pub fn autobank_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it is");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a test runs from target/<profile>/deps");
    profile.join(format!("autobank{}", std::env::consts::EXE_SUFFIX))
}

/// `autobank serve` as its own process on a SQLite database in `data`,
/// until dropped (then killed, as `kill -9` would).
pub struct Served {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where `/metrics` is served, when `AUTOBANK_METRICS_ADDR` was given.
    pub metrics: Option<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts it with `env` besides the data folder, and waits until it
    /// says where it serves.
    pub fn start(data: &std::path::Path, env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(autobank_bin())
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env("AUTOBANK_DATA_DIR", data)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_HASH_FILES", "false")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("autobank serves");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut url_after = |prefix: &str| {
            let line = lines.next().and_then(Result::ok).unwrap_or_default();
            let url = line
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"));
            url.trim().to_owned()
        };
        let base = url_after("autoBank portal: ");
        let metrics = env
            .iter()
            .any(|(name, _)| *name == "AUTOBANK_METRICS_ADDR")
            .then(|| url_after("metrics: "));
        Self {
            child,
            base,
            metrics,
        }
    }
}
