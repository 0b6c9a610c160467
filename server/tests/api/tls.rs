//! TLS to PostgreSQL, against a throw-away cluster of the test's own with
//! `ssl=on` and a certificate it makes: `sslmode` is honoured, and a TLS
//! failure is a configuration error reported at start, not an outage
//! waited out.

use crate::helpers::Cluster;
use app::server::db::Db;
use server::config::Settings;
use std::time::Duration;

fn settings(url: String) -> Settings {
    Settings {
        database_url: url,
        data_dir: "unused".into(),
        secret_key: None,
        trusted_proxies: vec![],
        log_format: server::config::LogFormat::Text,
        limits: Default::default(),
        issuer: None,
        metrics_addr: None,
    }
}

#[tokio::test]
#[ignore = "starts a PostgreSQL cluster of its own: make test-postgres runs it"]
async fn tls_to_postgresql_is_verified_and_its_failures_stop_the_start() {
    let cluster = Cluster::start(true);
    let root = cluster.file("server-ca.crt");

    let verified = cluster.url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        root.display()
    ));
    let db = Db::connect(&verified)
        .await
        .expect("verify-full with the right root");
    let on_tls: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(on_tls, "the connection is encrypted");
    db.close().await;
    Db::connect(&cluster.url("sslmode=require"))
        .await
        .expect("require");
    Db::connect(&cluster.url("sslmode=prefer"))
        .await
        .expect("prefer uses TLS");

    // A certificate from another authority: refused at once, not retried.
    let other = cluster.file("other-ca.crt");
    let wrong = cluster.url(&format!(
        "sslmode=verify-full&sslrootcert={}",
        other.display()
    ));
    let started = tokio::time::timeout(
        Duration::from_secs(10),
        server::startup::open_database(&settings(wrong)),
    )
    .await
    .expect("a TLS failure is not waited out");
    let err = started.expect_err("the start fails").to_string();
    assert!(err.contains("TLS") && err.contains("sslrootcert"), "{err}");

    // Without TLS the cluster refuses: an error too, never plain text.
    assert!(Db::connect(&cluster.url("sslmode=disable")).await.is_err());
}
