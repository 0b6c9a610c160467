//! Pages are compressed for browsers that take gzip, never into more bytes
//! than the gzip at level 4 that was sent before (tower-http's, per
//! response), and sent as they are to those that take nothing.

use crate::helpers::*;
use app::domain::Role;
use app::server::clock::format_date;
use app::server::db::notices;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, COOKIE, VARY};
use reqwest::StatusCode;
use std::io::{Read, Write};

/// What a browser sends.
const BROWSER: &str = "gzip, deflate, br, zstd";

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a whole gzip stream");
    out
}

/// The gzip at level 4 of the page as it was sent before.
fn gzip_level_4(page: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(4));
    encoder.write_all(page).unwrap();
    encoder.finish().unwrap().len()
}

#[tokio::test]
async fn every_page_is_gzipped_into_no_more_bytes_than_before() {
    let app = spawn_app().await;
    let (today, now) = (app.clock.today_in_japan(), app.clock.now());
    for day in 0..10 {
        let date = format_date(today - time::Duration::days(day));
        let body = "システムメンテナンスのため、下記の時間帯はご利用いただけません。".repeat(3);
        notices::insert(&app.db, &date, &format!("お知らせ {day}"), &body, now)
            .await
            .unwrap();
    }
    let staff = app.staff("ad01", Role::Admin).await;
    let pages = [
        ("/", None),
        ("/login", None),
        ("/forgot", None),
        ("/menu", Some(&staff.cookie)),
        ("/mfa", Some(&staff.cookie)),
        ("/password", Some(&staff.cookie)),
        ("/helpdesk", Some(&staff.cookie)),
        ("/admin/audit", Some(&staff.cookie)),
        ("/admin/notices", Some(&staff.cookie)),
    ];
    let mut compressed = 0;
    for (path, cookie) in pages {
        let mut req = app
            .client
            .get(app.url(path))
            .header(ACCEPT, "text/html")
            .header(ACCEPT_ENCODING, BROWSER);
        if let Some(c) = cookie {
            req = req.header(COOKIE, format!("{SESSION_COOKIE}={c}"));
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let vary = res
            .headers()
            .get_all(VARY)
            .iter()
            .any(|v| v == "accept-encoding");
        assert!(vary, "{path}: caches must tell the codings apart");
        let coding = res.headers().get(CONTENT_ENCODING).cloned();
        let sent = res.bytes().await.unwrap();
        let page = match coding {
            Some(c) if c == "gzip" => gunzip(&sent),
            None => sent.to_vec(),
            Some(other) => panic!("{path}: {other:?}"),
        };
        assert!(
            String::from_utf8_lossy(&page).contains("</html>"),
            "{path}: a whole page"
        );
        if page.len() > 1024 {
            assert!(sent.len() < page.len(), "{path}: compressed");
            let before = gzip_level_4(&page);
            assert!(
                sent.len() <= before,
                "{path}: {} bytes sent, {before} with gzip at level 4",
                sent.len()
            );
            compressed += 1;
        }
    }
    assert!(compressed >= 6, "the pages over 1 KB: {compressed}");
}

#[tokio::test]
async fn a_browser_that_takes_no_coding_gets_the_page_as_it_is() {
    let app = spawn_app().await;
    for accept in [None, Some("identity"), Some("gzip;q=0, br")] {
        let mut req = app
            .client
            .get(app.url("/login"))
            .header(ACCEPT, "text/html");
        if let Some(a) = accept {
            req = req.header(ACCEPT_ENCODING, a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get(CONTENT_ENCODING).is_none(), "{accept:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("ログインして下さい"), "{accept:?}");
    }
}
