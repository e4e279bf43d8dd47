//! Two-factor sign-in through the real router: an authenticator's codes after the password,
//! each accepted once; recovery codes, single use and voided by new ones; codes throttled like
//! passwords; an organization that requires a second factor; the step-up before removal.
use reqwest::{Client, StatusCode};
use xops::endpoints::{self, Access};

use crate::common::{expect_status, location, TestApp, PASSWORD};
use crate::teams::acme;

const STEP: i64 = 30;

/// Now, at least 3 seconds from either end of a 30-second step: a code computed here is still
/// the code of the same step when the portal checks it.
async fn steady_now() -> i64 {
    let into = xops::server::now() % STEP;
    if !(3..=STEP - 4).contains(&into) {
        let wait = (STEP - into + 3) % STEP;
        tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(wait).unwrap_or(0))).await;
    }
    xops::server::now()
}

/// The key the Security page shows while an authenticator is being added.
async fn shown_secret(app: &TestApp, client: &Client) -> Vec<u8> {
    let page = expect_status(app.get(client, "/account/security").await, StatusCode::OK).await;
    let start = page.find("class=\"totp-secret\">").expect("the key is shown") + "class=\"totp-secret\">".len();
    let text: String = page[start..].chars().take_while(|c| *c != '<').filter(|c| !c.is_whitespace()).collect();
    totp_rs::Secret::try_from_base32(&text).expect("base32 key").to_vec()
}

/// Adds an authenticator for the signed-in `client`; returns its secret, the step its
/// confirming code spent, and the recovery codes shown once.
async fn enrol(app: &TestApp, client: &Client) -> (Vec<u8>, i64, Vec<String>) {
    let res = app.call(client, "start_authenticator", &[]).await;
    assert!(location(&res).starts_with("/account/security"), "{}", res.status());
    let secret = shown_secret(app, client).await;
    let now = steady_now().await;
    let res = app.call(client, "confirm_authenticator", &[("code", &xops::auth::totp::code_at(&secret, now))]).await;
    assert_eq!(location(&res), "/account/security?notice=authenticator-added", "{}", res.status());
    let codes = expect_status(app.call(client, "recovery_codes_once", &[]).await, StatusCode::OK).await;
    let codes: Vec<String> = serde_json::from_str::<Option<Vec<String>>>(&codes).expect("json").expect("codes shown");
    assert_eq!(codes.len(), 10);
    let again = expect_status(app.call(client, "recovery_codes_once", &[]).await, StatusCode::OK).await;
    assert_eq!(again, "null", "shown once");
    (secret, now / STEP, codes)
}

/// Signs in with the password; the answer sends to the second step.
async fn password_step(app: &TestApp, client: &Client, email: &str) {
    let res = app.sign_in(client, email, PASSWORD).await;
    assert_eq!(location(&res), "/signin/verify", "{}", res.status());
    let page = app.get(client, "/integrations").await;
    assert!(location(&page).starts_with("/signin"), "the password alone opens nothing: {}", page.status());
}

async fn verify(app: &TestApp, client: &Client, code: &str) -> reqwest::Response {
    app.call(client, "verify_sign_in", &[("code", code)]).await
}

#[tokio::test]
async fn an_authenticator_code_is_asked_after_the_password_and_each_is_accepted_once() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (secret, confirmed_step, _) = enrol(&app, &app.client).await;
    app.call(&app.client, "sign_out", &[]).await;

    password_step(&app, &app.client, "ada@example.com").await;
    let code_of = |step: i64| xops::auth::totp::code_at(&secret, step * STEP);
    // The code that confirmed the authenticator was spent there.
    let body = expect_status(verify(&app, &app.client, &code_of(confirmed_step)).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("already used"), "{body}");
    let now_step = steady_now().await / STEP;
    let body = expect_status(verify(&app, &app.client, &code_of(now_step - 2)).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("not right"), "two steps old: {body}");
    // The next step's code is accepted (a phone clock a little ahead).
    let res = verify(&app, &app.client, &code_of(now_step + 1)).await;
    assert_eq!(location(&res), "/select-platform", "{}", res.status());
    expect_status(app.get(&app.client, "/integrations").await, StatusCode::OK).await;

    // A replay of that code, by someone who knows the password, is refused.
    let thief = app.new_browser();
    password_step(&app, &thief, "ada@example.com").await;
    let body = expect_status(verify(&app, &thief, &code_of(now_step + 1)).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("already used"), "{body}");
    let trail: Vec<String> = sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'sign_in' ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(trail.last().map(String::as_str), Some("with an authenticator code"));
}

#[tokio::test]
async fn recovery_codes_work_once_and_new_ones_void_the_old() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (_, _, codes) = enrol(&app, &app.client).await;
    assert!(codes.iter().all(|c| c.len() == 19), "{codes:?}");

    let browser = app.new_browser();
    password_step(&app, &browser, "ada@example.com").await;
    let res = verify(&app, &browser, &codes[0]).await;
    assert_eq!(location(&res), "/select-platform?notice=recovery-code-used-9", "{}", res.status());
    let page = expect_status(app.get(&browser, "/select-platform?notice=recovery-code-used-9").await, StatusCode::OK).await;
    assert!(page.contains("9 recovery codes left"), "the page says how many are left");

    let again = app.new_browser();
    password_step(&app, &again, "ada@example.com").await;
    expect_status(verify(&app, &again, &codes[0]).await, StatusCode::BAD_REQUEST).await;
    // Typed in lower case, without dashes.
    let res = verify(&app, &again, &codes[1].to_lowercase().replace('-', "")).await;
    assert!(location(&res).starts_with("/select-platform"), "{}", res.status());

    // New codes (the session gave its second factor just now: no code asked).
    let res = app.call(&again, "regenerate_recovery_codes", &[("code", "")]).await;
    assert_eq!(location(&res), "/account/security?notice=recovery-codes-regenerated", "{}", res.status());
    let fresh: Vec<String> =
        serde_json::from_str::<Option<Vec<String>>>(&app.call(&again, "recovery_codes_once", &[]).await.text().await.unwrap())
            .unwrap()
            .expect("new codes shown");
    let third = app.new_browser();
    password_step(&app, &third, "ada@example.com").await;
    expect_status(verify(&app, &third, &codes[2]).await, StatusCode::BAD_REQUEST).await;
    assert!(location(&verify(&app, &third, &fresh[0]).await).starts_with("/select-platform"));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'recovery_codes_regenerated'").await, 1);
}

#[tokio::test]
async fn codes_are_throttled_like_passwords() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (secret, _, _) = enrol(&app, &app.client).await;
    let browser = app.new_browser();
    // The password's attempt counts until the second factor is given: 1 + 4 wrong codes.
    password_step(&app, &browser, "ada@example.com").await;
    for _ in 0..4 {
        expect_status(verify(&app, &browser, "000000").await, StatusCode::BAD_REQUEST).await;
    }
    let now = steady_now().await;
    let right = xops::auth::totp::code_at(&secret, now + STEP);
    let body = expect_status(verify(&app, &browser, &right).await, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(body.contains("Too many sign-in attempts"), "{body}");
    // Signing in again does not reset the count (the password alone clears nothing).
    let res = app.sign_in(&browser, "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_owner_requires_a_second_factor_and_members_without_one_can_only_enrol() {
    let (app, admin, _viewer) = acme().await;
    let body = expect_status(app.call(&app.client, "require_second_factor", &[("required", "true")]).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("your own account first"), "{body}");
    let body = expect_status(app.call(&admin, "require_second_factor", &[("required", "true")]).await, StatusCode::FORBIDDEN).await;
    assert!(body.contains("Only an Owner"), "{body}");
    let _ = enrol(&app, &app.client).await;
    let res = app.call(&app.client, "require_second_factor", &[("required", "true")]).await;
    assert_eq!(location(&res), "/settings/organization?notice=second-factor-policy-saved", "{}", res.status());

    // The Admin, without a second factor: every page leads to enrolment, every server function
    // but enrolment's answers 403.
    let page = app.get(&admin, "/integrations").await;
    assert_eq!(location(&page), "/account/security");
    expect_status(app.get(&admin, "/account/security").await, StatusCode::OK).await;
    let mut blocked = 0;
    for endpoint in endpoints::all() {
        if !matches!(endpoint.access, Access::Member(_)) || endpoint.while_enrolling {
            continue;
        }
        let res = app.call(&admin, endpoint.name(), &[]).await;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {body}", endpoint.name());
        assert!(body.contains("requires a second factor"), "{}: {body}", endpoint.name());
        blocked += 1;
    }
    assert!(blocked > 40, "{blocked}");
    let _ = enrol(&app, &admin).await;
    expect_status(app.call(&admin, "workspace", &[]).await, StatusCode::OK).await;
    expect_status(app.get(&admin, "/integrations").await, StatusCode::OK).await;
    let members = expect_status(app.call(&app.client, "load_members", &[]).await, StatusCode::OK).await;
    assert!(members.contains("\"two_factor\":true") && members.contains("\"two_factor\":false"), "{members}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor_required'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor_added'").await, 2);
}

#[tokio::test]
async fn removing_the_authenticator_asks_for_it_again_ends_other_sessions_and_mails() {
    // A second factor is never fresh here: every step-up asks for a code.
    let app = TestApp::spawn_with(|config| config.second_factor_fresh = std::time::Duration::ZERO).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (secret, _, codes) = enrol(&app, &app.client).await;
    let other = app.new_browser();
    password_step(&app, &other, "ada@example.com").await;
    assert!(location(&verify(&app, &other, &codes[0]).await).starts_with("/select-platform"));

    let body = expect_status(app.call(&app.client, "remove_authenticator", &[("code", "")]).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("confirm it is you"), "{body}");
    expect_status(app.call(&app.client, "remove_authenticator", &[("code", "111111")]).await, StatusCode::BAD_REQUEST).await;
    let now = steady_now().await;
    let res = app.call(&app.client, "remove_authenticator", &[("code", &xops::auth::totp::code_at(&secret, now + STEP))]).await;
    assert_eq!(location(&res), "/account/security?notice=authenticator-removed", "{}", res.status());
    // This session goes on; the other has ended.
    expect_status(app.get(&app.client, "/account/security").await, StatusCode::OK).await;
    assert!(location(&app.get(&other, "/integrations").await).starts_with("/signin"));
    // After the sign-up link, and the note that a new browser (`other`) signed in.
    app.mail.wait_for("ada@example.com", 3).await;
    let mails = app.mail.to("ada@example.com");
    assert!(mails.iter().any(|m| m.body().contains("authenticator app was removed")), "{mails:?}");
    // The password alone signs in again.
    let res = app.sign_in(&other, "ada@example.com", PASSWORD).await;
    assert_eq!(location(&res), "/select-platform");
    assert_eq!(app.count("SELECT COUNT(*) FROM recovery_codes").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor_removed'").await, 1);
}

#[tokio::test]
async fn deleting_the_organization_asks_an_owner_with_a_second_factor_for_it_again() {
    let app = TestApp::spawn_with(|config| config.second_factor_fresh = std::time::Duration::ZERO).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (secret, _, _) = enrol(&app, &app.client).await;
    let page = expect_status(app.get(&app.client, "/settings/organization").await, StatusCode::OK).await;
    assert!(page.contains("name=\"code\""), "the form asks for the code");
    let form = [("confirm_name", "Acme"), ("code", "")];
    let body = expect_status(app.call(&app.client, "delete_organization", &form).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("confirm it is you"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 1);
    let now = steady_now().await;
    let code = xops::auth::totp::code_at(&secret, now + STEP);
    let res = app.call(&app.client, "delete_organization", &[("confirm_name", "Acme"), ("code", &code)]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0);
}
