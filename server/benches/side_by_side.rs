//! `make bench`: every speed and memory figure of the portal beside its
//! reference, measured in one run against one release build
//! (`target/release/autobank`, with the built files of `target/site`),
//! and the Leptos start-axum "hello" page (`target/release/hello`, from
//! `bench/hello`). Prints the table and writes it to docs/BENCHMARKS.md.
//! Nothing here passes or fails: a goal not met is reported as not met.
//!
//! Run it through `make bench`, which builds both binaries first.

use testkit as helpers;
use testkit::bench as support;

use app::domain::Password;
use app::server::password::Passwords;
use helpers::{fresh_database, spawn_on, Engine, GOOD_PASSWORD};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::load::{self, Report, BROWSER};
use support::served::{Served, Site};

/// Connections of the throughput runs (as `wrk -c32`).
const CONNECTIONS: usize = 32;
const WARMUP: Duration = Duration::from_millis(500);
const MEASURE: Duration = Duration::from_secs(4);

/// One line of the table.
struct Row {
    what: String,
    figure: String,
    reference: String,
    ratio: String,
    goal: &'static str,
    met: Option<bool>,
}

fn row(
    what: impl Into<String>,
    figure: String,
    reference: String,
    ratio: String,
    goal: &'static str,
    met: Option<bool>,
) -> Row {
    Row {
        what: what.into(),
        figure,
        reference,
        ratio,
        goal,
        met,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn throughput(r: &Report) -> String {
    let errors = if r.errors > 0 {
        format!(", {} errors", r.errors)
    } else {
        String::new()
    };
    format!(
        "{:.0} req/s, p50 {}, p99 {}{errors}",
        r.per_second(),
        ms(r.percentile(0.50)),
        ms(r.percentile(0.99))
    )
}

fn main() {
    support::under_cargo_bench("side_by_side", run);
}

struct Paths {
    autobank: PathBuf,
    hello: PathBuf,
    site_root: PathBuf,
    root: PathBuf,
}

fn paths() -> Paths {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    let paths = Paths {
        // `make bench` copies cargo-leptos's build here before `cargo
        // bench` builds its own into target/release.
        autobank: target.join("bench/autobank"),
        hello: target.join("release/hello"),
        site_root: target.join("site"),
        root,
    };
    for bin in [&paths.autobank, &paths.hello] {
        assert!(
            bin.exists(),
            "{} is missing: run `make bench`, which builds it",
            bin.display()
        );
    }
    paths
}

async fn run() {
    let started = Instant::now();
    let p = paths();
    let mut rows = Vec::new();

    // The references.
    let hello = Served::start(hello_command(&p), "/").await;
    let hello_idle = hello.rss_mb();
    let hello_cold = hello.cold_start;
    let hello_page = load::run(hello.addr, "/", BROWSER, CONNECTIONS, WARMUP, MEASURE).await;
    drop(hello);
    rows.push(row(
        "Leptos hello page (reference for pages)",
        throughput(&hello_page),
        "-".into(),
        "-".into(),
        "reference",
        None,
    ));
    println!("hello: {}", throughput(&hello_page));

    let css = stylesheet_path(&p.site_root);
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let Some(site) = site_for(engine).await else {
            rows.push(row(
                "PostgreSQL",
                "not measured: no server answers at TEST_DATABASE_URL".into(),
                "-".into(),
                "-".into(),
                "",
                Some(false),
            ));
            continue;
        };
        let e = site.engine;
        // A first start makes the schema and the demo account; the
        // second is a restart, measured from exec to the first 200.
        drop(
            Served::start(
                site.command(&p.autobank, &p.site_root, &["serve", "--demo"]),
                "/healthz",
            )
            .await,
        );
        site.add_user(&p.autobank, &p.site_root, "flood01", GOOD_PASSWORD);
        let portal = Served::start(
            site.command(&p.autobank, &p.site_root, &["serve"]),
            "/healthz",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let idle = portal.rss_mb();
        let cold = portal.cold_start;

        let healthz = load::run(
            portal.addr,
            "/healthz",
            BROWSER,
            CONNECTIONS,
            WARMUP,
            MEASURE,
        )
        .await;
        println!("{e} /healthz: {}", throughput(&healthz));
        if engine == Engine::Sqlite {
            rows.push(row(
                "`/healthz` (reference: the HTTP stack)",
                throughput(&healthz),
                "-".into(),
                "-".into(),
                "reference",
                None,
            ));
            let file = load::run(portal.addr, &css, BROWSER, CONNECTIONS, WARMUP, MEASURE).await;
            let ratio = file.per_second() / healthz.per_second();
            println!("{e} {css}: {}", throughput(&file));
            rows.push(row(
                format!("a static asset, `{css}` (brotli, precompressed), 32 connections"),
                throughput(&file),
                format!("`/healthz` {:.0} req/s", healthz.per_second()),
                format!("{ratio:.2}×"),
                "≥ 0.8× `/healthz`",
                Some(ratio >= 0.8 && file.errors == 0),
            ));
            let one = load::run(
                portal.addr,
                &css,
                BROWSER,
                1,
                WARMUP,
                Duration::from_secs(2),
            )
            .await;
            let p50 = one.percentile(0.5);
            rows.push(row(
                "the same asset over 1 keep-alive connection",
                format!("p50 {}, {:.0} req/s", ms(p50), one.per_second()),
                "-".into(),
                "-".into(),
                "p50 < 2 ms",
                Some(p50 < Duration::from_millis(2) && one.errors == 0),
            ));
            let login =
                load::run(portal.addr, "/login", BROWSER, CONNECTIONS, WARMUP, MEASURE).await;
            let ratio = login.per_second() / hello_page.per_second();
            println!("{e} /login: {}", throughput(&login));
            rows.push(row(
                "`/login`",
                throughput(&login),
                format!("hello {:.0} req/s", hello_page.per_second()),
                format!("{ratio:.2}×"),
                "≥ 0.8× hello",
                Some(ratio >= 0.8 && login.errors == 0),
            ));
        }
        let home = load::run(portal.addr, "/", BROWSER, CONNECTIONS, WARMUP, MEASURE).await;
        let ratio = home.per_second() / hello_page.per_second();
        let p99 = home.percentile(0.99);
        println!("{e} /: {}", throughput(&home));
        rows.push(row(
            format!("the portal `/`, notices from the database ({e})"),
            throughput(&home),
            format!("hello {:.0} req/s", hello_page.per_second()),
            format!("{ratio:.2}×"),
            "≥ 0.6× hello; p99 < 10 ms",
            Some(ratio >= 0.6 && p99 < Duration::from_millis(10) && home.errors == 0),
        ));
        rows.push(row(
            format!("cold start, exec to the first 200 ({e}, a restart)"),
            ms(cold),
            format!("hello {}", ms(hello_cold)),
            format!("{:.2}×", cold.as_secs_f64() / hello_cold.as_secs_f64()),
            "< 300 ms",
            Some(cold < Duration::from_millis(300)),
        ));

        let base = format!("http://{}", portal.addr);
        println!("{e}: the flood, 6 s");
        let flood = support::flood::flood(
            &base,
            portal.pid(),
            "flood01",
            GOOD_PASSWORD,
            Duration::from_secs(6),
        );
        let peak = match tokio::time::timeout(Duration::from_secs(90), flood).await {
            Ok(f) => format!("{:.1} MB", f.peak as f64 / 1024.0),
            Err(_) => "not measured (the flood did not end within 90 s)".to_owned(),
        };
        let peak_ok = peak
            .strip_suffix(" MB")
            .and_then(|p| p.parse::<f64>().ok())
            .is_some_and(|p| p < 256.0);
        println!("{e} memory: idle {idle:.1} MB, flood peak {peak}");
        rows.push(row(
            format!("resident memory, idle / at the flood's peak ({e})"),
            format!("{idle:.1} MB / {peak}"),
            format!("hello {hello_idle:.1} MB idle"),
            format!("{:.2}× idle", idle / hello_idle),
            "idle < 30 MB (peak < 256 MB)",
            Some(idle < 30.0 && peak_ok),
        ));
        drop(portal);

        println!("{e}: the code step and the sign-in, in-process");
        rows.extend(in_process(engine).await);
        drop(site);
    }
    rows.extend(bundle(&p.site_root));
    rows.extend(slow_phone(&p.root));

    let table = render(&rows, started.elapsed());
    println!("\n{table}");
    write_into_benchmarks(&p.root.join("docs/BENCHMARKS.md"), &table);
}

fn hello_command(p: &Paths) -> std::process::Command {
    let mut command = std::process::Command::new(&p.hello);
    command.env("LEPTOS_OUTPUT_NAME", "start-axum-workspace");
    command
}

/// The stylesheet's path as the pages link it: the hashed name the build gave it.
fn stylesheet_path(site_root: &Path) -> String {
    let pkg = site_root.join("pkg");
    let name = std::fs::read_dir(&pkg)
        .unwrap_or_else(|e| panic!("{}: {e}", pkg.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with("autobank") && n.ends_with(".css"))
        .expect("a built stylesheet in target/site/pkg");
    format!("/pkg/{name}")
}

/// A fresh data place for the engine, or `None` when PostgreSQL is away.
async fn site_for(engine: Engine) -> Option<Site> {
    match engine {
        Engine::Sqlite => Some(Site::sqlite()),
        Engine::Postgres => {
            let reachable = tokio::time::timeout(
                Duration::from_secs(3),
                app::server::db::Db::connect_lazy(&helpers::postgres_admin_url())
                    .ok()?
                    .ping(),
            )
            .await;
            if !matches!(reachable, Ok(Ok(()))) {
                return None;
            }
            let (url, _) = fresh_database(Engine::Postgres).await;
            Some(Site::postgres(url))
        }
    }
}

/// The figures that need the server's clock or many half sign-ins: the
/// code step's throughput and the sign-in beside one argon2 verify. The
/// server runs in this process (the same code, built for the bench), on
/// loopback HTTP.
async fn in_process(engine: Engine) -> Vec<Row> {
    let (url, dir) = fresh_database(engine).await;
    let db = app::server::db::Db::connect(&url).await.unwrap();
    let app = Arc::new(spawn_on(db, url, dir).await);
    let e = if engine == Engine::Sqlite {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let mut rows = Vec::new();

    // The code step: USERS accounts with MFA; each round gives every one
    // a half sign-in (untimed), moves the clock to a fresh step, then
    // times USERS verifications, 32 at once, each with its own valid code.
    const USERS: usize = 96;
    const ROUNDS: usize = 12;
    let mut phones = Vec::new();
    for i in 0..USERS {
        let login = format!("code{i:03}");
        app.add_user(&login, GOOD_PASSWORD).await;
        let cookie = app.signed_in(&login, GOOD_PASSWORD).await;
        phones.push((login, app.enable_mfa(&cookie).await));
    }
    let mut timed = Duration::ZERO;
    let mut verified = 0usize;
    for _ in 0..ROUNDS {
        let mut halves = Vec::new();
        for (login, _) in &phones {
            halves.push(app.password_step(login, GOOD_PASSWORD, None).await.0);
        }
        app.clock.advance(60);
        let work: Vec<(String, String)> = halves
            .into_iter()
            .zip(&phones)
            .map(|(half, (_, phone))| (half, phone.code(0)))
            .collect();
        let queue = Arc::new(Mutex::new(work));
        let start = Instant::now();
        let workers: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let (app, queue) = (app.clone(), queue.clone());
                tokio::spawn(async move {
                    let mut ok = 0usize;
                    loop {
                        let next = queue.lock().unwrap().pop();
                        let Some((half, code)) = next else { break };
                        let res = app.code_step(&half, &code, false).await;
                        if res.status().is_success() {
                            ok += 1;
                        }
                    }
                    ok
                })
            })
            .collect();
        for w in workers {
            verified += w.await.unwrap();
        }
        timed += start.elapsed();
    }
    let per_second = verified as f64 / timed.as_secs_f64();
    let all = USERS * ROUNDS;
    println!("{e} code step: {per_second:.0}/s ({verified} of {all} verified)");
    rows.push(row(
        format!("the whole code step over HTTP ({e}), 32 at once, each with its own valid code"),
        format!("{per_second:.0} verifications/s ({verified} of {all} verified)"),
        "-".into(),
        "-".into(),
        "≥ 2,000/s",
        Some(per_second >= 2000.0 && verified == all),
    ));

    // A sign-in (password step, no MFA) beside one argon2 verify.
    app.add_user("signin01", GOOD_PASSWORD).await;
    let passwords = Passwords::new();
    let hash = passwords
        .hash(Password::parse(GOOD_PASSWORD).unwrap())
        .await
        .unwrap();
    let (mut argon, mut sign_in) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let start = Instant::now();
        let ok = passwords
            .slot()
            .await
            .unwrap()
            .verify(Password::parse(GOOD_PASSWORD).unwrap(), Some(hash.clone()))
            .await
            .unwrap();
        argon.push(start.elapsed());
        assert!(ok);
        let start = Instant::now();
        let res = app.login("signin01", GOOD_PASSWORD).await;
        sign_in.push(start.elapsed());
        assert!(res.status().is_success());
    }
    let (argon, sign_in) = (median(argon), median(sign_in));
    let ratio = sign_in.as_secs_f64() / argon.as_secs_f64();
    println!("{e} sign-in {} vs argon2 {}", ms(sign_in), ms(argon));
    rows.push(row(
        format!("sign-in over HTTP, median ({e})"),
        ms(sign_in),
        format!("one argon2id verify {}", ms(argon)),
        format!("{ratio:.2}×"),
        "≤ 1.1×",
        Some(ratio <= 1.1),
    ));
    rows
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The first visit's download: the brotli copies the build made.
fn bundle(site_root: &Path) -> Vec<Row> {
    let pkg = site_root.join("pkg");
    let mut files: Vec<(String, u64)> = std::fs::read_dir(&pkg)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let plain = name.strip_suffix(".br")?.to_owned();
            let size = std::fs::metadata(pkg.join(&name)).ok()?.len();
            Some((plain, size))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return vec![row(
            "bundle",
            "not measured: no .br files (build with `--precompress`)".into(),
            "-".into(),
            "-".into(),
            "≤ 160 KB",
            Some(false),
        )];
    }
    // A first visit loads the main module, its JavaScript (which imports
    // the split loader) and the stylesheet; the split-off parts (`split_*`
    // for pages, `chunk_*` for code they share) load only where used.
    let first_visit = |name: &str| {
        (name.starts_with("autobank.")
            && [".wasm", ".js", ".css"].iter().any(|e| name.ends_with(e)))
            || (name.starts_with("__wasm_split.") && name.ends_with(".js"))
    };
    let kb = |b: u64| b as f64 / 1000.0;
    let (first, later): (Vec<_>, Vec<_>) = files.iter().partition(|(n, _)| first_visit(n));
    let total: u64 = first.iter().map(|(_, s)| s).sum();
    let detail = first
        .iter()
        .map(|(n, s)| format!("`{}` {:.1}", short(n), kb(*s)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut pages: Vec<_> = later
        .iter()
        .filter(|(n, _)| n.starts_with("split_"))
        .collect();
    pages.sort_by_key(|(_, s)| std::cmp::Reverse(*s));
    let shared: u64 = later
        .iter()
        .filter(|(n, _)| n.starts_with("chunk_"))
        .map(|(_, s)| s)
        .sum();
    let pages = pages
        .iter()
        .map(|(n, s)| format!("{} {:.1}", short(n), kb(*s)))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        row(
            "bundle, brotli: a first visit (portal, sign-in, code page)",
            format!("{:.1} KB ({detail})", kb(total)),
            "-".into(),
            "-".into(),
            "≤ 160 KB",
            Some(total <= 160_000),
        ),
        row(
            "split-off pages, brotli, each fetched when first shown",
            format!("{pages}; shared parts {:.1} KB in all", kb(shared)),
            "-".into(),
            "-".into(),
            "-",
            None,
        ),
    ]
}

/// The Playwright slow-phone timings (end2end/bench), which `make bench`
/// runs just before this.
fn slow_phone(root: &Path) -> Vec<Row> {
    let path = std::env::var_os("CARGO_TARGET_DIR")
        .map_or(root.join("target"), PathBuf::from)
        .join("bench/slow-phone.json");
    let Some(json) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        return vec![row(
            "time to interactive on a slow phone",
            format!(
                "not measured: {} is missing (`make bench` writes it)",
                path.display()
            ),
            "-".into(),
            "-".into(),
            "< 2.5 s empty cache; < 1 s warm",
            Some(false),
        )];
    };
    ["portal", "sign-in", "code page"]
        .iter()
        .map(|name| {
            let page = &json["pages"][name];
            let (empty, warm) = (page["empty_ms"].as_f64(), page["warm_ms"].as_f64());
            let (Some(empty), Some(warm)) = (empty, warm) else {
                return row(
                    format!("time to interactive on a slow phone: {name}"),
                    "not measured".into(),
                    "-".into(),
                    "-".into(),
                    "< 2.5 s empty cache; < 1 s warm",
                    Some(false),
                );
            };
            row(
                format!("time to interactive on a slow phone: {name} (1.6 Mbit/s, 150 ms, CPU 4× slower; median of 3)"),
                format!("empty cache {:.2} s, warm {:.2} s", empty / 1000.0, warm / 1000.0),
                "-".into(),
                "-".into(),
                "< 2.5 s empty cache; < 1 s warm",
                Some(empty < 2500.0 && warm < 1000.0),
            )
        })
        .collect()
}

/// A built file's name without its content hash and suffixes:
/// `split___menu_view_1737….<hash>.wasm` → `menu`.
fn short(name: &str) -> String {
    let stem = name.split('.').next().unwrap_or(name);
    match stem.strip_prefix("split___") {
        Some(page) => page
            .rsplit_once("_view_")
            .map_or(page, |(p, _)| p)
            .to_owned(),
        None => {
            let ext = name.rsplit('.').next().unwrap_or("");
            format!("{stem}.{ext}")
        }
    }
}

fn render(rows: &[Row], took: Duration) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or("?".into(), |kib| {
            format!("{:.0} GiB", kib / 1024.0 / 1024.0)
        });
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let mut out = format!(
        "Measured {} on {cores} cores ({cpu}), {memory}, by `make bench` in {:.0} s. \
         Load: {CONNECTIONS} keep-alive connections for {} s after {} ms of warm-up, \
         with a browser's request headers (`accept-encoding: gzip, deflate, br, zstd`); \
         clients and servers share the machine's cores.\n\n\
         | what | figure | reference | ratio | goal | met |\n|---|---|---|---|---|---|\n",
        date.trim(),
        took.as_secs_f64(),
        MEASURE.as_secs(),
        WARMUP.as_millis(),
    );
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {met} |\n",
            r.what, r.figure, r.reference, r.ratio, r.goal
        ));
    }
    out
}

const START: &str = "<!-- make bench: start -->";
const END: &str = "<!-- make bench: end -->";

/// Replaces the part of docs/BENCHMARKS.md between the markers.
fn write_into_benchmarks(path: &Path, table: &str) {
    let Ok(doc) = std::fs::read_to_string(path) else {
        println!("(not written: {} is missing)", path.display());
        return;
    };
    let (Some(a), Some(b)) = (doc.find(START), doc.find(END)) else {
        println!(
            "(not written: {} has no `{START}` … `{END}` markers)",
            path.display()
        );
        return;
    };
    let doc = format!("{}{START}\n{table}{}", &doc[..a], &doc[b..]);
    std::fs::write(path, doc).unwrap();
    println!("written to {}", path.display());
}
