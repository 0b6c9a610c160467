//! The site's built files under `/pkg`: their names, and how they are
//! served.
//!
//! A release build (`cargo leptos build --release --precompress`, with
//! `hash-files` on) names each file after its content
//! (`autobank.<hash>.css`) and writes a brotli (quality 11) and a gzip copy
//! beside it. A file whose name changes with its content can be cached by
//! browsers for good; the server sends the precompressed copy the browser
//! accepts and compresses nothing per request.

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use leptos::prelude::LeptosOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The names of the stylesheet, the JavaScript and the WASM, as the pages
/// link them, and what the split-off parts each page needs.
#[derive(Debug, Clone)]
pub struct Assets {
    /// Whether the names carry their content's hash (so may be cached for good).
    pub hashed: bool,
    pub css: String,
    /// The folder of the built files (`pkg`).
    pub pkg: String,
    /// The JavaScript and the WASM, without the extension
    /// (`autobank.<hash>`), as Leptos's hydration script takes them.
    pub js: String,
    pub wasm: String,
    /// The split loader (`__wasm_split.<hash>.js`), under `/pkg`.
    pub split_js: String,
    /// The manifest of the split-off parts, if the build made one (`--split`).
    split: Option<leptos::WasmSplitManifest>,
}

static ASSETS: OnceLock<Assets> = OnceLock::new();

/// cargo-leptos's names for the split loader and manifest without hashes.
const PLAIN_SPLIT_JS: &str = "__wasm_split.______________________.js";
const PLAIN_SPLIT_MANIFEST: &str = "__wasm_split_manifest.json";

impl Assets {
    /// Reads the names once, at start. With `hash_files` on, cargo-leptos's
    /// hash file (next to the executable, where Leptos itself reads it)
    /// must be there: a release build without it would link files that do
    /// not exist, so the server refuses to start.
    pub fn load(options: &LeptosOptions) -> Result<Self, String> {
        let name = &options.output_name;
        if !options.hash_files {
            return Ok(Self::plain(options));
        }
        let path = hash_file_path(options);
        let text = std::fs::read_to_string(&path).map_err(|err| {
            format!(
                "LEPTOS_HASH_FILES is on but the hash file {} cannot be read ({err}); \
                 build with `cargo leptos build --release`",
                path.display()
            )
        })?;
        let hash = |kind: &str| {
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("the hash file {} has no `{kind}` line", path.display()))
        };
        // A build without `--split` has no split loader and no manifest:
        // then no page links a split-off part.
        let split_js = hash("split").map_or(PLAIN_SPLIT_JS.to_owned(), |h| {
            format!("__wasm_split.{h}.js")
        });
        let split_manifest = hash("manifest").map_or(PLAIN_SPLIT_MANIFEST.to_owned(), |h| {
            format!("__wasm_split_manifest.{h}.json")
        });
        Ok(Self {
            hashed: true,
            css: format!("/{}/{name}.{}.css", options.site_pkg_dir, hash("css")?),
            pkg: options.site_pkg_dir.to_string(),
            js: format!("{name}.{}", hash("js")?),
            wasm: format!("{name}.{}", hash("wasm")?),
            split_js,
            split: None,
        }
        .with_split_manifest(options, &split_manifest))
    }

    fn plain(options: &LeptosOptions) -> Self {
        let name = options.output_name.to_string();
        // Without LEPTOS_OUTPUT_NAME at build time, wasm-bindgen's own name.
        let wasm = match option_env!("LEPTOS_OUTPUT_NAME") {
            Some(_) => name.clone(),
            None => format!("{name}_bg"),
        };
        Self {
            hashed: false,
            css: format!("/{}/{name}.css", options.site_pkg_dir),
            pkg: options.site_pkg_dir.to_string(),
            js: name,
            wasm,
            split_js: PLAIN_SPLIT_JS.to_owned(),
            split: None,
        }
        .with_split_manifest(options, PLAIN_SPLIT_MANIFEST)
    }

    /// Reads the split manifest `name`, where the build made one.
    fn with_split_manifest(self, options: &LeptosOptions, name: &str) -> Self {
        let path = Path::new(options.site_root.as_ref())
            .join(&self.pkg)
            .join(name);
        let parts = std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        let split = parts.map(|parts| {
            leptos::WasmSplitManifest(leptos::prelude::ArcStoredValue::new((
                format!("/{}", self.pkg),
                parts,
                self.split_js.clone(),
            )))
        });
        Self { split, ..self }
    }

    /// Makes these the names every page links. The first call wins: all
    /// servers in one process serve the same build.
    pub fn install(self) -> &'static Assets {
        ASSETS.get_or_init(|| self)
    }

    /// The names the pages link: those installed at start, or the
    /// unhashed defaults.
    pub fn current() -> &'static Assets {
        ASSETS
            .get_or_init(|| Self::plain(&LeptosOptions::builder().output_name("autobank").build()))
    }
}

/// Leptos's `HydrationScripts`, with the names read once at start: Leptos's
/// own reads cargo-leptos's hash file from disk on every page it renders,
/// and takes a copy of the options (`make bench`, docs/BENCHMARKS.md). The
/// same two hints and the same script as Leptos 0.8's, and the split
/// manifest in the context, as Leptos's, for the split-off pages' hints.
#[leptos::component]
pub fn HydrationScripts() -> impl leptos::IntoView {
    use leptos::prelude::*;
    let assets = Assets::current();
    if let Some(manifest) = &assets.split {
        provide_context(manifest.clone());
    }
    let (pkg, js, wasm) = (&assets.pkg, &assets.js, &assets.wasm);
    let boot = format!("{HYDRATE}(\"\", {pkg:?}, {js:?}, {wasm:?}, false);");
    view! {
        <link rel="modulepreload" href=format!("/{pkg}/{js}.js") crossorigin="anonymous" />
        <link
            rel="preload"
            href=format!("/{pkg}/{wasm}.wasm")
            r#as="fetch"
            r#type="application/wasm"
            crossorigin="anonymous"
        />
        <script type="module" nonce=leptos::nonce::use_nonce()>
            {boot}
        </script>
    }
}

/// Leptos 0.8's hydration script (`leptos/src/hydration/hydration_script.js`).
const HYDRATE: &str = r#"(function (root, pkg_path, output_name, wasm_output_name, defer) {
	const hydrate = () =>
		import(`${root}/${pkg_path}/${output_name}.js`)
			.then(mod => {
				mod.default({module_or_path: `${root}/${pkg_path}/${wasm_output_name}.wasm`}).then(() => {
					mod.hydrate();
				});
			});
	if (defer && "requestIdleCallback" in window) {
		window.requestIdleCallback(hydrate, { timeout: 2000 });
	} else {
		hydrate();
	}
})"#;

fn hash_file_path(options: &LeptosOptions) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join(options.hash_file.as_ref())
}

/// `Cache-Control` of a file under `/pkg`: for good when its name carries
/// its hash, otherwise checked again on every use.
pub fn cache_control(hashed: bool) -> &'static str {
    if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// The built files under `/pkg`, with the brotli and gzip copies the
/// build made, held in memory: a request costs a map lookup, no file
/// system work and no compression. In development (`cargo leptos watch`
/// rebuilds the files under a running server) they are read from disk on
/// every request instead.
pub struct Files {
    dir: PathBuf,
    cache_control: HeaderValue,
    held: Option<HashMap<String, File>>,
}

/// One file and its precompressed copies.
#[derive(Clone)]
struct File {
    content_type: HeaderValue,
    plain: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
}

impl Files {
    /// Reads every file of the site's `pkg` folder (held in memory unless
    /// `options.env` is development). A missing folder serves nothing.
    pub fn load(options: &LeptosOptions, assets: &Assets) -> Self {
        let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        let held = (options.env != leptos::config::Env::DEV).then(|| {
            std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| !name.ends_with(".br") && !name.ends_with(".gz"))
                .filter_map(|name| Some((name.clone(), read(&dir, &name)?)))
                .collect()
        });
        Self {
            dir,
            cache_control: HeaderValue::from_static(cache_control(assets.hashed)),
            held,
        }
    }

    /// The answer to `GET /pkg/{name}`: the smallest copy the request's
    /// `Accept-Encoding` allows, or 404.
    pub fn respond(&self, name: &str, headers: &HeaderMap) -> Response {
        let file = match &self.held {
            Some(held) => held.get(name).cloned(),
            None => read(&self.dir, name),
        };
        let Some(file) = file else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let accepts = |coding: &str| accepts_encoding(headers, coding);
        let (body, encoding) = match (file.br, file.gzip) {
            (Some(br), _) if accepts("br") => (br, Some("br")),
            (_, Some(gzip)) if accepts("gzip") => (gzip, Some("gzip")),
            _ => (file.plain, None),
        };
        let mut res = body.into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, file.content_type);
        h.insert(header::CACHE_CONTROL, self.cache_control.clone());
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Some(encoding) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        res
    }
}

/// Reads `dir/name` and its `.br` and `.gz` copies. Names are the build's
/// own: anything that could leave the folder is refused.
fn read(dir: &Path, name: &str) -> Option<File> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
        return None;
    }
    let plain = std::fs::read(dir.join(name)).ok()?;
    let copy = |suffix: &str| {
        std::fs::read(dir.join(format!("{name}.{suffix}")))
            .ok()
            .map(Bytes::from)
    };
    Some(File {
        content_type: HeaderValue::from_static(content_type(name)),
        plain: Bytes::from(plain),
        br: copy("br"),
        gzip: copy("gz"),
    })
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Whether `Accept-Encoding` names `coding` (or `*`) without `q=0`.
pub fn accepts_encoding(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_hashes_the_plain_names_are_linked_and_revalidated() {
        let options = LeptosOptions::builder().output_name("autobank").build();
        let assets = Assets::load(&options).unwrap();
        assert_eq!(assets.css, "/pkg/autobank.css");
        assert_eq!(cache_control(assets.hashed), "no-cache");
    }

    #[test]
    fn hashed_names_come_from_the_hash_file_and_are_cached_for_good() {
        let dir = std::env::current_exe().unwrap();
        let dir = dir.parent().unwrap();
        let name = format!("assets-test-{}.txt", std::process::id());
        std::fs::write(dir.join(&name), "js: J1\nwasm: W2\ncss: C3\n").unwrap();
        let options = LeptosOptions::builder()
            .output_name("autobank")
            .hash_files(true)
            .hash_file(name.clone().into())
            .build();
        let assets = Assets::load(&options);
        std::fs::remove_file(dir.join(&name)).unwrap();
        let assets = assets.unwrap();
        assert_eq!(assets.css, "/pkg/autobank.C3.css");
        assert_eq!(
            (assets.js.as_str(), assets.wasm.as_str()),
            ("autobank.J1", "autobank.W2")
        );
        assert_eq!(
            assets.split_js, PLAIN_SPLIT_JS,
            "no split build, no split loader"
        );
        assert!(cache_control(assets.hashed).contains("immutable"));
    }

    /// A built site with one stylesheet and its brotli and gzip copies.
    fn site() -> (tempfile::TempDir, LeptosOptions) {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(pkg.join("autobank.H1.css"), "body{color:red}").unwrap();
        std::fs::write(pkg.join("autobank.H1.css.br"), "BROTLI").unwrap();
        std::fs::write(pkg.join("autobank.H1.css.gz"), "GZIP").unwrap();
        let options = LeptosOptions::builder()
            .output_name("autobank")
            .site_root(dir.path().display().to_string())
            .build();
        (dir, options)
    }

    async fn fetch(hashed: bool, accept_encoding: Option<&str>) -> axum::http::Response<String> {
        fetch_from(
            hashed,
            leptos::config::Env::PROD,
            "autobank.H1.css",
            accept_encoding,
        )
        .await
    }

    async fn fetch_from(
        hashed: bool,
        env: leptos::config::Env,
        name: &str,
        accept_encoding: Option<&str>,
    ) -> axum::http::Response<String> {
        let (_dir, mut options) = site();
        options.env = env;
        let assets = Assets {
            css: "/pkg/autobank.H1.css".into(),
            ..Assets::plain(&options)
        };
        let assets = Assets { hashed, ..assets };
        let mut headers = HeaderMap::new();
        if let Some(enc) = accept_encoding {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(enc).unwrap());
        }
        let res = Files::load(&options, &assets).respond(name, &headers);
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        axum::http::Response::from_parts(parts, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_precompressed_copy_the_browser_accepts_is_sent_as_it_is() {
        let res = fetch(true, Some("gzip, deflate, br, zstd")).await;
        assert_eq!(res.headers()["content-encoding"], "br");
        assert_eq!(res.body(), "BROTLI");
        assert_eq!(res.headers()["content-type"], "text/css");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );

        let res = fetch(true, Some("gzip")).await;
        assert_eq!(res.headers()["content-encoding"], "gzip");
        assert_eq!(res.body(), "GZIP");

        let res = fetch(true, None).await;
        assert!(res.headers().get("content-encoding").is_none());
        assert_eq!(res.body(), "body{color:red}");
    }

    #[tokio::test]
    async fn a_coding_refused_with_q_0_is_not_sent() {
        let res = fetch(true, Some("br;q=0, gzip")).await;
        assert_eq!(res.headers()["content-encoding"], "gzip");
        assert_eq!(res.headers()["vary"], "accept-encoding");
    }

    #[tokio::test]
    async fn only_the_builds_own_files_are_served() {
        for name in ["missing.css", "../Cargo.toml", ".hidden", ""] {
            let res = fetch_from(true, leptos::config::Env::PROD, name, None).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{name}");
        }
        // In development, read from disk on every request: the same rules.
        let res = fetch_from(
            false,
            leptos::config::Env::DEV,
            "../pkg/autobank.H1.css",
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = fetch_from(
            false,
            leptos::config::Env::DEV,
            "autobank.H1.css",
            Some("br"),
        )
        .await;
        assert_eq!(res.body(), "BROTLI");
    }

    #[tokio::test]
    async fn unhashed_files_are_checked_again_on_every_use() {
        let res = fetch(false, Some("br")).await;
        assert_eq!(res.headers()["cache-control"], "no-cache");
        assert_eq!(res.body(), "BROTLI");
    }

    #[test]
    fn a_missing_hash_file_stops_the_start_with_its_path() {
        let options = LeptosOptions::builder()
            .output_name("autobank")
            .hash_files(true)
            .hash_file("no-such-hash-file.txt".into())
            .build();
        let err = Assets::load(&options).unwrap_err();
        assert!(err.contains("no-such-hash-file.txt"), "{err}");
    }
}
