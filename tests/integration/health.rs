//! Scheduled checks through the real app, with time passed in (no sleeping): each account is
//! verified again once per interval, exactly as Re-test does, against moto, the STS stub and
//! the identity double; what changed is named; history and audit rows follow; Home shows it.
use crate::common::aws::{Moto, Role, StubSts};
use crate::common::entra::{connect, generate, linked_m365, EntraDouble, APP};
use crate::common::{expect_status, link_payer, linked_payer, location, TestApp, PAYER_ARN};
use reqwest::StatusCode;
use xops::health::schedule::{run_due, Round};

const HOURS: i64 = 3600;

async fn status(app: &TestApp, name: &str) -> (String, String) {
    sqlx::query_as("SELECT status, status_message FROM cloud_accounts WHERE name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .expect("the account exists")
}

/// The reasons and statuses of an account's checks, oldest first.
async fn history(app: &TestApp, name: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT c.reason, c.status FROM account_checks c JOIN cloud_accounts a ON a.id = c.account_id \
         WHERE a.name = $1 ORDER BY c.id",
    )
    .bind(name)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_role_that_drops_its_external_id_condition_turns_to_warning_at_the_next_scheduled_check() {
    let moto = Moto::start();
    let app = TestApp::spawn_with(|c| c.aws = moto.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    link_payer(&app).await;
    let now = xops::server::now();

    // Not due yet: nothing runs. Due (one interval on at the latest): checked once, still fine.
    assert_eq!(run_due(&app.state, now + HOURS).await.unwrap(), Round::default());
    assert_eq!(run_due(&app.state, now + 6 * HOURS + 1).await.unwrap(), Round { checked: 1, changed: 0 });
    assert_eq!(run_due(&app.state, now + 6 * HOURS + 2).await.unwrap(), Round::default(), "checked twice in one interval");
    assert_eq!(status(&app, "Payer").await.0, "connected");

    // Someone edits the trust policy: any caller can now assume the role.
    moto.open_role(PAYER_ARN).await;
    assert_eq!(run_due(&app.state, now + 12 * HOURS + 1).await.unwrap(), Round { checked: 1, changed: 1 });
    let (status_now, message) = status(&app, "Payer").await;
    assert_eq!(status_now, "warning");
    assert!(message.starts_with("The role no longer requires your External ID (it did when it was linked)"), "{message}");
    assert_eq!(
        history(&app, "Payer").await,
        [("link", "connected"), ("scheduled", "connected"), ("scheduled", "warning")].map(|(r, s)| (r.to_string(), s.to_string()))
    );
    // The change is audit-logged (once, not for every check), as the scheduler's, at the time
    // the round was given, like the history row beside it.
    let audited: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT actor, detail, created_at FROM audit_log WHERE action = 'status_changed'").fetch_all(&app.pool).await.unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].0, "Xops scheduled check");
    assert!(audited[0].1.ends_with("connected → warning"), "{}", audited[0].1);
    assert_eq!(audited[0].2, now + 12 * HOURS + 1);
}

#[tokio::test]
async fn a_deleted_role_turns_to_failed_with_the_change_named() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = linked_payer(&stub).await;
    stub.set(Role::Denied);
    let round = run_due(&app.state, xops::server::now() + 6 * HOURS + 1).await.unwrap();
    assert_eq!(round, Round { checked: 1, changed: 1 });
    let (status_now, message) = status(&app, "Payer").await;
    assert_eq!(status_now, "failed");
    assert!(message.starts_with("The role was deleted or no longer trusts Xops"), "{message}");
}

#[tokio::test]
async fn an_m365_app_that_lost_its_permission_turns_to_failed() {
    let entra = EntraDouble::start().await;
    let (app, _) = linked_m365(&entra).await;
    entra.set_roles(APP, &[]).await;
    let round = run_due(&app.state, xops::server::now() + 6 * HOURS + 1).await.unwrap();
    assert_eq!(round, Round { checked: 1, changed: 1 });
    let (status_now, message) = status(&app, "Contoso 365").await;
    assert_eq!(status_now, "failed");
    assert!(message.starts_with("The app lost the Exchange.ManageAsApp permission"), "{message}");

    // The certificate taken off the app registration is named too.
    entra.set_roles(APP, &["Exchange.ManageAsApp"]).await;
    entra.remove_certificates(APP).await;
    run_due(&app.state, xops::server::now() + 12 * HOURS + 1).await.unwrap();
    let (_, message) = status(&app, "Contoso 365").await;
    assert!(message.starts_with("The certificate was removed from the app registration"), "{message}");
}

#[tokio::test]
async fn new_azure_subscriptions_are_reported_and_never_selected_and_a_vanished_one_warns() {
    let entra = EntraDouble::start().await;
    entra.register_app(crate::common::entra::TENANT, APP, &[]).await;
    entra.set_subscriptions(&[
        ("11111111-0000-0000-0000-000000000001", "Production", "Enabled"),
        ("11111111-0000-0000-0000-000000000002", "Staging", "Enabled"),
    ]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "azure").await;
    entra.upload_certificate(APP, &pem).await;
    let linked = connect(&app, &app.client, "azure", "Contoso Azure", cert.id, &[]).await;
    let id: i64 = location(&linked).split('/').nth(2).and_then(|s| s.parse().ok()).expect("the subscriptions page");
    let selected = [("account_id", id.to_string()), ("selected[]", "11111111-0000-0000-0000-000000000001".to_string())];
    let selected: Vec<(&str, &str)> = selected.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let updated = app.call(&app.client, "update_azure_subscriptions", &selected).await;
    assert!(location(&updated).contains("connected=1"), "{}", location(&updated));

    entra.set_subscriptions(&[
        ("11111111-0000-0000-0000-000000000001", "Production", "Enabled"),
        ("11111111-0000-0000-0000-000000000002", "Staging", "Enabled"),
        ("11111111-0000-0000-0000-000000000009", "Analytics", "Enabled"),
    ]).await;
    run_due(&app.state, xops::server::now() + 6 * HOURS + 1).await.unwrap();
    let (status_now, message) = status(&app, "Contoso Azure").await;
    assert_eq!(status_now, "connected", "{message}");
    assert!(message.ends_with("1 new subscription is visible (not selected): Analytics. Select it under Edit."), "{message}");
    let chosen: i64 = app.count("SELECT COUNT(*) FROM azure_subscriptions WHERE selected = 1").await;
    assert_eq!(chosen, 1, "a new subscription was connected without the user");

    entra.set_subscriptions(&[("11111111-0000-0000-0000-000000000002", "Staging", "Enabled")]).await;
    run_due(&app.state, xops::server::now() + 12 * HOURS + 1).await.unwrap();
    let (status_now, message) = status(&app, "Contoso Azure").await;
    assert_eq!(status_now, "warning");
    assert!(message.contains("A selected subscription is no longer visible to the app: Production"), "{message}");
}

#[tokio::test]
async fn home_shows_the_counts_what_needs_attention_and_each_accounts_last_checks() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = linked_payer(&stub).await;
    stub.set(Role::Denied);
    run_due(&app.state, xops::server::now() + 6 * HOURS + 1).await.unwrap();

    let home = expect_status(app.get(&app.client, "/").await, StatusCode::OK).await;
    assert!(home.contains("Needs attention"), "no attention list");
    assert!(home.contains("The role was deleted or no longer trusts Xops"), "the cause is not on Home");
    assert!(home.contains(r#"<a href="/integrations/aws/link/management">Setup guidance</a>"#), "no way to the setup guidance");
    // One green mark (the link), then one red (the scheduled check), oldest first.
    let green = home.find("beat beat-connected").expect("the link's mark");
    let red = home.find("beat beat-failed").expect("the failed check's mark");
    assert!(green < red);
    assert!(home.contains("Scheduled check · Failed"), "the mark does not say what it was");

    // Another organization sees none of it.
    let other = app.new_browser();
    app.sign_up(&other, "Globex", "bob@example.com").await;
    let overview = expect_status(app.call(&other, "health_overview", &[]).await, StatusCode::OK).await;
    let overview: xops::health::dashboard::OrganizationHealth = serde_json::from_str(&overview).unwrap();
    assert_eq!((overview.connected, overview.warning, overview.failed), (0, 0, 0));
    assert!(overview.attention.is_empty() && overview.timelines.is_empty());
}

#[tokio::test]
async fn two_rounds_at_once_check_each_account_once() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = linked_payer(&stub).await;
    for i in 0..20 {
        let arn = format!("arn:aws:iam::1000000000{i:02}:role/XopsReadOnlyAccess");
        let name = format!("Member {i}");
        let form = [("kind", "linked"), ("name", name.as_str()), ("role_arn", arn.as_str())];
        let _ = app.call(&app.client, "link_aws_account", &form).await;
    }
    let accounts: i64 = app.count("SELECT COUNT(*) FROM cloud_accounts").await;
    assert_eq!(accounts, 21, "the members were not linked: the test would check one account");
    let later = xops::server::now() + 6 * HOURS + 1;
    let (a, b) = tokio::join!(run_due(&app.state, later), run_due(&app.state, later));
    assert_eq!(a.unwrap().checked + b.unwrap().checked, usize::try_from(accounts).unwrap());
}

#[tokio::test]
async fn renew_upload_verify_and_switch_keeps_the_account_connected_throughout() {
    use xops::integrations::microsoft::renewal::Renewal;
    let entra = EntraDouble::start().await;
    let (app, id) = linked_m365(&entra).await;
    let old: i64 = app.count("SELECT id FROM certificates").await;
    let account = [("account_id", id.to_string())];
    let account: Vec<(&str, &str)> = account.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let renewal = || async {
        let body = expect_status(app.call(&app.client, "certificate_renewal", &account).await, StatusCode::OK).await;
        serde_json::from_str::<Renewal>(&body).unwrap()
    };

    // Renew: a new certificate is made; the current one stays in use. A second click offers it again.
    let renewed = app.call(&app.client, "renew_certificate", &account).await;
    assert_eq!(location(&renewed), format!("/accounts/{id}/certificate?notice=certificate-made&download=1"));
    app.call(&app.client, "renew_certificate", &account).await;
    let before = renewal().await;
    let current = before.current.expect("the current certificate");
    assert_eq!(current.id, old);
    let new = before.new.expect("the new certificate");
    assert_ne!(new.thumbprint, current.thumbprint);
    run_due(&app.state, xops::server::now() + 6 * HOURS + 1).await.unwrap();
    assert_eq!(status(&app, "Contoso 365").await.0, "connected", "the current certificate stopped working");

    // Verify and switch before the upload: refused at the certificate, nothing changed.
    let early = expect_status(app.call(&app.client, "switch_certificate", &account).await, StatusCode::BAD_REQUEST).await;
    assert!(early.contains("does not accept the new certificate yet") && early.contains("keeps working"), "{early}");
    assert_eq!(renewal().await.current.map(|c| c.id), Some(old));

    // Uploaded beside the old one: the switch signs in with it, then makes it the account's.
    let new_pem = expect_status(app.get(&app.client, &new.download_url).await, StatusCode::OK).await;
    entra.upload_certificate(APP, &new_pem).await;
    let switched = app.call(&app.client, "switch_certificate", &account).await;
    assert_eq!(location(&switched), "/integrations/microsoft?notice=certificate-switched");
    let after = renewal().await;
    assert_eq!(after.current.map(|c| c.id), Some(new.id));
    assert!(after.new.is_none());
    assert_eq!(app.count("SELECT COUNT(*) FROM certificates").await, 1, "the old sealed key is still there");

    // The old certificate taken off the app: the account keeps working on the new one.
    entra.remove_certificates(APP).await;
    entra.upload_certificate(APP, &new_pem).await;
    run_due(&app.state, xops::server::now() + 12 * HOURS + 1).await.unwrap();
    assert_eq!(status(&app, "Contoso 365").await.0, "connected");
    let reasons: Vec<String> = history(&app, "Contoso 365").await.into_iter().map(|(reason, _)| reason).collect();
    assert_eq!(reasons, ["link", "scheduled", "renewal", "scheduled"]);

    // Another organization can neither see nor renew nor switch it.
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil", "eve@example.com").await;
    for name in ["certificate_renewal", "renew_certificate", "switch_certificate"] {
        expect_status(app.call(&eve, name, &account).await, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn an_expired_certificate_renews_the_same_way() {
    let entra = EntraDouble::start().await;
    let (app, id) = linked_m365(&entra).await;
    // It expired, and the app no longer accepts it.
    sqlx::query("UPDATE certificates SET not_after = $1").bind(xops::server::now() - 3600).execute(&app.pool).await.unwrap();
    entra.remove_certificates(APP).await;
    let account = [("account_id", id.to_string())];
    let account: Vec<(&str, &str)> = account.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let home = expect_status(app.get(&app.client, "/").await, StatusCode::OK).await;
    assert!(home.contains(&format!(r#"href="/accounts/{id}/certificate">Renew certificate"#)), "no way to renew from Home");

    app.call(&app.client, "renew_certificate", &account).await;
    let body = expect_status(app.call(&app.client, "certificate_renewal", &account).await, StatusCode::OK).await;
    let renewal: xops::integrations::microsoft::renewal::Renewal = serde_json::from_str(&body).unwrap();
    let new = renewal.new.expect("the new certificate");
    let new_pem = expect_status(app.get(&app.client, &new.download_url).await, StatusCode::OK).await;
    entra.upload_certificate(APP, &new_pem).await;
    let switched = app.call(&app.client, "switch_certificate", &account).await;
    assert_eq!(location(&switched), "/integrations/microsoft?notice=certificate-switched");
    assert_eq!(status(&app, "Contoso 365").await.0, "connected");
}
