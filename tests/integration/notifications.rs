//! Notifications through the real app: a webhook receiver started here gets one signed message
//! per status change (not per check), a failing receiver is retried from the outbox with
//! backoff, a certificate nearing expiry is told once per threshold by mail, and webhook URLs
//! follow the SSRF rules. Time is passed in where it matters.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::aws::{Role, StubSts};
use crate::common::entra::{linked_m365, EntraDouble};
use crate::common::{expect_status, linked_payer, location, TestApp};
use reqwest::StatusCode;
use xops::health::schedule::run_due;
use xops::notify::deliver::deliver_due;

const HOURS: i64 = 3600;

/// A webhook receiver on a free loopback port: records each request's signature header and
/// body, and answers the statuses it is given in turn (then 200), after `delay`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(String, String)>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(answers: Vec<u16>) -> Receiver {
        Receiver::start_slow(answers, Duration::ZERO).await
    }

    async fn start_slow(mut answers: Vec<u16>, delay: Duration) -> Receiver {
        let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        answers.reverse();
        let answers = Arc::new(Mutex::new(answers));
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post({
                let got = got.clone();
                move |headers: axum::http::HeaderMap, body: String| {
                    let (got, answers) = (got.clone(), answers.clone());
                    async move {
                        let signature = headers.get("x-xops-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                        got.lock().unwrap().push((signature, body));
                        let status = answers.lock().unwrap().pop().unwrap_or(200);
                        tokio::time::sleep(delay).await;
                        axum::http::StatusCode::from_u16(status).unwrap()
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, got, server }
    }

    fn received(&self) -> Vec<(String, String)> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Adds a webhook through the portal and reads its secret, shown once.
async fn add_webhook(app: &TestApp, url: &str) -> String {
    add_webhook_as(app, &app.client, url).await
}

async fn add_webhook_as(app: &TestApp, client: &reqwest::Client, url: &str) -> String {
    let added = app.call(client, "add_webhook", &[("url", url)]).await;
    let created = location(&added);
    let id = created.split("created=").nth(1).expect("the page that shows the secret").to_string();
    let once = expect_status(app.call(client, "webhook_secret_once", &[("id", &id)]).await, StatusCode::OK).await;
    let secret: Option<String> = serde_json::from_str(&once).unwrap();
    let again = expect_status(app.call(client, "webhook_secret_once", &[("id", &id)]).await, StatusCode::OK).await;
    assert_eq!(again, "null", "the secret was shown twice");
    secret.expect("the secret, once")
}

#[tokio::test]
async fn a_webhook_gets_one_signed_message_per_status_change_not_per_check() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = linked_payer(&stub).await;
    let receiver = Receiver::start(vec![]).await;
    let secret = add_webhook(&app, &receiver.url).await;
    assert!(secret.starts_with("whsec_") && secret.len() == 70, "{secret}");
    let audit: Vec<String> = sqlx::query_scalar("SELECT detail FROM audit_log").fetch_all(&app.pool).await.unwrap();
    assert!(!audit.iter().any(|d| d.contains(&secret)), "the secret is in the audit log");

    let now = xops::server::now();
    run_due(&app.state, now + 6 * HOURS + 1).await.unwrap();
    deliver_due(&app.state, now + 6 * HOURS + 2).await.unwrap();
    assert!(receiver.received().is_empty(), "a check that changed nothing was notified");

    // The clock the checks ran at is the one the outbox goes by.
    stub.set(Role::Denied);
    run_due(&app.state, now + 12 * HOURS + 1).await.unwrap();
    assert_eq!(deliver_due(&app.state, now + 12 * HOURS + 2).await.unwrap(), 1);
    run_due(&app.state, now + 18 * HOURS + 1).await.unwrap();
    assert_eq!(deliver_due(&app.state, now + 18 * HOURS + 2).await.unwrap(), 0, "a check that changed nothing was notified");
    stub.set(Role::RequiresExternalId);
    run_due(&app.state, now + 24 * HOURS + 1).await.unwrap();
    assert_eq!(deliver_due(&app.state, now + 24 * HOURS + 2).await.unwrap(), 1);

    let got = receiver.received();
    assert_eq!(got.len(), 2, "one message per change: {got:?}");
    for (signature, body) in &got {
        assert_eq!(signature, &xops::notify::webhook::signature(secret.as_bytes(), body.as_bytes()), "a bad signature");
    }
    let failed: serde_json::Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(failed["event"], "account.status_changed");
    assert_eq!((failed["previous_status"].as_str(), failed["status"].as_str()), (Some("connected"), Some("failed")));
    assert!(failed["text"].as_str().unwrap().contains("\"Payer\" (123456789012) is now Failed"), "{failed}");
    let recovered: serde_json::Value = serde_json::from_str(&got[1].1).unwrap();
    assert_eq!(recovered["status"], "connected");

    let settings = expect_status(app.call(&app.client, "notification_settings", &[]).await, StatusCode::OK).await;
    let settings: xops::settings::Notifications = serde_json::from_str(&settings).unwrap();
    assert_eq!(settings.deliveries.len(), 2);
    assert!(settings.deliveries.iter().all(|d| d.delivered && d.state.starts_with("Sent")), "{:?}", settings.deliveries);
    // Another organization sees none of it.
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil", "eve@example.com").await;
    let theirs = expect_status(app.call(&eve, "notification_settings", &[]).await, StatusCode::OK).await;
    let theirs: xops::settings::Notifications = serde_json::from_str(&theirs).unwrap();
    assert!(theirs.targets.is_empty() && theirs.deliveries.is_empty());
    expect_status(app.call(&eve, "remove_notification_target", &[("id", &settings.targets[0].id.to_string())]).await, StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test]
async fn the_outbox_retries_a_webhook_that_answered_500_twice() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = linked_payer(&stub).await;
    let receiver = Receiver::start(vec![500, 500]).await;
    add_webhook(&app, &receiver.url).await;
    stub.set(Role::Denied);
    let now = xops::server::now();
    run_due(&app.state, now + 6 * HOURS + 1).await.unwrap();
    let later = now + 6 * HOURS + 1;
    assert_eq!(deliver_due(&app.state, later).await.unwrap(), 0, "the first try answered 500");
    assert_eq!(receiver.received().len(), 1);
    // Not before its backoff: 30 s after the first try, then 60 s after the second.
    assert_eq!(deliver_due(&app.state, later + 10).await.unwrap(), 0);
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(deliver_due(&app.state, later + 31).await.unwrap(), 0, "the second try answered 500");
    assert_eq!(receiver.received().len(), 2);
    assert_eq!(deliver_due(&app.state, later + 31 + 61).await.unwrap(), 1);
    assert_eq!(receiver.received().len(), 3);
    let bodies: Vec<String> = receiver.received().into_iter().map(|(_, body)| body).collect();
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "a retry sent another message");
    let settings = expect_status(app.call(&app.client, "notification_settings", &[]).await, StatusCode::OK).await;
    let settings: xops::settings::Notifications = serde_json::from_str(&settings).unwrap();
    assert_eq!(settings.deliveries.len(), 1);
    assert!(settings.deliveries[0].state.starts_with("Sent"), "{:?}", settings.deliveries[0]);
}

#[tokio::test]
async fn a_certificate_ten_days_from_expiry_warns_and_mails_once_not_once_per_check() {
    let entra = EntraDouble::start().await;
    let (app, _) = linked_m365(&entra).await;
    let added = app.call(&app.client, "add_notification_email", &[("email", "ops@acme.example")]).await;
    assert!(location(&added).contains("notice=notification-target-added"), "{}", location(&added));
    let now = xops::server::now();
    sqlx::query("UPDATE certificates SET not_after = $1").bind(now + 10 * 24 * HOURS).execute(&app.pool).await.unwrap();

    // Shown on Home and in the list, with the way to renew.
    let home = expect_status(app.get(&app.client, "/").await, StatusCode::OK).await;
    assert!(home.contains("renew it before then") && home.contains("/certificate\""), "no expiry warning on Home");

    let send_mail = |at: i64| xops::mail::outbox::deliver_due(&app.state.pool, &app.state.mailer, &app.state.sealer, at);
    for round in 1..=3 {
        xops::notify::events::certificate_reminders(&app.state, now + round * HOURS).await.unwrap();
        run_due(&app.state, now + round * 6 * HOURS + 1).await.unwrap();
        send_mail(now + round * 6 * HOURS + 2).await.unwrap();
    }
    let mail = app.mail.wait_for("ops@acme.example", 1).await;
    // Reminded at the first check, 1 hour on: 9 whole days left.
    assert!(mail.body().contains("expires in 9 day(s)"), "{}", mail.body());
    assert!(mail.body().contains("Renew certificate"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mail.to("ops@acme.example").len(), 1, "told once per check");

    // At 6 days it comes within the next threshold (7): told once more.
    xops::notify::events::certificate_reminders(&app.state, now + 4 * 24 * HOURS + 1).await.unwrap();
    send_mail(now + 4 * 24 * HOURS + 2).await.unwrap();
    let second = app.mail.wait_for("ops@acme.example", 2).await;
    assert!(second.body().contains("expires in 5 day(s)"), "{}", second.body());
}

#[tokio::test]
async fn webhook_urls_must_be_https_and_never_inside_the_network() {
    // Production rules: no loopback http.
    let app = TestApp::spawn_with(|c| c.webhooks = Default::default()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    for (url, says) in [
        ("http://hooks.example.com/x", "https only"),
        ("http://127.0.0.1:9/x", "https only"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("https://10.0.0.7/x", "10.0.0.7"),
        ("https://localhost/x", "localhost resolves to"),
        ("not a url", "full URL"),
    ] {
        let body = expect_status(app.call(&app.client, "add_webhook", &[("url", url)]).await, StatusCode::BAD_REQUEST).await;
        assert!(body.contains("\"field\":\"url\"") && body.contains(says), "{url}: {body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM notification_targets").await, 0);
    let bad = expect_status(app.call(&app.client, "add_notification_email", &[("email", "nobody")]).await, StatusCode::BAD_REQUEST).await;
    assert!(bad.contains("\"field\":\"email\""), "{bad}");
}

/// Issue 24: eight webhooks of one organization pointed at a receiver that answers after 30 s
/// delayed another organization's alert by 159 s. Deliveries now run concurrently, bounded per
/// organization, and a new message never waits for a slow one.
#[tokio::test]
async fn one_organizations_slow_webhooks_do_not_delay_anothers_alert() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = linked_payer(&stub).await;
    let slow = Receiver::start_slow(vec![], Duration::from_secs(30)).await;
    for i in 0..8 {
        add_webhook(&app, &format!("{}?n={i}", slow.url)).await;
    }
    let bob = app.new_browser();
    app.sign_up(&bob, "Beta", "bob@example.com").await;
    let linked = app.call(&bob, "link_aws_account", &[("kind", "management"), ("name", "Payer"), ("role_arn", crate::common::PAYER_ARN)]).await;
    assert!(location(&linked).contains("notice=linked-aws"), "{}", location(&linked));
    let fast = Receiver::start(vec![]).await;
    add_webhook_as(&app, &bob, &fast.url).await;
    let account_of = |email: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT a.id FROM cloud_accounts a JOIN memberships m ON m.organization_id = a.organization_id JOIN users u ON u.id = m.user_id WHERE u.email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (acme_payer, beta_payer) = (account_of("ada@example.com").await, account_of("bob@example.com").await);

    stub.set(Role::Denied);
    app.call(&app.client, "retest_account", &[("account_id", &acme_payer.to_string())]).await;
    // Acme's eight messages are on their way to the slow receiver...
    for _ in 0..100 {
        if !slow.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!slow.received().is_empty(), "Acme's alert was not sent at all");
    // ...when Beta's account fails: its alert goes out at once, not after Acme's.
    app.call(&bob, "retest_account", &[("account_id", &beta_payer.to_string())]).await;
    for _ in 0..100 {
        if !fast.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = fast.received();
    assert_eq!(got.len(), 1, "Beta's alert waited behind Acme's slow receivers");
    assert!(got[0].1.contains("is now Failed"), "{}", got[0].1);
    assert!(slow.received().len() <= xops::notify::deliver::PER_ORGANIZATION, "one organization took more than its share");
}

/// A receiver that keeps timing out gets a shorter wait, is paused after three timeouts in a
/// row, and the organization is told (its page, its other targets, its audit log).
#[tokio::test]
async fn a_webhook_that_keeps_timing_out_is_paused_and_the_organization_told() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| {
        c.aws = stub.settings(Duration::from_secs(5));
        c.webhooks.timeout = Duration::from_secs(1);
    })
    .await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    crate::common::link_payer(&app).await;
    let slow = Receiver::start_slow(vec![], Duration::from_secs(30)).await;
    add_webhook(&app, &slow.url).await;
    app.call(&app.client, "add_notification_email", &[("email", "ops@acme.example")]).await;
    stub.set(Role::Denied);
    let now = xops::server::now();
    run_due(&app.state, now + 6 * HOURS + 1).await.unwrap();
    let later = now + 6 * HOURS + 1;
    for at in [later, later + 31, later + 31 + 61] {
        assert_eq!(deliver_due(&app.state, at).await.unwrap(), 0);
    }
    assert_eq!(slow.received().len(), 3);
    let last_error: String = sqlx::query_scalar("SELECT last_error FROM notifications WHERE attempts = 3").fetch_one(&app.pool).await.unwrap();
    assert!(last_error.contains("no answer within 0.3"), "the second and later tries wait a third as long: {last_error}");
    // Paused: its next try is not made, whatever the backoff says.
    assert_eq!(deliver_due(&app.state, later + 31 + 61 + 121).await.unwrap(), 0);
    assert_eq!(slow.received().len(), 3, "a paused webhook was tried");
    let settings = expect_status(app.call(&app.client, "notification_settings", &[]).await, StatusCode::OK).await;
    let settings: xops::settings::Notifications = serde_json::from_str(&settings).unwrap();
    let hook = settings.targets.iter().find(|t| t.kind == "webhook").unwrap();
    assert!(hook.paused.as_deref().is_some_and(|p| p.starts_with("Paused until")), "{hook:?}");
    let told = app.count("SELECT COUNT(*) FROM notifications n JOIN notification_targets t ON t.id = n.target_id \
        WHERE t.kind = 'email' AND n.event_key LIKE 'webhook_paused:%'").await;
    assert_eq!(told, 1, "the organization's email address was not told");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'webhook_paused'").await, 1);
}

#[tokio::test]
async fn an_organization_has_at_most_ten_webhooks() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let receiver = Receiver::start(vec![]).await;
    for i in 0..10 {
        add_webhook(&app, &format!("{}?n={i}", receiver.url)).await;
    }
    let eleventh = app.call(&app.client, "add_webhook", &[("url", &format!("{}?n=10", receiver.url))]).await;
    let body = expect_status(eleventh, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("\"field\":\"url\"") && body.contains("at most 10 webhooks"), "{body}");
}
