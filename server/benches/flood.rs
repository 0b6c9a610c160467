//! The flood (issue 7 §1) on its own: `cargo bench -p server --bench flood`.
//! 500 concurrent unauthenticated sign-ins, every other client hanging up
//! after 50 ms, for 8 seconds, against the release server in its own
//! process. `make bench` (side_by_side.rs) reports its memory peak among
//! the other figures. Prints figures; nothing passes or fails on time.

use testkit::bench as support;

use std::time::Duration;
use support::flood::{flood, FLOODERS};
use support::served::{Served, Site};

const FLOOD_FOR: Duration = Duration::from_secs(8);
const PASSWORD: &str = "tulip-harbor-87-velvet";

fn main() {
    support::under_cargo_bench("flood", run);
}

async fn run() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_autobank"));
    let site_root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    let site = Site::sqlite();
    site.add_user(bin, &site_root, "dealer01", PASSWORD);
    let server = Served::start(site.command(bin, &site_root, &["serve"]), "/healthz").await;
    let base = format!("http://{}", server.addr);
    let f = flood(&base, server.pid(), "dealer01", PASSWORD, FLOOD_FOR).await;
    let worst_sign_in = f.sign_ins.iter().map(|(_, d)| *d).max().unwrap();
    let completed = f.sign_ins.iter().filter(|(s, _)| *s == 200).count();
    let told_busy = f.sign_ins.iter().filter(|(s, _)| *s == 503).count();
    println!(
        "flood: {FLOODERS} clients, every other hanging up after 50 ms, {} s; {} sign-ins sent, {} hung up, {} told busy (of those that waited)",
        FLOOD_FOR.as_secs(),
        f.sent,
        f.hung_up,
        f.busy,
    );
    println!(
        "  server resident memory: idle {:.1} MB, peak in the flood {:.1} MB (goal < 256 MB), 2 s after it {:.1} MB",
        f.idle as f64 / 1024.0,
        f.peak as f64 / 1024.0,
        f.after as f64 / 1024.0
    );
    println!(
        "  a real user's sign-in: {} tries, {completed} completed, {told_busy} told busy, slowest answer {worst_sign_in:.0?} (goal: an answer within 2 s)",
        f.sign_ins.len()
    );
    println!(
        "  the portal: {} requests, p50 {:.1?}, p99 {:.1?} (goal p99 < 50 ms)",
        f.portal.len(),
        percentile(&f.portal, 0.50),
        percentile(&f.portal, 0.99)
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}
