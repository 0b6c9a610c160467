//! The table `make bench` prints and writes into docs/BENCHMARKS.md.

use crate::{CONNECTIONS, MEASURE, WARMUP};
use std::path::Path;
use std::time::Duration;
use testkit::bench::load::Report;

/// One line of the table.
pub struct Row {
    what: String,
    figure: String,
    reference: String,
    ratio: String,
    goal: &'static str,
    met: Option<bool>,
}

pub fn row(
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

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn throughput(r: &Report) -> String {
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

pub fn render(rows: &[Row], took: Duration) -> String {
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
pub fn write_into_benchmarks(path: &Path, table: &str) {
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

/// The CPU time this process has used so far (user and system), from
/// `/proc/self/stat`: read before and after a timed window, it tells how
/// much of the machine's cores the window kept busy, i.e. whether a
/// figure is bound by the CPU or by waiting. Zero where there is no
/// `/proc`.
pub fn cpu_used() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command's `(…)`, which may hold spaces:
    // utime and stime are the 14th and 15th, in clock ticks (100 a second
    // on Linux).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// The share of the cores that `cpu` over `wall` kept busy, as "73 %".
pub fn busy(cpu: Duration, wall: Duration) -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    format!(
        "{:.0} %",
        100.0 * cpu.as_secs_f64() / (wall.as_secs_f64() * cores)
    )
}
