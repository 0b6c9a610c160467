//! The portal page and its notices.

use crate::helpers::*;
use app::server::clock::format_date;
use app::server::db::notices;
use reqwest::StatusCode;

#[tokio::test]
async fn the_portal_shows_both_entries_both_links_and_notices_newest_first() {
    let app = spawn_app().await;
    let today = app.clock.today_in_japan();
    let recent = format_date(today);
    let old = format_date(today - time::Duration::days(40));
    let now = app.clock.now();
    notices::insert(&app.db, &old, "古いお知らせ", "", now)
        .await
        .unwrap();
    notices::insert(&app.db, &recent, "新しいお知らせ", "本文", now)
        .await
        .unwrap();

    let res = app.get("/", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();

    for word in [
        "autoBank System",
        "Automobile search &amp; estimation system for car-dealers",
        "検索ログイン",
        "業務ログイン",
        "多要素認証設定はこちら",
        "パスワードを忘れた方はこちら",
        "&lt;&lt;INFORMATION&gt;&gt;",
    ] {
        assert!(html.contains(word), "{word} missing");
    }
    let new_pos = html.find("新しいお知らせ").expect("recent notice");
    let old_pos = html.find("古いお知らせ").expect("old notice");
    assert!(new_pos < old_pos, "newest first");
    assert_eq!(
        html.matches(">NEW<").count(),
        1,
        "only the recent notice is NEW"
    );
    assert!(html.contains(&recent.replace('-', "/")));
}

/// The notices instance `i` of the pair shows on the portal.
async fn notices_on(pair: &Pair, i: usize) -> Vec<app::types::Notice> {
    let res = pair.call(i, "notices", &[], None).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// Whether instance `i` shows `title`: in its notices, and on the portal
/// page a visitor without cookies gets (held in memory,
/// `server::page_cache`).
async fn shows(pair: &Pair, i: usize, title: &str) -> (bool, bool) {
    let listed = notices_on(pair, i).await.iter().any(|n| n.title == title);
    let page = pair.get(i, "/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    (listed, page.text().await.unwrap().contains(title))
}

/// How long instance `i` takes to show `title`, in its notices and on its
/// page, polled every 50 ms for at most 5 s.
async fn until_shown(pair: &Pair, i: usize, title: &str) -> std::time::Duration {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(5) {
        if shows(pair, i, title).await == (true, true) {
            return start.elapsed();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("instance {i} never showed {title}");
}

#[tokio::test]
async fn a_notice_shows_at_once_where_it_was_posted_and_on_the_other_instance_within_the_bound() {
    use app::server::services::notices::{FRESH_FOR, STALE_AT_MOST};
    let pair = Pair::start().await;
    let (admin, _) = pair.staff(0, "admin01", Role::Admin).await;
    // Both instances hold the list they read, and the page: empty.
    for i in 0..2 {
        assert!(notices_on(&pair, i).await.is_empty());
        assert_eq!(shows(&pair, i, "夏季休業").await, (false, false));
    }
    let post = [
        ("op", "save"),
        ("date", "2022-08-10"),
        ("title", "夏季休業"),
        ("body", ""),
    ];
    assert_eq!(
        pair.call(0, "admin/notice", &post, Some(&admin))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        shows(&pair, 0, "夏季休業").await,
        (true, true),
        "the instance that saved it shows it at once"
    );
    let bound = FRESH_FOR + STALE_AT_MOST;
    let there = until_shown(&pair, 1, "夏季休業").await;
    assert!(there <= bound, "the other instance took {there:?}");

    // The command line writes to the database only: both within the bound.
    let out = pair.cli(&[
        "notice",
        "add",
        "--date",
        "2022-08-11",
        "--title",
        "臨時休業",
    ]);
    assert!(out.status.success());
    for i in 0..2 {
        let took = until_shown(&pair, i, "臨時休業").await;
        assert!(took <= bound, "instance {i} took {took:?}");
    }
}
