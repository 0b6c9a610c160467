//! Two instances of the release server sharing one database, with a key
//! they share, as behind a load balancer: the attack suite's target.
//! Each instance is the real `autobank serve` binary in its own process,
//! on the real clock.

use super::*;
use base64::Engine as _;
use reqwest::header::{ACCEPT, COOKIE};
use reqwest::Response;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Pair {
    servers: Vec<Child>,
    addrs: Vec<String>,
    bases: Vec<String>,
    database_url: String,
    key: String,
    pub db: Db,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    site: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Pair {
    pub async fn start() -> Self {
        let (database_url, dir) = fresh_database(Engine::of_this_run()).await;
        Self::start_on(database_url, dir).await
    }

    /// Two instances on the database at `database_url`.
    pub async fn start_on(database_url: String, dir: Option<tempfile::TempDir>) -> Self {
        let db = Db::connect(&database_url).await.expect("database migrates");
        let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        let addrs: Vec<String> = (0..2)
            .map(|_| format!("127.0.0.1:{}", free_port()))
            .collect();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut pair = Self {
            servers: Vec::new(),
            bases: addrs.iter().map(|a| format!("http://{a}")).collect(),
            addrs,
            database_url,
            key,
            db,
            client,
            _dir: dir,
            site: tempfile::tempdir().unwrap(),
        };
        for i in 0..2 {
            let server = pair.spawn_server(i);
            pair.servers.push(server);
        }
        for i in 0..2 {
            pair.wait_until_up(i).await;
        }
        pair
    }

    fn spawn_server(&self, i: usize) -> Child {
        Command::new(autobank_bin())
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("AUTOBANK_SECRET_KEY", &self.key)
            .env("LEPTOS_SITE_ADDR", &self.addrs[i])
            // One issuer for both, as behind one load balancer.
            .env("AUTOBANK_ISSUER", &self.bases[0])
            .env("LEPTOS_SITE_ROOT", self.site.path())
            // The per-address throttle is per instance and not what
            // these attacks test: it would answer them before the
            // account's limits do.
            .env("AUTOBANK_POSTS_PER_MINUTE", "100000")
            .env("AUTOBANK_POST_BURST", "100000")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the release server starts")
    }

    /// `kill -9` of instance `i`.
    pub fn kill(&mut self, i: usize) {
        self.servers[i].kill().unwrap();
        self.servers[i].wait().unwrap();
    }

    /// Starts instance `i` again after [`Pair::kill`].
    pub async fn restart(&mut self, i: usize) {
        self.servers[i] = self.spawn_server(i);
        self.wait_until_up(i).await;
    }

    async fn wait_until_up(&self, i: usize) {
        for _ in 0..200 {
            if self.client.get(&self.bases[i]).send().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("instance {i} did not come up");
    }

    /// The OpenID Connect issuer both instances share.
    pub fn issuer(&self) -> &str {
        &self.bases[0]
    }

    /// The command line on the pair's database, with the pair's key.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        run_cli_with(
            &self.database_url,
            &[("AUTOBANK_SECRET_KEY", self.key.as_str())],
            args,
            "",
        )
    }

    pub fn url(&self, i: usize, path: &str) -> String {
        format!("{}{path}", self.bases[i % 2])
    }

    /// Posts a server function to instance `i` (0 or 1; any number is
    /// taken modulo 2, so a loop counter splits requests between them).
    pub async fn call(
        &self,
        i: usize,
        endpoint: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(self.url(i, &format!("/api/{endpoint}")))
            .header(ACCEPT, "application/json")
            .form(form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, i: usize, path: &str, cookie: Option<&str>) -> Response {
        let mut req = self
            .client
            .get(self.url(i, path))
            .header(ACCEPT, "text/html");
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        req.send().await.unwrap()
    }

    pub async fn add_user(&self, login_id: &str) {
        self.add_user_as(login_id, Role::Dealer).await;
    }

    pub async fn add_user_as(&self, login_id: &str, role: Role) {
        let hash = passwords()
            .hash(Password::parse(GOOD_PASSWORD).unwrap())
            .await
            .unwrap();
        let now = Clock::system().now();
        users::insert(&self.db, login_id, "攻撃テスト", role.as_str(), &hash, now)
            .await
            .unwrap();
    }

    /// A member of staff with MFA on, signed in on instance `i`: the
    /// session's `Cookie` header value, and their phone.
    pub async fn staff(&self, i: usize, login_id: &str, role: Role) -> (String, Authenticator) {
        self.add_user_as(login_id, role).await;
        let (cookie, _) = self.sign_in(i, login_id, None).await;
        let phone = self.enable_mfa(i, &cookie).await;
        (cookie, phone)
    }

    /// Signs in on instance `i`; returns the `Cookie` header value of the
    /// session (full, or half when a code is owed) and where it leads.
    pub async fn sign_in(
        &self,
        i: usize,
        login_id: &str,
        device: Option<&str>,
    ) -> (String, String) {
        let device = device.map(|d| format!("{DEVICE_COOKIE}={d}"));
        let form = [
            ("login_id", login_id),
            ("password", GOOD_PASSWORD),
            ("next", "/menu"),
        ];
        let res = self.call(i, "login", &form, device.as_deref()).await;
        assert_eq!(res.status(), StatusCode::OK, "signs in");
        let session = session_cookie(&res).expect("a session");
        (
            format!("{SESSION_COOKIE}={session}"),
            location(&res).unwrap(),
        )
    }

    /// The code step of the half sign-in `half` on instance `i`.
    pub async fn code_step(&self, i: usize, half: &str, code: &str) -> Response {
        let form = [("code", code), ("next", "/menu")];
        self.call(i, "mfa/code", &form, Some(half)).await
    }

    /// Signs in on instance `i` with `password`, as the sign-in form does.
    pub async fn login(&self, i: usize, login_id: &str, password: &str) -> Response {
        let form = [
            ("login_id", login_id),
            ("password", password),
            ("next", "/menu"),
        ];
        self.call(i, "login", &form, None).await
    }

    /// Starts a setup from a full session on instance `i` (ON, with the
    /// password) and reads its key on the other instance.
    pub async fn start_setup(&self, i: usize, cookie: &str) -> app::types::SetupDetails {
        let res = self
            .call(
                i,
                "mfa/apply",
                &[
                    ("confirmed", "yes"),
                    ("setting", "on"),
                    ("password", GOOD_PASSWORD),
                ],
                Some(cookie),
            )
            .await;
        assert_eq!(location(&res).as_deref(), Some("/mfa/setup"));
        self.call(i + 1, "mfa/setup", &[], Some(cookie))
            .await
            .json()
            .await
            .expect("setup details")
    }

    /// Turns MFA on from a full session on instance `i`; returns the phone.
    pub async fn enable_mfa(&self, i: usize, cookie: &str) -> Authenticator {
        let details = self.start_setup(i, cookie).await;
        let phone = Authenticator::new(&details.key, &Clock::system());
        let res = self
            .call(i, "mfa/confirm", &[("code", &phone.code(-1))], Some(cookie))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "MFA is on");
        phone
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}
