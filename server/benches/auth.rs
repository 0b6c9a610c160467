//! `make bench`: how long the security-critical steps take on this
//! machine, as medians. Run with `cargo bench -p server`; figures go to
//! docs/BENCHMARKS.md. Not a test: nothing here passes or fails on time.

use testkit as helpers;

use app::domain::{OtpCode, Password};
use app::server::password::Passwords;
use app::server::totp::TotpSecret;
use helpers::*;
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn report(what: &str, samples: Vec<Duration>) {
    let n = samples.len();
    let (min, max) = (
        *samples.iter().min().unwrap(),
        *samples.iter().max().unwrap(),
    );
    println!(
        "{what:<52} median {:>10.3?}  (n={n}, min {min:.3?}, max {max:.3?})",
        median(samples)
    );
}

fn bench_totp_verify() {
    let secret = TotpSecret::generate();
    let now = 1_700_000_000;
    let code = OtpCode::parse(&secret.code_at(now)).unwrap();
    let wrong = OtpCode::parse("000000").unwrap();
    let samples = (0..20_000)
        .map(|i| {
            let c = if i % 2 == 0 { &code } else { &wrong };
            let start = Instant::now();
            std::hint::black_box(secret.verify(std::hint::black_box(c), now));
            start.elapsed()
        })
        .collect();
    report(
        "TOTP verify (3 steps, SHA-1, constant-time compare)",
        samples,
    );
}

async fn bench_password_verify() {
    let passwords = Passwords::new();
    let hash = passwords
        .hash(Password::parse(GOOD_PASSWORD).unwrap())
        .await
        .unwrap();
    let mut samples = Vec::new();
    for _ in 0..21 {
        let start = Instant::now();
        assert!(passwords
            .slot()
            .await
            .unwrap()
            .verify(Password::parse(GOOD_PASSWORD).unwrap(), Some(hash.clone()))
            .await
            .unwrap());
        samples.push(start.elapsed());
    }
    report("argon2id verify (m=19456 KiB, t=2, p=1)", samples);
}

async fn bench_code_step_over_http() {
    let app = spawn_app().await;
    app.add_user("bench01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("bench01", GOOD_PASSWORD).await;
    let authenticator = app.enable_mfa(&cookie).await;
    let mut samples = Vec::new();
    for _ in 0..41 {
        // Untimed: the password step, and moving the server's clock on a
        // minute so that a fresh code is due (the replay guard refuses a
        // step twice).
        let (half, _) = app.password_step("bench01", GOOD_PASSWORD, None).await;
        app.clock.advance(60);
        let code = authenticator.code(0);
        let start = Instant::now();
        let res = app.code_step(&half, &code, false).await;
        samples.push(start.elapsed());
        assert!(res.status().is_success());
    }
    report(
        "code step over HTTP, SQLite (verify + replay guard + rotate)",
        samples,
    );
    let mut samples = Vec::new();
    for _ in 0..21 {
        let start = Instant::now();
        let res = app.login("bench01-unknown", GOOD_PASSWORD).await;
        samples.push(start.elapsed());
        assert_eq!(res.status().as_u16(), 401);
    }
    report("password step over HTTP, unknown ID (dummy hash)", samples);
}

async fn bench_portal_throughput() {
    let app = spawn_app().await;
    let requests = 2_000usize;
    let concurrency = 16usize;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, url) = (app.client.clone(), app.url("/login"));
        tasks.push(tokio::spawn(async move {
            for _ in (worker..requests).step_by(concurrency) {
                let res = client.get(&url).send().await.unwrap();
                assert!(res.status().is_success());
                res.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "{:<52} {:>8.0} requests/s  ({requests} requests, {concurrency} at once, client in-process)",
        "SSR of /login",
        requests as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // else, so a quick smoke run stays quick.
    let full = std::env::args().any(|a| a == "--bench");
    println!(
        "autoBank benchmarks ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    bench_totp_verify();
    if full {
        bench_password_verify().await;
        bench_code_step_over_http().await;
        bench_portal_throughput().await;
    }
}
