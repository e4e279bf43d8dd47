//! The workspace (layout data) and the Select account choice, scoped to the caller's organization.
use crate::common::{expect_status, TestApp};
use reqwest::StatusCode;

async fn add_account(app: &TestApp, org: i64, name: &str, external: &str) -> i64 {
    app.insert_account(org, "aws", "management", name, external).await
}

#[tokio::test]
async fn the_account_choice_is_remembered_and_scoped_to_the_organization() {
    let app = TestApp::spawn().await;
    let bob = app.new_browser();
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    app.sign_up(&bob, "Globex", "bob@example.com").await;
    let acme = app.organization_id("ada@example.com").await;
    let globex = app.organization_id("bob@example.com").await;
    let prod = add_account(&app, acme, "Prod", "111111111111").await;
    let dev = add_account(&app, acme, "Dev", "222222222222").await;
    let globex_account = add_account(&app, globex, "Globex main", "333333333333").await;

    let ws: xops::accounts::workspace::Workspace =
        serde_json::from_str(&expect_status(app.call(&app.client, "workspace", &[]).await, StatusCode::OK).await)
            .unwrap();
    assert_eq!(ws.email, "ada@example.com");
    assert_eq!(ws.accounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Dev", "Prod"]);
    assert!(ws.accounts.iter().all(|a| a.id != globex_account), "never another organization's accounts");

    expect_status(app.call(&app.client, "select_account", &[("account_id", &prod.to_string())]).await, StatusCode::OK)
        .await;
    let ws: xops::accounts::workspace::Workspace =
        serde_json::from_str(&expect_status(app.call(&app.client, "workspace", &[]).await, StatusCode::OK).await)
            .unwrap();
    assert_eq!(ws.current_account_id, Some(prod));
    assert_ne!(Some(dev), ws.current_account_id);

    // Another organization's id is unknown here, and changes nothing.
    let body = expect_status(
        app.call(&app.client, "select_account", &[("account_id", &globex_account.to_string())]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(body.contains("does not exist in your organization"));
    let ws: xops::accounts::workspace::Workspace =
        serde_json::from_str(&expect_status(app.call(&app.client, "workspace", &[]).await, StatusCode::OK).await)
            .unwrap();
    assert_eq!(ws.current_account_id, Some(prod));

    expect_status(
        app.call(&app.client, "select_account", &[("account_id", "not-a-number")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn long_lists_come_a_page_at_a_time() {
    use xops::accounts::check_store::CheckRecord;
    use xops::accounts::store::{insert, Credentials, NewAccount};
    use xops::accounts::workspace::{CardPage, Workspace};
    use xops::accounts::PAGE_SIZE;
    use xops::domain::{AccountKind, AwsKind, CheckReason, Verified};
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    app.sign_up(&app.new_browser(), "Globex", "bob@example.com").await;
    let acme = app.organization_id("ada@example.com").await;
    let globex = app.organization_id("bob@example.com").await;
    let verified = Verified::connected("");
    let check = CheckRecord { at: 0, reason: CheckReason::Link, duration_ms: 0, next_check_at: i64::MAX };
    let mut conn = app.pool.acquire().await.unwrap();
    for (org, count) in [(acme, 120), (globex, 3)] {
        for i in 0..count {
            let (name, id) = (format!("Account {i:03}"), format!("{org:06}{i:06}"));
            let account = NewAccount {
                kind: AccountKind::Aws(if i == 7 { AwsKind::Management } else { AwsKind::Linked }),
                name: &name,
                external_account_id: &id,
                credentials: Credentials::AwsRole { role_arn: "" },
                verified: &verified,
            };
            insert(&mut conn, org, &account, &check).await.unwrap();
        }
    }
    let ws: Workspace =
        serde_json::from_str(&expect_status(app.call(&app.client, "workspace", &[]).await, StatusCode::OK).await)
            .unwrap();
    assert_eq!(ws.accounts.len() as i64, PAGE_SIZE, "only the first page travels with every page view");
    assert_eq!(ws.total_accounts(), 120);
    assert_eq!(ws.accounts[0].name, "Account 007", "the management account comes first");
    let bob = app.new_browser();
    app.sign_in(&bob, "bob@example.com", crate::common::PASSWORD).await;
    let small: Workspace =
        serde_json::from_str(&expect_status(app.call(&bob, "workspace", &[]).await, StatusCode::OK).await).unwrap();
    assert_eq!((small.accounts.len(), small.total_accounts()), (3, 3), "a short list is its own total");

    let page3: CardPage = serde_json::from_str(
        &expect_status(app.call(&app.client, "card_accounts", &[("card", "aws"), ("page", "3")]).await, StatusCode::OK)
            .await,
    )
    .unwrap();
    assert_eq!((page3.accounts.len(), page3.total), (20, 120));
    assert_eq!(page3.accounts.last().map(|a| a.name.as_str()), Some("Account 119"));
    let html = expect_status(app.get(&app.client, "/integrations/aws?page=3").await, StatusCode::OK).await;
    let listed = xops::layout::DROPDOWN_ACCOUNTS;
    assert_eq!(html.matches(r#"name="account_id""#).count(), listed + 20, "Select account lists {listed}, plus page 3's Re-test buttons");
    assert!(html.contains(&format!("{} more accounts in Integrations", 120 - listed)));
    assert!(
        html.contains("Showing 101–120 of 120") && html.contains("Account 119"),
        "the page renders page 3: {}",
        &html[html.len().saturating_sub(3000)..]
    );
    expect_status(
        app.call(&app.client, "card_accounts", &[("card", "gcp"), ("page", "1")]).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

/// Another writer holding SQLite's write lock: a write waits for it (the busy timeout) and,
/// past the timeout, answers 503 asking to try again; it never panics or loses data.
#[tokio::test]
async fn writes_wait_for_a_locked_database_then_ask_to_try_again() {
    if crate::common::on_postgres() {
        return; // SQLite's one write lock; PostgreSQL writers wait on rows (begin_write's lock).
    }
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    let id = add_account(&app, org, "Prod", "111111111111").await;
    let name_of = || sqlx::query_scalar::<_, String>("SELECT name FROM cloud_accounts WHERE id = $1").bind(id);
    let mut writer = app.pool.acquire().await.unwrap();

    sqlx::query("BEGIN IMMEDIATE").execute(&mut *writer).await.unwrap();
    let rename = {
        let (client, url) = (app.client.clone(), app.url.clone());
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let res = client
                .post(format!("{url}/api/rename_account"))
                .header("Origin", &url)
                .form(&[("account_id", id.to_string()), ("name", "Production".into())])
                .send()
                .await
                .unwrap();
            (res.status(), started.elapsed())
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    sqlx::query("COMMIT").execute(&mut *writer).await.unwrap();
    let (status, waited) = rename.await.unwrap();
    assert!(status.is_success() || status.is_redirection(), "the rename waited for the lock: {status}");
    assert!(waited >= std::time::Duration::from_millis(900), "it did wait ({waited:?})");
    assert_eq!(name_of().fetch_one(&app.pool).await.unwrap(), "Production");

    sqlx::query("BEGIN IMMEDIATE").execute(&mut *writer).await.unwrap();
    let res = app.call(&app.client, "rename_account", &[("account_id", &id.to_string()), ("name", "Staging")]).await;
    let body = expect_status(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(body.contains("try again in a moment"), "{body}");
    sqlx::query("ROLLBACK").execute(&mut *writer).await.unwrap();
    assert_eq!(name_of().fetch_one(&app.pool).await.unwrap(), "Production", "nothing half-done");
}
