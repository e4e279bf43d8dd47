//! Mail through a real SMTP conversation (the test's own SMTP server): support requests reach
//! the support team, and nothing is lost while the mail server is down.
use crate::common::{expect_status, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn a_support_request_is_mailed_to_support_with_the_requester_to_reply_to() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let form = [("subject", "Delete our management account"), ("description", "Line one\nLine two: naïve ✓")];
    expect_status(app.call(&app.client, "create_support_request", &form).await, StatusCode::OK).await;

    let mail = app.mail.wait_for("support@axiomio.com", 1).await;
    assert_eq!(mail.header("Reply-To").as_deref(), Some("ada@example.com"));
    assert_eq!(mail.header("Subject").as_deref(), Some("[Xops 360 support] Delete our management account"));
    assert_eq!(mail.from, "no-reply@axiomio.com");
    let body = mail.body();
    assert!(body.contains("Line one\nLine two: naïve ✓") && body.contains("organization \"Acme\""), "{body}");

    let page = wait_until_page_says(&app, "Sent to support").await;
    assert!(page.contains("Delete our management account"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'support_request'").await, 1);
}

#[tokio::test]
async fn while_the_mail_server_is_down_requests_wait_and_are_sent_when_it_is_back() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    app.mail.refuse(true);
    let form = [("subject", "Help"), ("description", "Our role stopped working.")];
    expect_status(app.call(&app.client, "create_support_request", &form).await, StatusCode::OK).await;

    // The request is stored, the requester sees it waiting, and the failure is recorded for a retry.
    let page = wait_until_page_says(&app, "Waiting to be sent").await;
    assert!(page.contains("Help"));
    // The first attempt runs right after the commit, in the background.
    for _ in 0..100 {
        if app.count("SELECT COUNT(*) FROM outbox_mail WHERE purpose = 'support_request' AND attempts > 0").await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (attempts, error, next): (i64, String, i64) = sqlx::query_as(
        "SELECT attempts, last_error, next_attempt_at FROM outbox_mail WHERE purpose = 'support_request'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.contains("421") || error.to_lowercase().contains("unavailable"), "{error}");
    assert!(next > xops::server::now() + 20, "retried after a backoff, not in a loop");
    assert!(app.mail.to("support@axiomio.com").is_empty());

    // The server comes back; when the retry is due (the clock moved on) the mail goes out.
    app.mail.refuse(false);
    let mailer = xops::mail::transport::Mailer::new(&app.config.mail).unwrap();
    let sealer = xops::crypto::Sealer::load(None, &app.config.master_key_file).unwrap();
    let sent = xops::mail::outbox::deliver_due(&app.pool, &mailer, &sealer, next).await.unwrap();
    assert_eq!(sent, 1);
    let mail = app.mail.wait_for("support@axiomio.com", 1).await;
    assert!(mail.body().contains("Our role stopped working."));
    wait_until_page_says(&app, "Sent to support").await;
    let body_left: i64 =
        app.count("SELECT COUNT(*) FROM outbox_mail WHERE purpose = 'support_request' AND body_sealed IS NOT NULL").await;
    assert_eq!(body_left, 0, "a sent body is erased");
    // Sent once: running the outbox again sends nothing more.
    assert_eq!(xops::mail::outbox::deliver_due(&app.pool, &mailer, &sealer, next + 7200).await.unwrap(), 0);
}

/// The Support page, once it says `text` (the outbox works in the background).
async fn wait_until_page_says(app: &TestApp, text: &str) -> String {
    for _ in 0..100 {
        let page = expect_status(app.get(&app.client, "/support").await, StatusCode::OK).await;
        if page.contains(text) {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the Support page never said {text:?}");
}
