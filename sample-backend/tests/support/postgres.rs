//! The PostgreSQL server of the test command (`scripts/postgres.sh`, started by
//! `scripts/test-all.sh` and given as `IAV_TEST_POSTGRES_URL`): a fresh database per test.

use sqlx::Connection;

/// The URL of a new, empty database on the test server; `None` (the test says it is skipped)
/// when no server is given, unless `IAV_REQUIRE_POSTGRES=1` (as in the test command), which
/// makes a missing server a failure.
pub async fn fresh_database(test: &str) -> Option<String> {
    let Some(server) = std::env::var("IAV_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var("IAV_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "IAV_REQUIRE_POSTGRES=1 but IAV_TEST_POSTGRES_URL is not set"
        );
        eprintln!(
            "{test}: skipped, no PostgreSQL (set IAV_TEST_POSTGRES_URL, e.g. from \
             `scripts/postgres.sh start DIR; scripts/postgres.sh url DIR`)"
        );
        return None;
    };
    let name = format!("iav_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&server)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE");
    conn.close().await.ok();
    let mut url = url::Url::parse(&server).expect("IAV_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    Some(url.to_string())
}
