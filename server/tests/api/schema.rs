//! The two engines' migrations define one schema.

use crate::helpers::*;
use app::server::db::Db;
use std::collections::BTreeMap;

/// table -> (columns as (name, nullable), indexes as (name, columns)).
type Schema = BTreeMap<String, (Vec<(String, bool)>, Vec<(String, String)>)>;

async fn sqlite_schema(db: &Db) -> Schema {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let columns: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(&table)
                .fetch_all(db.pool())
                .await
                .unwrap();
        let columns = columns
            .into_iter()
            .map(|(name, not_null, pk)| (name, not_null == 0 && pk == 0))
            .collect();
        // Explicit indexes only: the ones UNIQUE and PRIMARY KEY make are
        // named by each engine in its own way.
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
             AND sql IS NOT NULL ORDER BY name",
        )
        .bind(&table)
        .fetch_all(db.pool())
        .await
        .unwrap();
        let mut indexes = Vec::new();
        for name in names {
            let cols: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(db.pool())
                    .await
                    .unwrap();
            indexes.push((name, cols.join(",")));
        }
        schema.insert(table, (columns, indexes));
    }
    schema
}

async fn postgres_schema(db: &Db) -> Schema {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_name <> '_sqlx_migrations' ORDER BY table_name",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&table)
        .fetch_all(db.pool())
        .await
        .unwrap();
        let columns = columns
            .into_iter()
            .map(|(name, nullable)| (name, nullable == "YES"))
            .collect();
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.relname::text, string_agg(a.attname::text, ',' ORDER BY k.ord) \
             FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE t.relname = $1 AND NOT x.indisprimary \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
             GROUP BY i.relname ORDER BY i.relname",
        )
        .bind(&table)
        .fetch_all(db.pool())
        .await
        .unwrap();
        schema.insert(table, (columns, indexes));
    }
    schema
}

#[tokio::test]
#[ignore = "needs both engines: run by make test-postgres"]
async fn the_sqlite_and_postgresql_migrations_define_the_same_schema() {
    let (sqlite_url, _dir) = fresh_database(Engine::Sqlite).await;
    let (postgres_url, _) = fresh_database(Engine::Postgres).await;
    let sqlite = Db::connect(&sqlite_url).await.unwrap();
    let postgres = Db::connect(&postgres_url).await.unwrap();

    let (lite, pg) = (
        sqlite_schema(&sqlite).await,
        postgres_schema(&postgres).await,
    );

    assert!(
        lite.contains_key("users") && lite["users"].0.len() > 5,
        "{lite:?}"
    );
    assert_eq!(
        lite.keys().collect::<Vec<_>>(),
        pg.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, (columns, indexes)) in &lite {
        assert_eq!(columns, &pg[table].0, "{table}: columns and nullability");
        assert_eq!(indexes, &pg[table].1, "{table}: indexes");
    }
    postgres.close().await;
}
