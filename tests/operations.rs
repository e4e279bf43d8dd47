//! What an operator running replicas relies on: the readiness check, and a start on
//! PostgreSQL that refuses a master key only one replica would have.
mod common;

use common::{expect_status, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn readyz_answers_while_the_database_does() {
    let app = TestApp::spawn().await;
    assert_eq!(expect_status(app.get(&app.client, "/readyz").await, StatusCode::OK).await, "ready");
    assert_eq!(expect_status(app.get(&app.client, "/healthz").await, StatusCode::OK).await, "ok");
    // The database gone (its pool closed): not ready, while the process itself is healthy.
    app.close_database().await;
    expect_status(app.get(&app.client, "/readyz").await, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(expect_status(app.get(&app.client, "/healthz").await, StatusCode::OK).await, "ok");
}

#[test]
fn on_postgresql_the_portal_will_not_start_without_a_shared_master_key() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xops"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "postgres://xops@127.0.0.1:1/xops")
        .output()
        .expect("the server binary runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("On PostgreSQL, set XOPS_MASTER_KEY") && said.contains("others cannot open"), "{said}");
}
