//! `make bench`: every speed and memory figure of the portal beside its
//! reference, measured in one run against one release build
//! (`target/release/autobank`, with the built files of `target/site`),
//! and the Leptos start-axum "hello" page (`target/bench/hello`, from
//! `bench/hello`, built without the portal's flags). Prints the table and
//! writes it to docs/BENCHMARKS.md.
//! Nothing here passes or fails: a goal not met is reported as not met.
//!
//! Run it through `make bench`, which builds both binaries first.

mod built;
mod http;
mod in_process;
mod oidc;
mod table;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use table::{render, row, throughput, write_into_benchmarks};
use testkit::bench::load::{self, Report, BROWSER};
use testkit::bench::served::Served;
use testkit::Engine;

/// Connections of the throughput runs (as `wrk -c32`).
pub const CONNECTIONS: usize = 32;
pub const WARMUP: Duration = Duration::from_millis(500);
pub const MEASURE: Duration = Duration::from_secs(4);

fn main() {
    testkit::bench::under_cargo_bench("side_by_side", run);
}

pub struct Paths {
    pub autobank: PathBuf,
    pub hello: PathBuf,
    pub site_root: PathBuf,
    pub root: PathBuf,
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
        // Built apart, without .cargo/config.toml's flags (see the Makefile).
        hello: target.join("bench/hello"),
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

/// What the portal's figures are measured against: Leptos's hello page.
pub struct Hello {
    pub page: Report,
    pub idle_mb: f64,
    pub cold: Duration,
}

async fn run() {
    let started = Instant::now();
    if std::env::var("BENCH_ONLY").as_deref() == Ok("in-process") {
        return in_process_only(started).await;
    }
    let p = paths();
    let hello = hello(&p).await;
    let mut rows = vec![row(
        "Leptos hello page (reference for pages)",
        throughput(&hello.page),
        "-".into(),
        "-".into(),
        "reference",
        None,
    )];
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let Some(site) = http::site_for(engine).await else {
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
        rows.extend(http::served(engine, &site, &p, &hello).await);
        println!("{}: the code step and the sign-in, in-process", site.engine);
        rows.extend(in_process::in_process(engine).await);
        drop(site);
    }
    rows.extend(built::bundle(&p.site_root));
    rows.extend(built::slow_phone(&p.root));

    let table = render(&rows, started.elapsed());
    println!("\n{table}");
    write_into_benchmarks(&p.root.join("docs/BENCHMARKS.md"), &table);
}

/// `BENCH_ONLY=in-process`: the code step and the sign-in alone, on both
/// engines, printed and not recorded (for profiling them; the table in
/// docs/BENCHMARKS.md comes from whole runs only).
async fn in_process_only(started: Instant) {
    let mut rows = Vec::new();
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if http::site_for(engine).await.is_none() {
            continue;
        }
        rows.extend(in_process::in_process(engine).await);
    }
    println!("\n{}", render(&rows, started.elapsed()));
}

/// The reference: the hello page's throughput, memory and cold start.
async fn hello(p: &Paths) -> Hello {
    let served = Served::start(hello_command(p), "/").await;
    let page = load::run(served.addr, "/", BROWSER, CONNECTIONS, WARMUP, MEASURE).await;
    println!("hello: {}", throughput(&page));
    Hello {
        idle_mb: served.rss_mb(),
        cold: served.cold_start,
        page,
    }
}

fn hello_command(p: &Paths) -> std::process::Command {
    let mut command = std::process::Command::new(&p.hello);
    command.env("LEPTOS_OUTPUT_NAME", "start-axum-workspace");
    command
}
