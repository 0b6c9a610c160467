//! What the build sends a browser: the first visit's bytes, and the
//! slow-phone timings measured by Playwright (`end2end/bench`).

use crate::table::{row, Row};
use std::path::{Path, PathBuf};

/// The first visit's download: the brotli copies the build made.
pub fn bundle(site_root: &Path) -> Vec<Row> {
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
pub fn slow_phone(root: &Path) -> Vec<Row> {
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
