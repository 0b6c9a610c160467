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
