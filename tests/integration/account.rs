//! Your account and the organization's settings through the real router: Change password
//! (ends the other sessions), Forgot password (the same answer either way, a link that works
//! once for an hour, throttled), and deleting an organization, counting what is left in every table.
use reqwest::StatusCode;

use crate::common::{expect_status, location, TestApp, PASSWORD};
use crate::teams::{invite, join};

fn redirected(res: &reqwest::Response) -> bool {
    res.status().is_redirection() || res.status().is_success()
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_not_this_one() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let laptop = app.new_browser();
    assert!(redirected(&app.sign_in(&laptop, "ada@example.com", PASSWORD).await));

    let wrong = app.call(&app.client, "change_password", &[("current", "not it"), ("new_password", "a new passphrase")]).await;
    assert!(expect_status(wrong, StatusCode::BAD_REQUEST).await.contains("\"field\":\"current\""));
    let short = app.call(&app.client, "change_password", &[("current", PASSWORD), ("new_password", "short")]).await;
    assert!(expect_status(short, StatusCode::BAD_REQUEST).await.contains("\"field\":\"new_password\""));
    let res = app.call(&app.client, "change_password", &[("current", PASSWORD), ("new_password", "a new passphrase")]).await;
    assert_eq!(location(&res), "/account?notice=password-changed");

    expect_status(app.call(&app.client, "workspace", &[]).await, StatusCode::OK).await;
    expect_status(app.call(&laptop, "workspace", &[]).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(app.sign_in(&app.new_browser(), "ada@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert!(redirected(&app.sign_in(&app.new_browser(), "ada@example.com", "a new passphrase").await));
    // The sign-up link, two notes of new browsers (the laptop, the last sign-in), and this.
    app.mail.wait_for("ada@example.com", 4).await;
    let mails = app.mail.to("ada@example.com");
    assert!(mails.iter().any(|m| m.header("Subject").as_deref() == Some("The password of your Xops 360 account was changed")), "{mails:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'password_changed'").await, 1);
}

#[tokio::test]
async fn forgot_password_answers_alike_and_its_link_works_once_within_the_hour() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let other = app.new_browser();
    assert!(redirected(&app.sign_in(&other, "ada@example.com", PASSWORD).await));

    let stranger = app.new_browser();
    let known = app.call(&stranger, "forgot_password", &[("email", "ada@example.com")]).await;
    let unknown = app.call(&stranger, "forgot_password", &[("email", "nobody@example.com")]).await;
    assert_eq!((known.status(), location(&known)), (unknown.status(), location(&unknown)), "the same answer either way");
    assert_eq!(location(&known), "/forgot-password/sent");
    // After the sign-up link, and the note that a new browser (`other`) signed in.
    app.mail.wait_for("ada@example.com", 3).await;
    let mails = app.mail.to("ada@example.com");
    let link = mails.iter().find_map(|m| m.link(&format!("{}/reset-password/", app.url))).unwrap_or_else(|| panic!("{mails:?}"));
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(app.mail.to("nobody@example.com").is_empty());
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM password_resets WHERE token_hash = '{token}'")).await, 0, "stored as a hash");

    let email = expect_status(app.call(&stranger, "reset_link", &[("token", &token)]).await, StatusCode::OK).await;
    assert_eq!(email, "\"ada@example.com\"");
    let res = app.call(&stranger, "reset_password", &[("token", &token), ("password", "reset passphrase")]).await;
    assert_eq!(location(&res), "/signin?notice=password-reset");
    // Every session ended; the link is spent; the new password works.
    for client in [&app.client, &other] {
        expect_status(app.call(client, "workspace", &[]).await, StatusCode::UNAUTHORIZED).await;
    }
    let again = app.call(&stranger, "reset_password", &[("token", &token), ("password", "another passphrase")]).await;
    assert!(expect_status(again, StatusCode::BAD_REQUEST).await.contains("expired or was already used"));
    assert!(redirected(&app.sign_in(&app.new_browser(), "ada@example.com", "reset passphrase").await));

    // A link older than an hour no longer works.
    app.call(&stranger, "forgot_password", &[("email", "ada@example.com")]).await;
    let mail = app.mail.wait_for("ada@example.com", 3).await;
    let late = mail.link(&format!("{}/reset-password/", app.url)).unwrap().rsplit('/').next().unwrap().to_string();
    sqlx::query("UPDATE password_resets SET expires_at = 1 WHERE used_at IS NULL").execute(&app.pool).await.unwrap();
    expect_status(app.call(&stranger, "reset_link", &[("token", &late)]).await, StatusCode::NOT_FOUND).await;

    // Ten requests an hour from one address; the eleventh waits.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(app.call(&stranger, "forgot_password", &[("email", "nobody@example.com")]).await.status());
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

/// Every table, and how many rows it holds.
async fn counts(app: &TestApp) -> Vec<(String, i64)> {
    let sql = if crate::common::on_postgres() {
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    };
    let tables: Vec<String> = sqlx::query_scalar(sql).fetch_all(&app.pool).await.unwrap();
    let mut out = Vec::new();
    for table in tables {
        out.push((table.clone(), app.count(&format!("SELECT COUNT(*) FROM {table}")).await));
    }
    out
}

#[tokio::test]
async fn deleting_an_organization_leaves_nothing_of_it_in_any_table() {
    let app = TestApp::spawn().await;
    let eve = app.new_browser();
    app.sign_up(&eve, "Other", "eve@example.com").await;
    let other = app.organization_id("eve@example.com").await;
    app.insert_account(other, "aws", "management", "Theirs", "222222222222").await;
    let before = counts(&app).await;

    // Acme, with accounts, a notification address, a support request, a member of its own, a
    // pending invitation, and Eve (of Other) as a member too.
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let acme = app.organization_id("ada@example.com").await;
    app.insert_account(acme, "aws", "management", "Payer", "111111111111").await;
    app.insert_account(acme, "eks", "", "Cluster", "111111111112").await;
    app.call(&app.client, "add_notification_email", &[("email", "ops@example.com")]).await;
    app.call(&app.client, "create_support_request", &[("subject", "Help"), ("description", "Please")]).await;
    join(&app, &invite(&app, &app.client, "bea@example.com", "admin").await, "Bea").await;
    let token = invite(&app, &app.client, "eve@example.com", "viewer").await;
    assert!(redirected(&app.call(&eve, "accept_invitation", &[("token", &token)]).await));
    invite(&app, &app.client, "zed@example.com", "viewer").await;

    let wrong = app.call(&app.client, "delete_organization", &[("confirm_name", "acme")]).await;
    assert!(expect_status(wrong, StatusCode::BAD_REQUEST).await.contains("\"field\":\"confirm_name\""));
    let res = app.call(&app.client, "delete_organization", &[("confirm_name", "Acme")]).await;
    assert_eq!(location(&res), "/signin?notice=organization-deleted");

    // Every table holds what it held before Acme, but for the portal's own bookkeeping.
    let after = counts(&app).await;
    for ((table, was), (_, now)) in before.iter().zip(&after) {
        match table.as_str() {
            // The deletion's own row, outside any organization; and Eve's sign-in and joining
            // while she was a member (her organization's trail keeps what she did).
            "audit_log" => {
                assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE organization_id IS NULL AND action = 'organization_deleted'").await, 1);
                assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE organization_id = {acme}")).await, 0);
            }
            // Throttles count addresses, the outbox sends and erases mail, the sign-up link was
            // spent, and the sessions are Eve's alone.
            "failed_sign_ins" | "sign_ups" | "password_reset_requests" | "outbox_mail" | "sign_up_requests" | "jobs" | "_sqlx_migrations" => {}
            "sessions" => {
                let others = app.count("SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM users)").await;
                assert_eq!(others, 0, "no session of a deleted person is left");
            }
            _ => assert_eq!(was, now, "{table}: {was} rows before Acme, {now} after it was deleted"),
        }
    }
    // Eve goes on in her own organization; Ada and Bea are gone.
    expect_status(app.call(&eve, "workspace", &[]).await, StatusCode::OK).await;
    expect_status(app.call(&app.client, "workspace", &[]).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(app.sign_in(&app.new_browser(), "bea@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
}

/// Every reference to an organization deletes with it; every reference to an account deletes
/// with it or forgets it (SQLite's own account of the schema).
#[tokio::test]
async fn every_table_of_an_organization_goes_with_it() {
    if crate::common::on_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    for table in tables {
        let keys: Vec<(String, String, String)> =
            sqlx::query_as(&format!("SELECT \"table\", \"from\", on_delete FROM pragma_foreign_key_list('{table}')"))
                .fetch_all(&app.pool)
                .await
                .unwrap();
        for (parent, column, on_delete) in keys {
            if parent == "organizations" || (parent == "cloud_accounts" && column != "account_id") {
                assert_eq!(on_delete, "CASCADE", "{table}.{column} → {parent}");
            }
            if parent == "cloud_accounts" || parent == "users" {
                assert!(on_delete == "CASCADE" || on_delete == "SET NULL", "{table}.{column} → {parent}: {on_delete}");
            }
        }
    }
}
