//! Support requests as the guide promises them: the support team (platform operators) sees
//! every organization's requests, closes them, and deletes a management account on request;
//! the requester sees the outcome.
use crate::common::{expect_status, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn operators_delete_a_management_account_on_request_and_the_requester_sees_it_closed() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let acme = app.organization_id("ada@example.com").await;
    let payer = app.insert_account(acme, "aws", "management", "Payer", "111111111111").await;
    app.insert_account(acme, "aws", "linked", "Dev", "222222222222").await;
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil Corp", "eve@example.com").await;
    let evil = app.organization_id("eve@example.com").await;
    let evil_account = app.insert_account(evil, "aws", "management", "Theirs", "333333333333").await;

    // The prefilled deletion request names the account; another organization's account cannot be named.
    let payer_id = payer.to_string();
    let deletion = [("subject", "AWS Management account deletion: Payer"), ("description", "Please delete it."), ("account_id", payer_id.as_str())];
    expect_status(app.call(&app.client, "create_support_request", &deletion).await, StatusCode::OK).await;
    let foreign = evil_account.to_string();
    let res = app.call(&app.client, "create_support_request", &[("subject", "x"), ("description", "y"), ("account_id", &foreign)]).await;
    expect_status(res, StatusCode::NOT_FOUND).await;
    expect_status(app.call(&eve, "create_support_request", &[("subject", "Billing"), ("description", "A question.")]).await, StatusCode::OK).await;

    // Customers never see the inbox, nor act in it.
    expect_status(app.call(&app.client, "support_inbox", &[]).await, StatusCode::NOT_FOUND).await;
    // The page answers 404 and never shows the inbox's heading (issue 24).
    let page = expect_status(app.get(&app.client, "/support/inbox").await, StatusCode::NOT_FOUND).await;
    assert!(!page.contains("Billing") && !page.contains("Support inbox") && page.contains("Page not found"), "{page}");
    let request: i64 = app.count("SELECT id FROM support_requests WHERE account_id IS NOT NULL").await;
    let request_id = request.to_string();
    let res = app.call(&eve, "delete_requested_account", &[("request_id", &request_id), ("confirm_name", "Payer")]).await;
    expect_status(res, StatusCode::NOT_FOUND).await;

    // The operator sees every organization's requests, newest first, and what a deletion takes with it.
    let operator = app.new_browser();
    app.sign_up(&operator, "Xops", "operator@xops.example").await;
    let inbox = expect_status(app.call(&operator, "support_inbox", &[]).await, StatusCode::OK).await;
    let inbox: serde_json::Value = serde_json::from_str(&inbox).unwrap();
    let subjects: Vec<&str> = inbox.as_array().unwrap().iter().map(|i| i["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["Billing", "AWS Management account deletion: Payer"]);
    let account = &inbox[1]["account"];
    assert_eq!((account["name"].as_str(), account["going_with_it"].as_i64()), (Some("Payer"), Some(1)));
    assert_eq!(inbox[1]["organization"], "Acme");
    let page = expect_status(app.get(&operator, "/support/inbox").await, StatusCode::OK).await;
    assert!(page.contains("Delete this management account") && page.contains("its 1 linked account(s) are deleted with it"));

    // The typed name must match; then the account and its linked account go, in one step with the audit row.
    let wrong = app.call(&operator, "delete_requested_account", &[("request_id", &request_id), ("confirm_name", "payer")]).await;
    let body = expect_status(wrong, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("confirm_name"), "{body}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = {acme}")).await, 2);
    let done = app.call(&operator, "delete_requested_account", &[("request_id", &request_id), ("confirm_name", "Payer")]).await;
    expect_status(done, StatusCode::OK).await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = {acme}")).await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = {evil}")).await, 1);
    let (who, detail): (String, String) = sqlx::query_as(
        "SELECT actor, detail FROM audit_log WHERE action = 'delete_account' AND organization_id = $1",
    )
    .bind(acme)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(who, "Xops support (operator@xops.example)");
    assert!(detail.contains("\"Payer\"") && detail.contains("with its 1 linked account(s)"), "{detail}");

    // The requester sees the request closed; it cannot be acted on twice.
    let mine = expect_status(app.call(&app.client, "support_requests", &[]).await, StatusCode::OK).await;
    assert!(mine.contains(r#""status":"closed""#), "{mine}");
    let again = app.call(&operator, "delete_requested_account", &[("request_id", &request_id), ("confirm_name", "Payer")]).await;
    expect_status(again, StatusCode::CONFLICT).await;

    // Close, for any other request.
    let billing = app.count("SELECT id FROM support_requests WHERE subject = 'Billing'").await.to_string();
    expect_status(app.call(&eve, "close_support_request", &[("request_id", &billing)]).await, StatusCode::NOT_FOUND).await;
    expect_status(app.call(&operator, "close_support_request", &[("request_id", &billing)]).await, StatusCode::OK).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM support_requests WHERE status = 'closed' AND closed_by = 'operator@xops.example'").await, 2);
}
