//! The flood of issue 7 §1, against a running server: `FLOODERS`
//! concurrent unauthenticated sign-ins, every other client hanging up after
//! 50 ms, from clients at a lower CPU priority than the server's (they
//! stand for machines elsewhere). Measured meanwhile: the server's resident
//! memory, a real user's sign-in, and the portal's latency.

use reqwest::header::ACCEPT;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::served::rss_kib;

pub const FLOODERS: usize = 500;

pub struct Flood {
    pub sent: usize,
    pub hung_up: usize,
    pub busy: usize,
    /// Resident memory in KiB: before, at the peak, and 2 s after.
    pub idle: u64,
    pub peak: u64,
    pub after: u64,
    /// A real user's sign-ins: status and time.
    pub sign_ins: Vec<(u16, Duration)>,
    /// The portal's latencies, sorted.
    pub portal: Vec<Duration>,
}

/// Floods the server at `base` (process `pid`) for `flood_for`, while
/// `login_id` signs in with `password` and fetches the portal, over and over.
pub async fn flood(
    base: &str,
    pid: u32,
    login_id: &str,
    password: &str,
    flood_for: Duration,
) -> Flood {
    let base = base.to_owned();
    let idle = rss_kib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(idle));
    let sampler = tokio::spawn({
        let (stop, peak) = (stop.clone(), peak.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let (sent, busy, hung_up) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    // The flooding clients run on a runtime of their own at nice 10: on
    // this 2-core machine they stand for attackers on other machines, and
    // must not take the CPU from the server (nor from the real user below)
    // the way they could not in a deployment.
    let attackers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(|| {
            // SAFETY: setpriority only reads its arguments; `0` names this thread.
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, 10);
            }
        })
        .enable_all()
        .build()
        .unwrap();
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|i| {
            let (stop, sent, busy, hung_up) =
                (stop.clone(), sent.clone(), busy.clone(), hung_up.clone());
            let url = format!("{base}/api/login");
            let password = password.to_owned();
            attackers.spawn(async move {
                let client = reqwest::Client::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let id = format!("flood-{i}-{n}");
                    let request = client
                        .post(&url)
                        .header(ACCEPT, "application/json")
                        .form(&[
                            ("login_id", id.as_str()),
                            ("password", password.as_str()),
                            ("next", "/"),
                        ])
                        .send();
                    sent.fetch_add(1, Ordering::Relaxed);
                    if i % 2 == 0 {
                        // Hang up mid-request.
                        if tokio::time::timeout(Duration::from_millis(50), request)
                            .await
                            .is_err()
                        {
                            hung_up.fetch_add(1, Ordering::Relaxed);
                        }
                    } else if let Ok(res) = request.await {
                        if res.status().as_u16() == 503 {
                            busy.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let flood_started = Instant::now();
    let user = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut sign_ins = Vec::new();
    let mut portal = Vec::new();
    while flood_started.elapsed() < flood_for - Duration::from_secs(2) {
        let start = Instant::now();
        let status = sign_in(&user, &base, login_id, password)
            .send()
            .await
            .map_or(0, |res| res.status().as_u16());
        sign_ins.push((status, start.elapsed()));
        for _ in 0..20 {
            let start = Instant::now();
            // Only pages served in full count; a refused or broken one is
            // left out of the latencies (and shows as fewer requests).
            if let Ok(res) = user.get(&base).send().await {
                if res.status().is_success() && res.bytes().await.is_ok() {
                    portal.push(start.elapsed());
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        let _ = f.await;
    }
    attackers.shutdown_background();
    sampler.await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(pid);
    portal.sort();
    Flood {
        sent: sent.load(Ordering::Relaxed),
        hung_up: hung_up.load(Ordering::Relaxed),
        busy: busy.load(Ordering::Relaxed),
        idle,
        peak: peak.load(Ordering::Relaxed),
        after,
        sign_ins,
        portal,
    }
}

/// A password sign-in posted as the page's own JavaScript posts it, on to
/// the menu.
pub fn sign_in(
    client: &reqwest::Client,
    base: &str,
    login_id: &str,
    password: &str,
) -> reqwest::RequestBuilder {
    client
        .post(format!("{base}/api/login"))
        .header(ACCEPT, "application/json")
        .form(&[
            ("login_id", login_id),
            ("password", password),
            ("next", "/menu"),
        ])
}
