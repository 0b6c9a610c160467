//! The pages anyone may see, as a visitor without cookies gets them,
//! rendered at most about once a second per instance and held in memory,
//! gzipped.
//!
//! Such a page is the same for every such visitor: it depends on its path
//! and query, the build, and what `server::shown` holds (the notices, and
//! where `検索ログイン` goes), nothing else. So one render serves them all
//! until what it showed may have changed: for [`FRESH_FOR`] after what
//! `server::shown` held was read, and not once a change went through this
//! instance (a notice posted, an application registered). Another instance's
//! change shows within the same bound as `server::shown`'s own.
//!
//! A page rendered for one visitor carries a nonce in its
//! Content-Security-Policy, which a page served to many must not: an
//! attacker who reads it could name it. A held page allows instead exactly
//! the inline scripts that carried the nonce, by their SHA-256 (CSP Level
//! 3's hash sources, which `'strict-dynamic'` extends to the scripts they
//! load as it did for the nonce). A page with any other element that
//! carried the nonce is not held.
//!
//! Not held: a request with any cookie (a session, an application's
//! request waiting for sign-in, a remembered device: each may change the
//! page or its policy), any method but GET, and any answer but a 200 that
//! sets no cookie.
//!
//! One signed-in page is held too, by [`serve_menu`]: the business menu,
//! which every sign-in lands on. Its session is resolved for each request
//! as before; only the render is held, keyed by everything the menu shows
//! of the account and the portal (`MenuInfo`), read for that request.

use super::access::{self, Need};
use super::compress;
use super::guard::WaitingApp;
use super::request::CurrentSession;
use super::services::settings;
use super::shown::{FRESH_FOR, STALE_AT_MOST};
use super::AppState;
use crate::routes::{MENU, PUBLIC_PAGES};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use axum::middleware::Next;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The most pages held with a query, or menus: each path and query is one
/// (`/login?next=/menu`, the portal's own links), each different menu
/// one. Past it, such a page is rendered as before until one held goes
/// stale. A public page's own path, without a query, always has its place
/// beyond these.
const MOST_HELD: usize = 64;
/// A longer path and query is never held.
const LONGEST_KEY: usize = 512;

/// The pages held by this instance.
#[derive(Default)]
pub struct PageCache {
    held: Mutex<HashMap<String, Slot>>,
}

#[derive(Default)]
struct Slot {
    page: Option<Arc<Held>>,
    /// A request is rendering this page again: others get the held one
    /// meanwhile, while it is younger than [`STALE_AT_MOST`].
    filling: bool,
}

/// One page, as sent.
struct Held {
    /// What `server::shown` held when the render began was read then (or
    /// later): the page shows nothing older.
    read_at: Instant,
    /// `server::shown`'s count of changes when the render began.
    changes: u64,
    /// The answer's headers, with the policy by hashes.
    headers: HeaderMap,
    plain: Bytes,
    gzip: Option<Bytes>,
}

impl Held {
    fn fresh(&self, now: Instant, changes: u64, age: std::time::Duration) -> bool {
        self.changes == changes && now.saturating_duration_since(self.read_at) < age
    }

    fn respond(&self, gzip: bool) -> Response<Body> {
        let mut res = Response::new(Body::empty());
        *res.headers_mut() = self.headers.clone();
        let h = res.headers_mut();
        // Without a gzip copy (a page under `compress::SMALLEST`),
        // `compress_pages` answers as for any small page.
        if self.gzip.is_some() {
            h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        let body = match (&self.gzip, gzip) {
            (Some(gz), true) => {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gz.clone()
            }
            _ => self.plain.clone(),
        };
        h.insert(header::CONTENT_LENGTH, body.len().into());
        *res.body_mut() = Body::from(body);
        res
    }
}

/// What to do with a request for a page that may be held.
enum Lookup {
    Hit(Arc<Held>),
    /// This request renders it and holds the result.
    Fill,
    /// Another request renders it, and none held is young enough: render
    /// without holding, as every request did before.
    Render,
}

impl PageCache {
    fn lookup(&self, key: &str, now: Instant, changes: u64) -> Lookup {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = held.get_mut(key) {
            let page = slot.page.as_ref();
            if let Some(page) = page.filter(|p| p.fresh(now, changes, FRESH_FOR)) {
                return Lookup::Hit(page.clone());
            }
            if slot.filling {
                return match page.filter(|p| p.fresh(now, changes, STALE_AT_MOST)) {
                    Some(page) => Lookup::Hit(page.clone()),
                    None => Lookup::Render,
                };
            }
            slot.filling = true;
            return Lookup::Fill;
        }
        // A page's own path, without a query, always has its place: made-up
        // queries fill the others, and cannot crowd the pages out.
        if held.len() >= MOST_HELD && !own_path(key) {
            held.retain(|key, slot| {
                own_path(key)
                    || slot.filling
                    || slot
                        .page
                        .as_ref()
                        .is_some_and(|p| p.fresh(now, changes, STALE_AT_MOST))
            });
            if held.len() >= MOST_HELD {
                return Lookup::Render;
            }
        }
        held.insert(
            key.to_owned(),
            Slot {
                page: None,
                filling: true,
            },
        );
        Lookup::Fill
    }

    /// Ends this request's fill: `page` is held, or (`None`) the one held
    /// stays.
    fn filled(&self, key: &str, page: Option<Arc<Held>>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = held.get_mut(key) {
            slot.filling = false;
            if page.is_some() {
                slot.page = page;
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// A page anyone may see, by its own path: always a place of its own.
fn own_path(key: &str) -> bool {
    PUBLIC_PAGES.contains(&key)
}

/// Ends a fill however the request ends: a visitor who hangs up
/// mid-render drops this, and the next request fills again.
struct Filling<'a> {
    cache: &'a PageCache,
    key: &'a str,
    page: Option<Arc<Held>>,
}

impl Drop for Filling<'_> {
    fn drop(&mut self) {
        self.cache.filled(self.key, self.page.take());
    }
}

/// The request's path and query, if its page may be held.
fn key_of(req: &Request) -> Option<&str> {
    let uri = req.uri();
    let pq = uri.path_and_query()?.as_str();
    (req.method() == Method::GET
        && PUBLIC_PAGES.contains(&uri.path())
        && !req.headers().contains_key(header::COOKIE)
        && pq.len() <= LONGEST_KEY)
        .then_some(pq)
}

/// Whether the request asks for the business menu as a sign-in lands on
/// it: a GET of its path, without a query (made-up queries would each
/// take a place).
fn menu_asked(req: &Request) -> bool {
    req.method() == Method::GET && req.uri().path_and_query().map(|pq| pq.as_str()) == Some(MENU)
}

/// Middleware: a page anyone may see, from memory when a visitor without
/// cookies asks for it. Sits inside `compress::compress_pages`, which
/// leaves the gzipped copy alone.
pub async fn serve(
    State((state, cache)): State<(AppState, Arc<PageCache>)>,
    req: Request,
    next: Next,
) -> Response<Body> {
    let Some(key) = key_of(&req) else {
        return next.run(req).await;
    };
    let gzip = super::assets::accepts_encoding(req.headers(), "gzip");
    let cache = &*cache;
    let portal = &state.portal;
    match cache.lookup(key, Instant::now(), portal.changes()) {
        Lookup::Hit(page) => return page.respond(gzip),
        Lookup::Render => return next.run(req).await,
        Lookup::Fill => {}
    }
    // Copied only to fill: a hit allocates no key.
    let key = key.to_owned();
    let filling = Filling {
        cache,
        key: &key,
        page: None,
    };
    // What the page may show is read first (or found young enough), so
    // that the render shows it or something newer: the page is as fresh
    // as `server::shown`, whether or not it shows the notices. A database
    // that is away: the page is rendered as before, and says so.
    if portal.shown(&state.db).await.is_err() {
        return next.run(req).await;
    }
    let (read_at, changes) = portal.version();
    let read_at = read_at.unwrap_or_else(Instant::now);
    let res = next.run(req).await;
    hold(filling, res, read_at, changes, gzip).await
}

/// Middleware: the business menu of a full session, from memory when a
/// menu with the same content was rendered within [`FRESH_FOR`]. Sits
/// inside the guards: the session was resolved for this request, as for
/// every other (`guard::load_session`), so a session that ended on any
/// instance gets no menu, at once; only the render is held.
///
/// What the menu shows of the account and the portal is `MenuInfo` (the
/// role, the date MFA will be required from, the tiles bound to
/// applications), which this reads for the request exactly as the page
/// does, and which is the key: two sessions whose menus would differ never
/// share one. A page is held only if nothing `server::shown` holds was
/// read again between this read and the end of the render, so the page
/// shows what its key says.
pub async fn serve_menu(
    State((state, cache)): State<(AppState, Arc<PageCache>)>,
    req: Request,
    next: Next,
) -> Response<Body> {
    // An application's request waiting for this browser widens the
    // page's policy (`guard::content_security_policy`): rendered for it
    // alone.
    if !menu_asked(&req) || req.extensions().get::<WaitingApp>().is_some() {
        return next.run(req).await;
    }
    let session = req
        .extensions()
        .get::<CurrentSession>()
        .and_then(|c| access::check(c.0.as_ref(), Need::Full).ok());
    let Some(session) = session else {
        return next.run(req).await;
    };
    let portal = &state.portal;
    let before = portal.version();
    let Ok(info) = settings::menu_info(&state, session).await else {
        return next.run(req).await;
    };
    let (Some(read_at), Ok(info)) = (before.0, serde_json::to_string(&info)) else {
        return next.run(req).await;
    };
    let key = format!("{MENU}\n{info}");
    let gzip = super::assets::accepts_encoding(req.headers(), "gzip");
    let cache = &*cache;
    match cache.lookup(&key, Instant::now(), before.1) {
        Lookup::Hit(page) => return page.respond(gzip),
        Lookup::Render => return next.run(req).await,
        Lookup::Fill => {}
    }
    let filling = Filling {
        cache,
        key: &key,
        page: None,
    };
    let res = next.run(req).await;
    // Read again meanwhile (its second was up, or a change): the render
    // may show more than the key says. Sent, not held.
    if portal.version() != before {
        return res;
    }
    hold(filling, res, read_at, before.1, gzip).await
}

/// Holds a rendered page under `filling` and sends it, gzipped when the
/// client takes gzip. What is not a page to hold goes as it came: any
/// answer but a 200 that sets no cookie, a page too large to collect, and
/// a page whose nonce is on anything but an inline script.
async fn hold(
    mut filling: Filling<'_>,
    res: Response<Body>,
    read_at: Instant,
    changes: u64,
    gzip: bool,
) -> Response<Body> {
    if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let whole = match compress::collect(body).await {
        Ok(whole) => whole,
        Err(compress::Collected::TooLarge(body)) => return Response::from_parts(parts, body),
        Err(compress::Collected::Failed(err)) => return compress::failed(parts, err),
    };
    let Some((headers, plain)) = by_hashes(parts.headers.clone(), &whole) else {
        return Response::from_parts(parts, Body::from(whole));
    };
    let gzip_copy = (plain.len() >= compress::SMALLEST)
        .then(|| compress::gzip_encode(&plain).ok())
        .flatten()
        .map(Bytes::from);
    let page = Arc::new(Held {
        read_at,
        changes,
        headers,
        plain: Bytes::from(plain),
        gzip: gzip_copy,
    });
    filling.page = Some(page.clone());
    drop(filling);
    page.respond(gzip)
}

/// The page and its headers with the nonce replaced by the hashes of the
/// inline scripts that carried it; `None` when the page is not one to
/// hold: no nonce in its policy, or the nonce on anything else.
fn by_hashes(mut headers: HeaderMap, html: &[u8]) -> Option<(HeaderMap, Vec<u8>)> {
    let policy = headers
        .get(header::CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let nonce = policy.split("'nonce-").nth(1)?.split('\'').next()?;
    let html = std::str::from_utf8(html).ok()?;
    let attribute = format!(" nonce=\"{nonce}\"");
    let (page, scripts) = strip_nonce(html, &attribute)?;
    let sources = scripts
        .iter()
        .map(|script| format!("'sha256-{}'", sha256_base64(script)))
        .collect::<Vec<_>>()
        .join(" ");
    let policy = policy.replace(&format!("'nonce-{nonce}'"), &sources);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&policy).ok()?,
    );
    headers.remove(header::CONTENT_LENGTH);
    Some((headers, page.into_bytes()))
}

/// `html` without `attribute` (the nonce), and the text of each script
/// that carried it. `None` when it is on anything but an inline
/// `<script>`.
fn strip_nonce<'a>(html: &'a str, attribute: &str) -> Option<(String, Vec<&'a str>)> {
    let mut page = String::with_capacity(html.len());
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(attribute) {
        let (before, after) = (&rest[..at], &rest[at + attribute.len()..]);
        let tag = &before[before.rfind('<')?..];
        let tag_end = after.find('>')?;
        let whole_tag = format!("{tag}{}", &after[..tag_end]);
        if !tag.starts_with("<script") || whole_tag.contains(" src=") {
            return None;
        }
        let body = &after[tag_end + 1..];
        let text = &body[..body.find("</script>")?];
        // What a browser would read otherwise than as these bytes (CR
        // LF made LF, NUL replaced, a script ended or begun by other
        // spellings): not hashed, so the page is not held.
        let lower = text.to_ascii_lowercase();
        if text.contains(['\r', '\0']) || lower.contains("</script") || lower.contains("<!--") {
            return None;
        }
        scripts.push(text);
        page.push_str(before);
        // On after the script: its text is not searched again.
        let end = tag_end + 1 + text.len() + "</script>".len();
        page.push_str(&after[..end]);
        rest = &after[end..];
    }
    page.push_str(rest);
    Some((page, scripts))
}

fn sha256_base64(text: &str) -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use sha2::{Digest, Sha256};
    STANDARD.encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_gives_way_to_the_hashes_of_the_scripts_that_carried_it() {
        let html = r#"<html><head><script type="module" nonce="abc">boot();</script><link rel="x"></head><body><script nonce="abc">data=1</script><script>evil()</script></body></html>"#;
        let (page, scripts) = strip_nonce(html, " nonce=\"abc\"").unwrap();
        assert_eq!(scripts, ["boot();", "data=1"]);
        assert!(!page.contains("abc"), "{page}");
        assert!(page.contains(r#"<script type="module">boot();</script>"#));
        assert!(page.contains("<script>evil()</script>"));

        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; script-src 'nonce-abc' 'strict-dynamic'"),
        );
        let (headers, _) = by_hashes(headers, html.as_bytes()).unwrap();
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert_eq!(
            policy,
            format!(
                "default-src 'self'; script-src 'sha256-{}' 'sha256-{}' 'strict-dynamic'",
                sha256_base64("boot();"),
                sha256_base64("data=1")
            )
        );
        // The well-known value of SHA-256 over "boot();" would do as well;
        // this pins the encoding (standard base64, with padding).
        assert!(sha256_base64("").ends_with('='));
        assert_eq!(
            sha256_base64(""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn a_page_whose_nonce_is_on_anything_but_an_inline_script_is_not_held() {
        for html in [
            r#"<script nonce="abc" src="/pkg/a.js"></script>"#,
            r#"<style nonce="abc">p{}</style>"#,
            r#"<script nonce="abc">unterminated"#,
            "<script nonce=\"abc\">a\r\nb</script>",
            r#"<script nonce="abc"><!--<script></script>"#,
        ] {
            assert!(strip_nonce(html, " nonce=\"abc\"").is_none(), "{html}");
        }
    }

    #[test]
    fn only_a_get_of_a_page_anyone_may_see_without_cookies_and_with_a_short_query_is_held() {
        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
        for uri in ["/", "/login", "/login?next=/menu", "/forgot"] {
            assert_eq!(key_of(&get(uri)), Some(uri));
        }
        let long = format!("/login?next=/{}", "a".repeat(LONGEST_KEY));
        let mut with_cookie = get("/login");
        with_cookie
            .headers_mut()
            .insert(header::COOKIE, HeaderValue::from_static("x=1"));
        let post = Request::post("/login").body(Body::empty()).unwrap();
        for req in [
            get("/menu"),
            get("/login/code"),
            get(&long),
            with_cookie,
            post,
        ] {
            assert_eq!(key_of(&req), None, "{} {}", req.method(), req.uri());
        }
    }

    #[test]
    fn of_signed_in_pages_only_a_get_of_the_menu_without_a_query_is_held() {
        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
        assert!(menu_asked(&get("/menu")));
        let post = Request::post("/menu").body(Body::empty()).unwrap();
        for req in [
            get("/menu?x=1"),
            get("/menu/inventory"),
            get("/mfa"),
            get("/"),
            post,
        ] {
            assert!(!menu_asked(&req), "{} {}", req.method(), req.uri());
        }
    }

    fn held(read_at: Instant, changes: u64) -> Arc<Held> {
        Arc::new(Held {
            read_at,
            changes,
            headers: HeaderMap::new(),
            plain: Bytes::from_static(b"page"),
            gzip: None,
        })
    }

    #[test]
    fn a_page_is_held_while_fresh_and_one_request_at_a_time_renders_it_again() {
        let cache = PageCache::default();
        let t0 = Instant::now();
        assert!(matches!(cache.lookup("/", t0, 0), Lookup::Fill));
        // While the first renders, nothing is held: the others render too.
        assert!(matches!(cache.lookup("/", t0, 0), Lookup::Render));
        cache.filled("/", Some(held(t0, 0)));
        assert!(matches!(cache.lookup("/", t0, 0), Lookup::Hit(_)));
        // A change through this instance: rendered again at once.
        assert!(matches!(cache.lookup("/", t0, 1), Lookup::Fill));
        cache.filled("/", None);
        // Stale: one request renders again, the others get the held page
        // while it is younger than STALE_AT_MOST, and no longer.
        let later = t0 + FRESH_FOR;
        assert!(matches!(cache.lookup("/", later, 0), Lookup::Fill));
        assert!(matches!(cache.lookup("/", later, 0), Lookup::Hit(_)));
        assert!(matches!(
            cache.lookup("/", t0 + STALE_AT_MOST, 0),
            Lookup::Render
        ));
    }

    #[test]
    fn no_more_than_most_held_pages_whatever_the_queries() {
        let cache = PageCache::default();
        let t0 = Instant::now();
        for i in 0..10 * MOST_HELD {
            let key = format!("/login?next=/{i}");
            if let Lookup::Fill = cache.lookup(&key, t0, 0) {
                cache.filled(&key, Some(held(t0, 0)));
            }
        }
        assert_eq!(cache.len(), MOST_HELD);
        // A menu has no place of its own: each different one counts.
        assert!(matches!(cache.lookup("/menu\n{}", t0, 0), Lookup::Render));
        // A page's own path has its place even then.
        assert!(matches!(cache.lookup("/forgot", t0, 0), Lookup::Fill));
        cache.filled("/forgot", Some(held(t0, 0)));
        assert_eq!(cache.len(), MOST_HELD + 1);
        // Once those are stale, new pages take their places.
        let key = "/login?next=/new";
        let later = t0 + STALE_AT_MOST;
        assert!(matches!(cache.lookup(key, later, 0), Lookup::Fill));
        assert_eq!(cache.len(), 2, "/forgot stays, and the new page");
    }
}
