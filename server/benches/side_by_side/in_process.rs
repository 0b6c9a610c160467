//! The figures that need the server's clock: the code step and the
//! sign-in, with the server in this process.

use crate::table::{busy, cpu_used, ms, row, Row};
use crate::CONNECTIONS;
use app::domain::Password;
use app::server::password::Passwords;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::{fresh_database, spawn_on, Engine, GOOD_PASSWORD};

/// The figures that need the server's clock or many half sign-ins: the
/// code step's throughput and the sign-in beside one argon2 verify. The
/// server runs in this process (the same code, built for the bench), on
/// loopback HTTP.
pub async fn in_process(engine: Engine) -> Vec<Row> {
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
    let (mut timed, mut cpu) = (Duration::ZERO, Duration::ZERO);
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
        let (start, cpu_start) = (Instant::now(), cpu_used());
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
        cpu += cpu_used().saturating_sub(cpu_start);
    }
    let per_second = verified as f64 / timed.as_secs_f64();
    let all = USERS * ROUNDS;
    // Issue 21's goals: SQLite 2,000/s, PostgreSQL (several instances
    // share it; each commit waits for its WAL flush) 1,000/s.
    let (goal, goal_text) = if engine == Engine::Sqlite {
        (2000.0, "≥ 2,000/s")
    } else {
        (1000.0, "≥ 1,000/s")
    };
    let busy = busy(cpu, timed);
    println!("{e} code step: {per_second:.0}/s ({verified} of {all} verified), cores {busy} busy");
    rows.push(row(
        format!("the whole code step over HTTP ({e}), 32 at once, each with its own valid code"),
        format!("{per_second:.0} verifications/s ({verified} of {all} verified)"),
        "-".into(),
        "-".into(),
        goal_text,
        Some(per_second >= goal && verified == all),
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
    rows.extend(crate::oidc::oidc(&app, e).await);
    rows
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
