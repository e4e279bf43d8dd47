//! The audit page's data and its CSV through the real router: Owners and Admins only, newest
//! first by id, each filter, pages that stay put while rows arrive, and the CSV of every
//! matching row (cells quoted, formulas defused).
use reqwest::StatusCode;

use crate::common::{expect_status, TestApp};
use crate::teams::{acme, user_id};

async fn trail(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> serde_json::Value {
    let mut full: Vec<(&str, &str)> = ["member", "action", "account", "from", "to"].iter().map(|k| (*k, "")).collect();
    for (k, v) in form {
        full.retain(|(f, _)| f != k);
        full.push((k, v));
    }
    let body = expect_status(app.call(client, "audit_trail", &full).await, StatusCode::OK).await;
    serde_json::from_str(&body).unwrap()
}

fn details(page: &serde_json::Value) -> Vec<String> {
    page["rows"].as_array().unwrap().iter().map(|r| r["detail"].as_str().unwrap_or_default().to_string()).collect()
}

async fn insert_rows(app: &TestApp, org: i64, n: usize, action: &str, at: i64) {
    for i in 0..n {
        sqlx::query("INSERT INTO audit_log (organization_id, actor, action, detail, client_addr, created_at) VALUES ($1, 'Xops scheduled check', $2, $3, '', $4)")
            .bind(org)
            .bind(action)
            .bind(format!("{action} {i}"))
            .bind(at + i as i64)
            .execute(&app.pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn owners_and_admins_read_the_trail_newest_first_filtered_a_stable_page_at_a_time() {
    let (app, admin, viewer) = acme().await;
    let org = app.organization_id("ada@example.com").await;
    let denied = expect_status(app.call(&viewer, "audit_trail", &[("member", ""), ("action", ""), ("account", ""), ("from", ""), ("to", "")]).await, StatusCode::FORBIDDEN).await;
    assert!(denied.contains("Only an Admin or Owner can read the audit log."), "{denied}");

    // What the team did is there, with who did it.
    let first = trail(&app, &admin, &[]).await;
    let rows = first["rows"].as_array().unwrap();
    assert_eq!(rows[0]["what"], "Joined", "newest first: {rows:?}");
    assert!(rows.iter().any(|r| r["what"] == "Invited" && r["who"] == "ada@example.com"));

    // A management account renamed, then deleted: its rows keep its name and its filter.
    let id = app.insert_account(org, "aws", "management", "Payer", "111111111111").await;
    let res = app.call(&app.client, "rename_account", &[("account_id", &id.to_string()), ("name", "Billing")]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    let by_account = trail(&app, &admin, &[("account", &id.to_string())]).await;
    assert_eq!(by_account["rows"][0]["account"], "Billing");
    assert_eq!(by_account["rows"].as_array().unwrap().len(), 1);

    // 120 scheduled checks on 2026-01-02: pages of 50, the next asked for by the last id.
    let jan2 = 1_767_312_000; // 2026-01-02 00:00 UTC
    insert_rows(&app, org, 120, "status_changed", jan2).await;
    let page1 = trail(&app, &admin, &[("action", "status_changed")]).await;
    assert_eq!(details(&page1).first().map(String::as_str), Some("status_changed 119"));
    let older = page1["older"].as_str().expect("an older page").to_string();
    // New rows arrive meanwhile: the next page is still the next 50, not shifted.
    insert_rows(&app, org, 5, "status_changed", jan2 + 500).await;
    let page2 = trail(&app, &admin, &[("action", "status_changed"), ("before", &older)]).await;
    assert_eq!(details(&page2).first().map(String::as_str), Some("status_changed 69"));
    let page3 = trail(&app, &admin, &[("action", "status_changed"), ("before", page2["older"].as_str().unwrap())]).await;
    assert_eq!(details(&page3).len(), 20);
    assert!(page3["older"].is_null());

    // Members, the portal itself, and dates.
    let ada = user_id(&app, "ada@example.com").await;
    let by_ada = trail(&app, &admin, &[("member", &ada)]).await;
    assert!(by_ada["rows"].as_array().unwrap().iter().all(|r| r["who"] == "ada@example.com"));
    let by_xops = trail(&app, &admin, &[("member", "xops"), ("action", "")]).await;
    assert!(by_xops["rows"].as_array().unwrap().iter().all(|r| r["who"] == "Xops scheduled check"));
    let on_jan2 = trail(&app, &admin, &[("from", "2026-01-02"), ("to", "2026-01-02")]).await;
    assert_eq!(details(&on_jan2).len(), 50);
    let before = trail(&app, &admin, &[("to", "2026-01-01")]).await;
    assert_eq!(details(&before).len(), 0);

    // Bad filters are refused beside their field.
    for (field, value) in [("from", "yesterday"), ("action", "drop_table"), ("member", "x"), ("account", "1.5"), ("before", "7")] {
        let mut form: Vec<(&str, &str)> = ["member", "action", "account", "from", "to"].iter().filter(|k| **k != field).map(|k| (*k, "")).collect();
        form.push((field, value));
        let body = expect_status(app.call(&admin, "audit_trail", &form).await, StatusCode::BAD_REQUEST).await;
        assert!(body.contains(&format!("\"field\":\"{field}\"")), "{field}: {body}");
    }
}

#[tokio::test]
async fn the_csv_holds_every_matching_row_quoted_and_defused() {
    let (app, admin, viewer) = acme().await;
    let org = app.organization_id("ada@example.com").await;
    insert_rows(&app, org, 2500, "status_changed", 1_767_312_000).await;
    sqlx::query("INSERT INTO audit_log (organization_id, actor, action, detail, client_addr, created_at) VALUES ($1, 'x', 'support_request', '=HYPERLINK(\"http://evil\")', '', 5)")
        .bind(org)
        .execute(&app.pool)
        .await
        .unwrap();
    let csv = |client: &reqwest::Client, query: &str| client.get(format!("{}/audit/export.csv?{query}", app.url)).send();
    let res = csv(&admin, "action=status_changed").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"xops-audit-"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "When (UTC),Who,What,Account,Detail,From");
    assert_eq!(lines.len(), 2501, "a header and every matching row, across reads of 1000");
    assert!(lines[1].contains("\"status_changed 2499\"") && lines[2500].contains("\"status_changed 0\""));
    // As a browser asks for it, compressed on the way (the compression layer reads the stream to its end and once more).
    let gzipped = admin
        .get(format!("{}/audit/export.csv?action=status_changed", app.url))
        .header(reqwest::header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let bytes = gzipped.bytes().await.expect("the whole download arrives");
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, body);
    let support = csv(&admin, "action=support_request").await.unwrap().text().await.unwrap();
    assert!(support.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{support}");
    assert_eq!(csv(&viewer, "").await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(csv(&app.new_browser(), "").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(csv(&admin, "from=soon").await.unwrap().status(), StatusCode::BAD_REQUEST);
}
