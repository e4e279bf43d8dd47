//! AWS Organizations over the API, against moto: a pipeline reads the organization, excludes an
//! account, starts a Link accounts run and follows it to its end.
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::api::{send, token};
use crate::common::aws::Moto;
use crate::common::{TestApp, PAYER_ARN};

async fn json(app: &TestApp, secret: &str, method: Method, path: &str, body: Option<&str>) -> (StatusCode, Value) {
    let (status, text) = send(method, app, secret, path, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn a_pipeline_reads_the_organization_excludes_and_links_its_accounts() {
    let moto = Moto::start();
    let orgs = moto.organizations().await;
    orgs.create_organization().send().await.expect("moto creates the organization");
    let root = orgs.list_roots().send().await.expect("roots").roots()[0].id().expect("root id").to_string();
    let mut members = Vec::new();
    for name in ["Payments", "Sandbox"] {
        let created = orgs.create_account().email(format!("{name}@example.com")).account_name(name).send().await.expect("created");
        members.push(created.create_account_status().and_then(|s| s.account_id()).expect("its id").to_string());
    }
    let app = TestApp::spawn_with(|c| c.aws = moto.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let write = token(&app, &app.client, "Account Factory", "write", "").await;
    let link = format!(r#"{{"name":"Payer","role_arn":"{PAYER_ARN}","kind":"management"}}"#);
    let (status, payer) = json(&app, &write, Method::POST, "/api/v1/accounts/aws", Some(&link)).await;
    assert_eq!(status, StatusCode::CREATED, "{payer}");
    let base = format!("/api/v1/accounts/{}/organization", payer["id"]);

    let (status, org) = json(&app, &write, Method::POST, &format!("{base}/read"), None).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert!(org["aws_organization_id"].as_str().is_some_and(|id| id.starts_with("o-")), "{org}");
    assert_eq!(org["units"][0]["id"], root.as_str());
    assert_eq!(org["totals"]["eligible"], 2, "{org}");

    let exclude = format!(r#"{{"node_id":"{}","exclusion":"excluded"}}"#, members[1]);
    let (status, saved) = json(&app, &write, Method::PUT, &format!("{base}/exclusions"), Some(&exclude)).await;
    assert_eq!((status, saved["exclusion"].as_str()), (StatusCode::OK, Some("excluded")), "{saved}");
    let (status, run) = json(&app, &write, Method::POST, &format!("{base}/runs"), Some(r#"{"scope":"all"}"#)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    assert_eq!(run["total"], 1, "the excluded account is left out: {run}");
    let started = Instant::now();
    let run = loop {
        let (status, run) = json(&app, &write, Method::GET, &format!("{base}/runs/latest"), None).await;
        assert_eq!(status, StatusCode::OK, "{run}");
        if run["running"] == false {
            break run;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the run did not finish: {run}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((run["linked"].as_i64(), run["failed"].as_i64()), (Some(1), Some(0)), "{run}");
    assert_eq!(run["started_by"], "API token \"Account Factory\"");
    let (_, org) = json(&app, &write, Method::GET, &base, None).await;
    let state = |id: &str| org["accounts"].as_array().unwrap().iter().find(|a| a["id"] == id).map(|a| (a["state"].clone(), a["excluded"].clone()));
    assert_eq!(state(&members[0]), Some((Value::from("linked"), Value::from(false))), "{org}");
    assert_eq!(state(&members[1]), Some((Value::from("not_linked"), Value::from(true))), "{org}");

    // Refusals: a scope it has not; nothing left to link; not a management account; a read token.
    let (status, body) = json(&app, &write, Method::POST, &format!("{base}/runs"), Some(r#"{"scope":"some"}"#)).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scope")), "{body}");
    let (status, body) = json(&app, &write, Method::POST, &format!("{base}/runs"), Some(r#"{"scope":"all"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("no account to link")), "{body}");
    let linked: i64 = sqlx::query_scalar("SELECT id FROM cloud_accounts WHERE kind = 'linked'").fetch_one(&app.pool).await.unwrap();
    let (status, _) = json(&app, &write, Method::GET, &format!("/api/v1/accounts/{linked}/organization"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let read = token(&app, &app.client, "Dashboards", "read", "").await;
    assert_eq!(json(&app, &read, Method::GET, &base, None).await.0, StatusCode::OK);
    assert_eq!(json(&app, &read, Method::POST, &format!("{base}/runs"), Some(r#"{"scope":"all"}"#)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(json(&app, &read, Method::PUT, &format!("{base}/exclusions"), Some(&exclude)).await.0, StatusCode::FORBIDDEN);
}
