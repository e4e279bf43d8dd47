//! The public API's tokens through the real router: made under Organization settings → API
//! tokens, shown once, stored as hashes; `Authorization: Bearer` on `/api/v1`, answered with
//! problem+json when refused: no token, an unknown, revoked (on another replica too) or expired
//! one, one used from outside its networks, one whose creator left.
use reqwest::{Client, StatusCode};

use crate::common::{expect_status, location, TestApp};
use crate::teams::{acme, user_id};

/// Makes a token as `client` and returns its secret, read once from the page's source.
pub async fn token(app: &TestApp, client: &Client, name: &str, scope: &str, networks: &str) -> String {
    let form = [("name", name), ("scope", scope), ("expires_in_days", "30"), ("allowed_networks", networks)];
    let res = app.call(client, "create_api_token", &form).await;
    let to = location(&res);
    let id = to.strip_prefix("/settings/api-tokens?created=").unwrap_or_else(|| panic!("created: {to} {}", res.status())).to_string();
    let shown = expect_status(app.call(client, "api_token_once", &[("id", &id)]).await, StatusCode::OK).await;
    assert_eq!(expect_status(app.call(client, "api_token_once", &[("id", &id)]).await, StatusCode::OK).await, "null", "shown once");
    serde_json::from_str::<Option<String>>(&shown).unwrap().expect("the token")
}

async fn organization(app: &TestApp, secret: &str) -> reqwest::Response {
    reqwest::Client::new().get(format!("{}/api/v1/organization", app.url)).bearer_auth(secret).send().await.unwrap()
}

async fn refused(res: reqwest::Response, status: StatusCode, says: &str) {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
    let body = res.text().await.unwrap();
    assert!(body.contains(says), "{body}");
}

#[tokio::test]
async fn a_token_is_shown_once_stored_as_a_hash_and_reads_the_organization() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let secret = token(&app, &app.client, "Terraform in CI", "read", "").await;
    assert!(secret.starts_with("xops_") && secret.len() == 5 + 64, "{secret}");
    let res = organization(&app, &secret).await;
    let body = expect_status(res, StatusCode::OK).await;
    let org: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(org["name"], "Acme");
    assert!(org["external_id"].as_str().is_some_and(|id| id.starts_with("xops-")), "{org}");
    // Neither the secret nor its sealed copy stays in the database; the list shows its use.
    let stored = app.count(&format!("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{secret}' OR secret_sealed IS NOT NULL")).await;
    assert_eq!(stored, 0);
    let list = expect_status(app.call(&app.client, "api_tokens", &[]).await, StatusCode::OK).await;
    assert!(list.contains(&secret[..13]) && list.contains("from 127.0.0.1") && !list.contains(&secret), "{list}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'api_token_created'").await, 1);

    // The page lists it for the Owner; bad input is answered beside its field.
    let page = expect_status(app.get(&app.client, "/settings/api-tokens").await, StatusCode::OK).await;
    assert!(page.contains("Terraform in CI"));
    let bad = [("name", "x"), ("scope", "read"), ("expires_in_days", "30"), ("allowed_networks", "not a network")];
    let body = expect_status(app.call(&app.client, "create_api_token", &bad).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("\"field\":\"allowed_networks\""), "{body}");
}

#[tokio::test]
async fn refused_tokens_get_problem_json_revoked_ones_on_every_replica() {
    let a = TestApp::spawn().await;
    let b = a.replica(|_| {}).await;
    a.sign_up(&a.client, "Acme", "ada@example.com").await;
    let client = Client::new();
    refused(client.get(format!("{}/api/v1/organization", a.url)).send().await.unwrap(), StatusCode::UNAUTHORIZED, "Send an API token").await;
    refused(organization(&a, "xops_0123").await, StatusCode::UNAUTHORIZED, "not known").await;

    let secret = token(&a, &a.client, "CI", "write", "").await;
    expect_status(organization(&b, &secret).await, StatusCode::OK).await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens").fetch_one(&a.pool).await.unwrap();
    let res = a.call(&a.client, "revoke_api_token", &[("id", &id.to_string())]).await;
    assert_eq!(location(&res), "/settings/api-tokens?notice=api-token-revoked");
    refused(organization(&b, &secret).await, StatusCode::UNAUTHORIZED, "revoked").await;
    refused(organization(&a, &secret).await, StatusCode::UNAUTHORIZED, "revoked").await;

    let expiring = token(&a, &a.client, "Old", "read", "").await;
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE name = 'Old'").execute(&a.pool).await.unwrap();
    refused(organization(&a, &expiring).await, StatusCode::UNAUTHORIZED, "expired").await;

    // Networks: the tests' client is 127.0.0.1.
    let elsewhere = token(&a, &a.client, "Office", "read", "10.0.0.0/8\n192.0.2.7").await;
    refused(organization(&a, &elsewhere).await, StatusCode::FORBIDDEN, "may not be used from 127.0.0.1").await;
    let here = token(&a, &a.client, "Here", "read", "127.0.0.0/8").await;
    expect_status(organization(&a, &here).await, StatusCode::OK).await;
}

#[tokio::test]
async fn a_token_stops_when_its_creator_leaves_and_viewers_make_none() {
    let (app, admin, viewer) = acme().await;
    let secret = token(&app, &admin, "Bea's pipeline", "write", "").await;
    expect_status(organization(&app, &secret).await, StatusCode::OK).await;
    let form = [("name", "x"), ("scope", "read"), ("expires_in_days", "30"), ("allowed_networks", "")];
    let body = expect_status(app.call(&viewer, "create_api_token", &form).await, StatusCode::FORBIDDEN).await;
    assert!(body.contains("Only an Admin or Owner can manage API tokens"), "{body}");
    let body = expect_status(app.call(&viewer, "api_tokens", &[]).await, StatusCode::FORBIDDEN).await;
    assert!(body.contains("Only an Admin or Owner"), "{body}");

    let bea = user_id(&app, "bea@example.com").await;
    let res = app.call(&app.client, "remove_member", &[("user_id", &bea)]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    refused(organization(&app, &secret).await, StatusCode::UNAUTHORIZED, "no longer a member").await;
}

pub async fn get_json(app: &TestApp, secret: &str, path: &str) -> (StatusCode, serde_json::Value) {
    let res = reqwest::Client::new().get(format!("{}{path}", app.url)).bearer_auth(secret).send().await.unwrap();
    let status = res.status();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or_default())
}

#[tokio::test]
async fn accounts_are_listed_by_page_and_filter_and_other_organizations_are_404() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil", "eve@example.com").await;
    let acme = app.organization_id("ada@example.com").await;
    let evil = app.organization_id("eve@example.com").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(app.insert_account(acme, "aws", "linked", &format!("Linked {n}"), &format!("11111111111{n}")).await);
    }
    let eks = app.insert_account(acme, "eks", "", "Cluster", "222222222222").await;
    sqlx::query("UPDATE cloud_accounts SET status = 'failed' WHERE id = $1").bind(eks).execute(&app.pool).await.unwrap();
    let theirs = app.insert_account(evil, "aws", "linked", "Theirs", "333333333333").await;
    let secret = token(&app, &app.client, "CI", "read", "").await;

    // Two at a time, following next_cursor, every account of Acme's once, in id order.
    let (mut seen, mut cursor) = (Vec::new(), String::new());
    for _ in 0..5 {
        let (status, page) = get_json(&app, &secret, &format!("/api/v1/accounts?limit=2{cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(page["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mut all = ids.clone();
    all.push(eks);
    assert_eq!(seen, all);

    let (_, failed) = get_json(&app, &secret, "/api/v1/accounts?status=failed").await;
    assert_eq!(failed["accounts"].as_array().map(Vec::len), Some(1), "{failed}");
    assert_eq!(failed["accounts"][0]["provider"], "eks");
    let (_, aws) = get_json(&app, &secret, "/api/v1/accounts?provider=aws").await;
    assert_eq!(aws["accounts"].as_array().map(Vec::len), Some(5), "{aws}");
    assert_eq!(aws["accounts"][0]["kind"], "linked");

    let (status, one) = get_json(&app, &secret, &format!("/api/v1/accounts/{}", ids[0])).await;
    assert_eq!((status, one["name"].as_str()), (StatusCode::OK, Some("Linked 0")));
    let (status, problem) = get_json(&app, &secret, &format!("/api/v1/accounts/{theirs}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organization's account: {problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("does not exist in your organization")), "{problem}");

    for (query, field) in [("provider=gcp", "provider"), ("status=ok", "status"), ("cursor=-1", "cursor"), ("limit=0", "limit"), ("limit=x", "limit")] {
        let (status, problem) = get_json(&app, &secret, &format!("/api/v1/accounts?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {problem}");
        assert_eq!(problem["field"], field, "{query}");
    }
    let (status, _) = get_json(&app, &secret, "/api/v1/accounts/abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

pub async fn send(method: reqwest::Method, app: &TestApp, secret: &str, path: &str, body: Option<&str>) -> (StatusCode, String) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", app.url)).bearer_auth(secret);
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn write_tokens_rename_retest_and_delete_with_their_creators_role_and_the_audit_names_them() {
    use reqwest::Method;
    let (app, admin, viewer) = acme().await;
    let org = app.organization_id("ada@example.com").await;
    let id = app.insert_account(org, "eks", "", "Cluster", "222222222222").await;
    let path = format!("/api/v1/accounts/{id}");
    let write = token(&app, &admin, "Pipeline", "write", "").await;
    let read = token(&app, &app.client, "Dashboards", "read", "").await;
    // A Viewer cannot make a token at all; a read token changes nothing, whoever made it.
    let (status, body) = send(Method::PATCH, &app, &read, &path, Some(r#"{"name":"Renamed"}"#)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("scope is read"), "{body}");
    let (status, body) = send(Method::POST, &app, &read, &format!("{path}/retest"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let body = expect_status(app.call(&viewer, "create_api_token", &[("name", "x"), ("scope", "write"), ("expires_in_days", "30"), ("allowed_networks", "")]).await, StatusCode::FORBIDDEN).await;
    assert!(body.contains("Only an Admin or Owner"), "{body}");

    let (status, body) = send(Method::PATCH, &app, &write, &path, Some(r#"{"name":"Production cluster"}"#)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"name\":\"Production cluster\""), "{body}");
    let (status, body) = send(Method::PATCH, &app, &write, &path, Some(r#"{"title":"x"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = send(Method::PATCH, &app, &write, &path, Some(r#"{"name":""}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an empty name, refused as on the page: {body}");

    let (status, body) = send(Method::POST, &app, &write, &format!("{path}/retest"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let who: Vec<String> = sqlx::query_scalar("SELECT actor FROM audit_log WHERE action IN ('rename_account') ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap_or_default();
    assert_eq!(who, vec!["API token \"Pipeline\"".to_string()], "the audit log names the token");

    let (status, _) = send(Method::DELETE, &app, &write, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(Method::DELETE, &app, &write, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

async fn with_key(method: reqwest::Method, app: &TestApp, secret: &str, path: &str, key: &str, body: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", app.url)).bearer_auth(secret).header("Idempotency-Key", key);
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_changes_nothing_more() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    let id = app.insert_account(org, "eks", "", "Cluster", "222222222222").await;
    let secret = token(&app, &app.client, "CI", "write", "").await;
    let retest = format!("/api/v1/accounts/{id}/retest");
    let checks = || async { app.count(&format!("SELECT COUNT(*) FROM account_checks WHERE account_id = {id}")).await };

    let first = with_key(Method::POST, &app, &secret, &retest, "key-1", None).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first_body = first.text().await.unwrap();
    let after_one = checks().await;
    let again = with_key(Method::POST, &app, &secret, &retest, "key-1", None).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.text().await.unwrap(), first_body, "the first answer");
    assert_eq!(checks().await, after_one, "checked once");

    // The same key with another request: 422.
    let res = with_key(Method::PATCH, &app, &secret, &format!("/api/v1/accounts/{id}"), "key-1", Some(r#"{"name":"New"}"#)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("used with another request"));
    // Renamed once with key-2; its retry with another body is refused, not applied.
    let path = format!("/api/v1/accounts/{id}");
    assert_eq!(with_key(Method::PATCH, &app, &secret, &path, "key-2", Some(r#"{"name":"Once"}"#)).await.status(), StatusCode::OK);
    let res = with_key(Method::PATCH, &app, &secret, &path, "key-2", Some(r#"{"name":"Twice"}"#)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let name: String = sqlx::query_scalar("SELECT name FROM cloud_accounts WHERE id = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    assert_eq!(name, "Once");

    // Two at once with one key: one runs; the other waits for it (409, Retry-After) or gets its answer.
    let before = checks().await;
    let (a, b) = tokio::join!(
        with_key(Method::POST, &app, &secret, &retest, "key-3", None),
        with_key(Method::POST, &app, &secret, &retest, "key-3", None)
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert!(statuses == [StatusCode::OK, StatusCode::OK] || statuses == [StatusCode::OK, StatusCode::CONFLICT], "{statuses:?}");
    for res in [&a, &b] {
        if res.status() == StatusCode::CONFLICT {
            assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
        }
    }
    assert_eq!(checks().await, before + 1, "one of the two ran");
    let res = with_key(Method::POST, &app, &secret, &retest, "not ok", None).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_token_past_its_rate_limit_gets_429_with_retry_after_on_every_replica() {
    let a = TestApp::spawn_with(|c| c.api_requests_per_minute = 4).await;
    let b = a.replica(|c| c.api_requests_per_minute = 4).await;
    a.sign_up(&a.client, "Acme", "ada@example.com").await;
    let busy = token(&a, &a.client, "Busy", "read", "").await;
    let other = token(&a, &a.client, "Other", "read", "").await;
    // Counted in the database: both replicas count the same minute (the test may straddle a
    // minute's end, when the count starts again; then it runs in the next minute).
    let mut limited = None;
    for _ in 0..2 {
        let mut statuses = Vec::new();
        for app in [&a, &b, &a, &b, &a] {
            let res = organization(app, &busy).await;
            statuses.push(res.status());
            if res.status() == StatusCode::TOO_MANY_REQUESTS {
                limited = Some(res);
                break;
            }
            assert!(res.headers().get("ratelimit").is_some(), "every answer says where the token stands");
        }
        if statuses.len() == 5 && limited.is_some() {
            break;
        }
    }
    let res = limited.expect("the fifth request of a minute is refused");
    let retry: i64 = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(res.headers().get("ratelimit-policy").and_then(|v| v.to_str().ok()), Some("\"per-token\";q=4;w=60"));
    refused(res, StatusCode::TOO_MANY_REQUESTS, "its limit").await;
    expect_status(organization(&b, &other).await, StatusCode::OK).await;

    // Made-up tokens are refused without a count: a flood of them writes nothing.
    let counted = a.count("SELECT COUNT(*) FROM api_rate").await;
    for n in 0..20 {
        refused(organization(&a, &format!("xops_{n:064x}")).await, StatusCode::UNAUTHORIZED, "not known").await;
    }
    assert_eq!(a.count("SELECT COUNT(*) FROM api_rate").await, counted);
}

#[tokio::test]
async fn a_pipeline_links_an_aws_account_with_the_same_verification_as_the_form() {
    use crate::common::aws::{Role, StubSts};
    use crate::common::PAYER_ARN;
    use reqwest::Method;
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(std::time::Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let write = token(&app, &app.client, "Account Factory", "write", "").await;
    let link = |body: &'static str| send(Method::POST, &app, &write, "/api/v1/accounts/aws", Some(body));

    let (status, body) = link(r#"{"name":"Payer","role_arn":"arn:aws:iam::123456789012:role/XopsReadOnlyAccess","kind":"management"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let account: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((account["provider"].as_str(), account["kind"].as_str(), account["status"].as_str()), (Some("aws"), Some("management"), Some("connected")));
    assert!(PAYER_ARN.contains(account["external_account_id"].as_str().unwrap_or("none")));
    let who: String = sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = 'link_account'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(who, "API token \"Account Factory\"");

    // The form's refusals, with the field: linked already; a bad ARN; a role that AWS refuses.
    let (status, body) = link(r#"{"name":"Again","role_arn":"arn:aws:iam::123456789012:role/XopsReadOnlyAccess","kind":"management"}"#).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("\"field\":\"role_arn\"") && body.contains("already linked"), "{body}");
    let (status, body) = link(r#"{"name":"Bad","role_arn":"not an arn","kind":"linked"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("\"field\":\"role_arn\""), "{body}");
    let (status, body) = link(r#"{"name":"Bad","role_arn":"x","kind":"nonsense"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    stub.set(Role::Denied);
    let (status, body) = link(r#"{"name":"Member","role_arn":"arn:aws:iam::210987654321:role/XopsReadOnlyAccess","kind":"linked"}"#).await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 1);

    // A read token links nothing.
    let read = token(&app, &app.client, "Dashboards", "read", "").await;
    let (status, _) = send(Method::POST, &app, &read, "/api/v1/accounts/aws", Some("{}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn health_counts_and_an_accounts_checks_newest_first_by_page() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil", "eve@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    let ok = app.insert_account(org, "aws", "linked", "Fine", "111111111111").await;
    let bad = app.insert_account(org, "eks", "", "Broken", "222222222222").await;
    sqlx::query("UPDATE cloud_accounts SET status = 'failed' WHERE id = $1").bind(bad).execute(&app.pool).await.unwrap();
    let theirs = app.insert_account(app.organization_id("eve@example.com").await, "aws", "linked", "Theirs", "333333333333").await;
    let write = token(&app, &app.client, "CI", "write", "").await;
    let read = token(&app, &app.client, "Dashboards", "read", "").await;

    let (status, health) = get_json(&app, &read, "/api/v1/health").await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!((health["connected"].as_i64(), health["failed"].as_i64()), (Some(1), Some(1)), "{health}");

    for _ in 0..3 {
        assert_eq!(send(Method::POST, &app, &write, &format!("/api/v1/accounts/{ok}/retest"), None).await.0, StatusCode::OK);
    }
    let (status, first) = get_json(&app, &read, &format!("/api/v1/accounts/{ok}/checks?limit=2")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["checks"].as_array().map(Vec::len), Some(2), "{first}");
    assert_eq!(first["checks"][0]["reason"], "retest");
    let next = first["next_before"].as_str().expect("an older page").to_string();
    let (_, older) = get_json(&app, &read, &format!("/api/v1/accounts/{ok}/checks?limit=2&before={next}")).await;
    assert_eq!(older["checks"].as_array().map(Vec::len), Some(1), "{older}");
    assert!(older["next_before"].is_null());
    let (status, _) = get_json(&app, &read, &format!("/api/v1/accounts/{theirs}/checks")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another organization's account");
    let (status, problem) = get_json(&app, &read, &format!("/api/v1/accounts/{ok}/checks?before=x")).await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("before")));
}
