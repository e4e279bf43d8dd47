//! Passkeys through the real router, for what needs no authenticator (the ceremonies themselves
//! run in Chromium with its virtual authenticator: end2end/tests/passkeys.spec.ts): a passkey
//! counts as a second factor after the password, another user's passkey is a 404, an answer
//! without this session's challenge is refused, and an address as the public URL (which
//! WebAuthn refuses as a relying party) says why there are no passkeys.
use reqwest::StatusCode;

use crate::common::{expect_status, location, TestApp, PASSWORD};

/// A passkey row for `email`, as the portal stores one (the record is the library's JSON; its
/// content does not matter to these tests, which never verify a signature).
async fn stored_passkey(app: &TestApp, email: &str, name: &str) -> i64 {
    let user: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(&app.pool).await.unwrap();
    sqlx::query_scalar(
        "INSERT INTO passkeys (user_id, name, credential_id, passkey, created_at) VALUES ($1, $2, $3, '{}', 0) RETURNING id",
    )
    .bind(user)
    .bind(name)
    .bind(name.as_bytes().to_vec())
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_passkey_is_a_second_factor_and_only_its_owner_can_remove_it() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil", "eve@example.com").await;
    let id = stored_passkey(&app, "ada@example.com", "Ada's laptop").await.to_string();

    // Eve cannot remove it, nor learn that it exists.
    let body = expect_status(app.call(&eve, "remove_passkey", &[("id", &id)]).await, StatusCode::NOT_FOUND).await;
    assert!(body.contains("no such passkey"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 1);

    // With a passkey, the password alone signs Ada in no further than the second step.
    let browser = app.new_browser();
    assert_eq!(location(&app.sign_in(&browser, "ada@example.com", PASSWORD).await), "/signin/verify");
    assert!(location(&app.get(&browser, "/integrations").await).starts_with("/signin"));
    let members = expect_status(app.call(&app.client, "load_members", &[]).await, StatusCode::OK).await;
    assert!(members.contains("\"two_factor\":true"), "{members}");

    // An answer to no challenge of this session (none asked, or another browser's) is refused.
    let body = expect_status(
        app.call(&browser, "verify_with_passkey", &[("credential", r#"{"id":"x","rawId":"eA","response":{"authenticatorData":"","clientDataJSON":"","signature":""},"type":"public-key"}"#)]).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(body.contains("took too long") || body.contains("expired"), "{body}");
}

#[tokio::test]
async fn passkeys_need_a_domain_name_as_the_public_url() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    // The tests' portal is http://127.0.0.1:PORT: an address, which WebAuthn refuses.
    let res = app.call(&app.client, "passkey_registration_options", &[]).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let body = res.text().await.unwrap_or_default();
    assert!(body.contains("Passkeys need the portal served under a domain name"), "{body}");
}

#[tokio::test]
async fn passkey_sign_ins_are_bounded_per_address() {
    let app = TestApp::spawn().await;
    let stranger = app.new_browser();
    // Anyone may start one, and each keeps a challenge in a session: 60 an hour per address.
    for _ in 0..60 {
        let res = app.call(&stranger, "passkey_sign_in_options", &[]).await;
        assert_ne!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let body = expect_status(app.call(&app.new_browser(), "passkey_sign_in_options", &[]).await, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(body.contains("Too many passkey sign-ins from your network"), "{body}");
}
