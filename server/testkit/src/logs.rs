//! The log capture: one subscriber for the whole test binary. While a
//! capture is open every level of the server's logs is kept; with
//! `TEST_LOG=1` the logs (filtered by `RUST_LOG`) are printed too.

use std::sync::{Mutex, Once};

/// Log lines written while a capture is open (see [`capture_logs`]).
static CAPTURED: Mutex<Option<Vec<u8>>> = Mutex::new(None);

struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(captured) = CAPTURED.lock().unwrap().as_mut() {
            captured.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the subscriber, once.
pub fn init_logging() {
    use tracing_subscriber::{filter, fmt, prelude::*, EnvFilter};
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let capture = fmt::layer()
            .with_writer(|| CaptureWriter)
            .with_ansi(false)
            .with_span_events(fmt::format::FmtSpan::NEW | fmt::format::FmtSpan::CLOSE)
            .with_filter(filter::filter_fn(|meta| {
                // The test's own HTTP client is not the server.
                let client = ["reqwest", "hyper_util::client", "hyper::client"]
                    .iter()
                    .any(|t| meta.target().starts_with(t));
                !client && CAPTURED.lock().unwrap().is_some()
            }));
        let print = std::env::var_os("TEST_LOG").map(|_| {
            fmt::layer().with_test_writer().with_filter(
                EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
            )
        });
        tracing_subscriber::registry()
            .with(capture)
            .with(print)
            .init();
    });
}

/// Runs `work` while capturing every log line of the process, and returns
/// them with `work`'s result.
pub async fn capture_logs<T>(work: impl std::future::Future<Output = T>) -> (T, String) {
    init_logging();
    *CAPTURED.lock().unwrap() = Some(Vec::new());
    let out = work.await;
    let captured = CAPTURED.lock().unwrap().take().unwrap_or_default();
    (out, String::from_utf8_lossy(&captured).into_owned())
}
