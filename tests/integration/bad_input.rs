//! Every server function, called with what a careless or hostile client sends: missing fields,
//! wrong types, empty strings, 10,000 characters, control characters, bytes that are not UTF-8,
//! unknown ids and other organizations' ids. Every answer is a 4xx with a readable message, and
//! nothing the organizations own changes.
use crate::common::{location, TestApp};
use reqwest::header::{CONTENT_TYPE, ORIGIN};

/// Each server function and the fields it takes.
const FUNCTIONS: &[(&str, &[&str])] = &[
    ("sign_up", &["organization", "email"]),
    ("sign_up_link", &["token"]),
    ("confirm_sign_up", &["token", "password"]),
    ("sign_in", &["email", "password", "next"]),
    ("select_account", &["account_id"]),
    ("account_details", &["account_id"]),
    ("rename_account", &["account_id", "name"]),
    ("delete_account", &["account_id", "confirm_name"]),
    ("retest_account", &["account_id"]),
    ("aws_setup", &["kind"]),
    ("link_aws_account", &["kind", "name", "role_arn"]),
    ("create_support_request", &["subject", "description"]),
    ("close_support_request", &["request_id"]),
    ("delete_requested_account", &["request_id", "confirm_name"]),
    ("generate_certificate", &["service"]),
    ("certificate_info", &["certificate_id"]),
    ("link_microsoft_account", &["service", "name", "app_id", "tenant_id", "organization_id", "certificate_id"]),
    ("azure_subscriptions", &["account_id"]),
    ("update_azure_subscriptions", &["account_id", "selected[]"]),
    ("refresh_azure_subscriptions", &["account_id"]),
];

/// What the organizations own, as one comparable value.
async fn fingerprint(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT id || name || external_id FROM organizations ORDER BY id",
        "SELECT id || email || password_hash FROM users ORDER BY id",
        "SELECT id || provider || kind || name || external_account_id || status || status_message || COALESCE(CAST(last_checked_at AS TEXT), '') FROM cloud_accounts ORDER BY id",
        "SELECT id || subject || description || status FROM support_requests ORDER BY id",
        "SELECT id || COALESCE(CAST(account_id AS TEXT), '') || thumbprint FROM certificates ORDER BY id",
        "SELECT account_id || subscription_id || selected FROM azure_subscriptions ORDER BY 1",
    ] {
        out.extend(sqlx::query_scalar::<_, String>(sql).fetch_all(&app.pool).await.expect("fingerprint query"));
    }
    out
}

async fn assert_client_error(res: reqwest::Response, what: &str) {
    let status = res.status();
    let redirect = location(&res);
    let body = res.text().await.unwrap_or_default();
    assert!(status.is_client_error(), "{what}: {status} {redirect} {body}");
    let readable = match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(json) => json["message"].as_str().is_some_and(|m| !m.trim().is_empty()),
        Err(_) => !body.trim().is_empty() && !body.contains("panicked"),
    };
    assert!(readable, "{what}: no readable message in {body:?}");
}

#[tokio::test]
async fn every_server_function_refuses_bad_input_with_a_4xx_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let eve = app.new_browser();
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    app.sign_up(&eve, "Evil Corp", "eve@example.com").await;
    let acme = app.organization_id("ada@example.com").await;
    let account: i64 = sqlx::query_scalar(
        "INSERT INTO cloud_accounts (organization_id, provider, kind, name, external_account_id, status, created_at, updated_at) \
         VALUES ($1, 'azure', '', 'Prod', '72f988bf-86f1-41af-91ab-2d7cd011db47', 'connected', 0, 0) RETURNING id",
    )
    .bind(acme)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO azure_subscriptions (account_id, subscription_id, display_name, state, selected) VALUES ($1, 's1', 'One', 'Enabled', 1)")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    let before = fingerprint(&app).await;

    let long = "x".repeat(10_000);
    let values: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("10,000 characters", long.clone()),
        ("control characters", "a\u{0}b\u{7}\u{1b}[31m\r\nc".into()),
        ("wrong type", "1.5e9999".into()),
        ("unknown id", "987654321".into()),
    ];
    for (name, fields) in FUNCTIONS {
        // Missing fields.
        let res = app.call(&eve, name, &[]).await;
        assert_client_error(res, &format!("{name} without fields")).await;
        let has_ids = fields.iter().any(|f| f.ends_with("_id"));
        for (what, value) in &values {
            // A number-looking string is a fine subject or name: only ids can have a wrong type.
            if !has_ids && (*what == "wrong type" || *what == "unknown id") {
                continue;
            }
            let form: Vec<(&str, &str)> = fields.iter().map(|f| (*f, value.as_str())).collect();
            assert_client_error(app.call(&eve, name, &form).await, &format!("{name} with {what}")).await;
        }
        // Bytes that are not UTF-8.
        let body: Vec<u8> = fields.iter().flat_map(|f| [f.as_bytes(), b"=\xff\xfe\xfd&"].concat()).collect();
        let res = eve
            .post(format!("{}/api/{name}", app.url))
            .header(ORIGIN, &app.url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_client_error(res, &format!("{name} with non-UTF-8")).await;
        // Acme's account, asked for by Evil Corp's user.
        if fields.contains(&"account_id") {
            let id = account.to_string();
            let form: Vec<(&str, &str)> =
                fields.iter().map(|f| (*f, if *f == "account_id" { id.as_str() } else { "Prod" })).collect();
            let res = app.call(&eve, name, &form).await;
            assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND, "{name} with another organization's id");
        }
    }
    // And without any session at all.
    let stranger = app.new_browser();
    for (name, fields) in FUNCTIONS.iter().filter(|(n, _)| !["sign_up", "sign_in", "sign_up_link", "confirm_sign_up"].contains(n)) {
        let form: Vec<(&str, &str)> = fields.iter().map(|f| (*f, "1")).collect();
        assert_eq!(app.call(&stranger, name, &form).await.status(), reqwest::StatusCode::UNAUTHORIZED, "{name}");
    }
    assert_eq!(fingerprint(&app).await, before, "nothing changed");
}
