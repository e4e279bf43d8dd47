//! Every endpoint of the registry (`xops::endpoints`), called with what a careless or hostile
//! client sends: missing fields, wrong types, empty strings, 10,000 characters, control
//! characters, bytes that are not UTF-8, unknown ids and other organizations' ids, and no
//! session at all. Every answer is a 4xx with a readable message, and nothing the organizations
//! own changes. The registry itself is checked against the server functions the app serves.
use std::collections::BTreeSet;

use crate::common::{location, TestApp};
use reqwest::header::{CONTENT_TYPE, ORIGIN};
use xops::endpoints::{self, Access};

#[test]
fn every_server_function_is_in_the_registry_once() {
    let served: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    let listed: Vec<&str> = endpoints::all().iter().map(|e| e.path).collect();
    let listed_set: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(listed.len(), listed_set.len(), "an endpoint is listed twice in src/endpoints.rs");
    let missing: Vec<_> = served.difference(&listed_set).collect();
    assert!(missing.is_empty(), "server functions missing from src/endpoints.rs: {missing:?}");
    let gone: Vec<_> = listed_set.difference(&served).collect();
    assert!(gone.is_empty(), "listed in src/endpoints.rs but not served: {gone:?}");
    assert!(served.len() >= 42, "only {} server functions found: the registration is not linked in", served.len());
}

/// An id field: its value can have the wrong type or name nothing.
fn is_id(field: &str) -> bool {
    field == "id" || field.ends_with("_id")
}

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
    let registry = endpoints::all();
    for endpoint in registry.iter().filter(|e| !e.fields.is_empty()) {
        let (name, fields) = (endpoint.name(), endpoint.fields);
        // Missing fields.
        let res = app.call(&eve, name, &[]).await;
        assert_client_error(res, &format!("{name} without fields")).await;
        let has_ids = fields.iter().any(|f| is_id(f));
        for (what, value) in &values {
            // A number-looking string is a fine subject or name: only ids can have a wrong type.
            // Filters left empty ask for everything (the fingerprint still checks nothing changed).
            if (!has_ids && (*what == "wrong type" || *what == "unknown id")) || (endpoint.filters_only && *what == "empty") {
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
        // With the other fields as text, or left out (a number field refuses "Prod" first):
        // never an answer, and a 404 as for an account that does not exist.
        if fields.contains(&"account_id") {
            let id = account.to_string();
            let with_text: Vec<(&str, &str)> =
                fields.iter().map(|f| (*f, if *f == "account_id" { id.as_str() } else { "Prod" })).collect();
            let mut statuses = Vec::new();
            for form in [with_text, vec![("account_id", id.as_str())]] {
                statuses.push(app.call(&eve, name, &form).await.status());
            }
            assert!(statuses.iter().all(|s| s.is_client_error()), "{name} with another organization's id: {statuses:?}");
            assert!(statuses.contains(&reqwest::StatusCode::NOT_FOUND), "{name} with another organization's id: {statuses:?}");
        }
    }
    // And without any session at all.
    let stranger = app.new_browser();
    for endpoint in registry.iter().filter(|e| e.access != Access::Anyone) {
        let form: Vec<(&str, &str)> = endpoint.fields.iter().map(|f| (*f, "1")).collect();
        let status = app.call(&stranger, endpoint.name(), &form).await.status();
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{}", endpoint.name());
    }
    assert_eq!(fingerprint(&app).await, before, "nothing changed");
}
