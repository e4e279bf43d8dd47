//! Writes on PostgreSQL take turns per organization (`begin_write_in`), not all together: one
//! organization's open write does not hold up another's, while a second write in the same
//! organization, and a write across organizations (`begin_write`), still wait for it. On SQLite
//! every write waits for the one open (one writer per file).
use std::time::Duration;

use reqwest::StatusCode;
use xops::server::{begin_write, begin_write_in};

use crate::common::{expect_status, on_postgres, TestApp};

/// Whether `write` starts within a generous second (a lock that is free is taken at once; one
/// that is held is never taken before it is released).
async fn starts<F: std::future::Future<Output = Result<T, sqlx::Error>>, T>(write: F) -> Option<T> {
    tokio::time::timeout(Duration::from_secs(1), write).await.ok().map(|r| r.expect("the transaction begins"))
}

#[tokio::test]
async fn one_organizations_write_does_not_wait_for_anothers() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let eve = app.new_browser();
    app.sign_up(&eve, "Globex", "eve@example.com").await;
    let (acme, globex) = (app.organization_id("ada@example.com").await, app.organization_id("eve@example.com").await);
    let theirs = app.insert_account(globex, "aws", "linked", "Payments", "111111111111").await;

    let held = begin_write_in(&app.pool, acme).await.unwrap();
    if on_postgres() {
        // Another organization writes, through the router, while Acme's write is open.
        let rename = [("account_id", theirs.to_string()), ("name", "Payments production".to_string())];
        let res = tokio::time::timeout(Duration::from_secs(5), eve.post(format!("{}/api/rename_account", app.url)).header("Origin", &app.url).form(&rename).send())
            .await
            .expect("Globex's rename does not wait for Acme's write")
            .unwrap();
        expect_status(res, StatusCode::OK).await;
        assert!(starts(begin_write_in(&app.pool, globex)).await.is_some());
        // Acme's own writes, and writes across organizations, wait.
        assert!(starts(begin_write_in(&app.pool, acme)).await.is_none(), "a second write of Acme's waits for the first");
        assert!(starts(begin_write(&app.pool)).await.is_none(), "a write across organizations waits");
        held.commit().await.unwrap();
        let next = starts(begin_write_in(&app.pool, acme)).await.expect("free once the first committed");
        // And a write across organizations holds every organization's writes up.
        next.commit().await.unwrap();
        let across = begin_write(&app.pool).await.unwrap();
        assert!(starts(begin_write_in(&app.pool, globex)).await.is_none(), "organizations wait for a write across them");
        across.commit().await.unwrap();
    } else {
        assert!(starts(begin_write_in(&app.pool, globex)).await.is_none(), "SQLite: one writer at a time");
        held.commit().await.unwrap();
    }
    assert!(starts(begin_write_in(&app.pool, globex)).await.is_some());
}
