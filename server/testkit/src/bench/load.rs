//! A small HTTP load generator for `make bench`, in the spirit of wrk: a
//! fixed number of keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the last answer has been read, for a fixed time.
//! Latency is measured per request, from send to the last byte of the body.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub requests: u64,
    /// Answers other than 200, and broken connections.
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies of the answered requests, sorted.
    pub latencies: Vec<Duration>,
    /// Body bytes of one answer.
    pub body_bytes: usize,
}

impl Report {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let n = self.latencies.len();
        if n == 0 {
            return Duration::ZERO;
        }
        self.latencies[((n as f64 * p).ceil() as usize).clamp(1, n) - 1]
    }
}

/// The request headers a browser sends for a page or a file.
pub const BROWSER: &[(&str, &str)] = &[
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "ja,en;q=0.8"),
    ("user-agent", "autobank-bench/1"),
];

/// Sends `GET path` over `connections` connections for `warmup` (not
/// counted) and then `duration`.
pub async fn run(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> Report {
    let start = Instant::now() + warmup;
    let end = start + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let path = path.to_owned();
            let headers: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            tokio::spawn(async move { connection(addr, path, headers, start, end).await })
        })
        .collect();
    let mut report = Report {
        requests: 0,
        errors: 0,
        elapsed: duration,
        latencies: Vec::new(),
        body_bytes: 0,
    };
    for worker in workers {
        let (latencies, errors, body_bytes) = worker.await.expect("load worker");
        report.requests += latencies.len() as u64;
        report.errors += errors;
        report.latencies.extend(latencies);
        report.body_bytes = report.body_bytes.max(body_bytes);
    }
    report.latencies.sort_unstable();
    report
}

async fn connection(
    addr: SocketAddr,
    path: String,
    headers: Vec<(String, String)>,
    start: Instant,
    end: Instant,
) -> (Vec<Duration>, u64, usize) {
    let mut latencies = Vec::with_capacity(64 * 1024);
    let (mut errors, mut body_bytes) = (0u64, 0usize);
    'reconnect: while Instant::now() < end {
        let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
            errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            errors += 1;
            continue;
        };
        tokio::spawn(conn);
        loop {
            let now = Instant::now();
            if now >= end {
                break 'reconnect;
            }
            let mut request = Request::get(path.as_str()).header("host", addr.to_string());
            for (k, v) in &headers {
                request = request.header(k.as_str(), v.as_str());
            }
            let request = request.body(Empty::<Bytes>::new()).expect("request");
            let sent = Instant::now();
            let answer = match sender.send_request(request).await {
                Ok(res) => {
                    let ok = res.status() == hyper::StatusCode::OK;
                    match res.into_body().collect().await {
                        Ok(body) => ok.then(|| body.to_bytes().len()),
                        Err(_) => None,
                    }
                }
                Err(_) => None,
            };
            let took = sent.elapsed();
            match answer {
                Some(bytes) => {
                    body_bytes = bytes;
                    if sent >= start {
                        latencies.push(took);
                    }
                }
                None => {
                    if sent >= start {
                        errors += 1;
                    }
                    continue 'reconnect;
                }
            }
        }
    }
    (latencies, errors, body_bytes)
}
