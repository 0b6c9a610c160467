//! What the benches share: the load generator, a server in its own
//! process, and the flood.

pub mod flood;
pub mod load;
pub mod served;

/// Runs `bench` on a multi-threaded runtime under `cargo bench` (which
/// passes `--bench`); `cargo test --benches` only checks that it builds.
pub fn under_cargo_bench<F: std::future::Future<Output = ()>>(
    name: &str,
    bench: impl FnOnce() -> F,
) {
    if !std::env::args().any(|a| a == "--bench") {
        println!("{name}: runs under `cargo bench` (make bench) only");
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench());
}
