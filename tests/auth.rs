//! Sign-up, sign-in, sign-out, sessions, throttling and the first-login rule, through the real
//! router and database.
mod common;

use common::{expect_status, location, TestApp, PASSWORD};
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;

#[tokio::test]
async fn sign_up_creates_an_organization_and_lands_on_the_selection_screen() {
    let app = TestApp::spawn().await;
    let res = app.sign_up(&app.client, "Acme", "  Ada@Example.COM ").await;
    assert_eq!(location(&res), "/select-platform");
    expect_status(res, StatusCode::OK).await;

    let (email, hash): (String, String) =
        sqlx::query_as("SELECT email, password_hash FROM users").fetch_one(&app.pool).await.unwrap();
    assert_eq!(email, "ada@example.com", "emails are stored lower-case and trimmed");
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));
    let external_id: String =
        sqlx::query_scalar("SELECT external_id FROM organizations").fetch_one(&app.pool).await.unwrap();
    assert!(external_id.len() >= 32, "External ID carries at least 128 bits: {external_id}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_up'").await, 1);

    // Signed in: Home leads to the selection screen while nothing is connected.
    let home = app.get(&app.client, "/").await;
    assert_eq!(location(&home), "/select-platform");
    let page = expect_status(app.get(&app.client, "/select-platform").await, StatusCode::OK).await;
    assert!(page.contains("Select Your Preferred Cloud Service or Platform"));
    for card in ["AWS (Amazon Web Services)", "EKS", "Azure", "Microsoft"] {
        assert!(page.contains(card), "{card}");
    }
}

#[tokio::test]
async fn a_connected_account_ends_the_first_login_screen() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    sqlx::query(
        "INSERT INTO cloud_accounts (organization_id, provider, kind, name, external_account_id, status, created_at, updated_at) \
         VALUES (?, 'aws', 'management', 'Prod', '123456789012', 'connected', 0, 0)",
    )
    .bind(org)
    .execute(&app.pool)
    .await
    .unwrap();

    let browser = app.new_browser();
    let res = app.sign_in(&browser, "ada@example.com", PASSWORD).await;
    assert_eq!(location(&res), "/", "sign-in goes straight to Home");
    let home = expect_status(app.get(&browser, "/").await, StatusCode::OK).await;
    assert!(home.contains("Connected accounts") && home.contains("Prod") && home.contains("123456789012"));
    // The selection screen stays reachable (Add Cloud Account).
    expect_status(app.get(&browser, "/select-platform").await, StatusCode::OK).await;
}

#[tokio::test]
async fn wrong_credentials_get_one_generic_message() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let browser = app.new_browser();
    let wrong_password =
        expect_status(app.sign_in(&browser, "ada@example.com", "nope nope nope").await, StatusCode::UNAUTHORIZED).await;
    let unknown_email =
        expect_status(app.sign_in(&browser, "bob@example.com", PASSWORD).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(wrong_password, unknown_email, "never says which of the two was wrong");
    assert!(wrong_password.contains("Invalid email or password."));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed'").await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%nope%' OR actor LIKE '%nope%'").await,
        0,
        "no password in the audit log"
    );
    // Still signed out.
    assert!(location(&app.get(&browser, "/integrations").await).starts_with("/signin"));
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("xops_session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_dies_at_sign_out() {
    let app = TestApp::spawn().await;
    let first = app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let old_cookie = session_cookie(&first).expect("sign-up starts a session");
    let cookie_flags = first.headers().get(SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie_flags.contains("HttpOnly") && cookie_flags.contains("SameSite=Lax"), "{cookie_flags}");
    assert!(!cookie_flags.contains("Secure"), "plain http public URL: no Secure flag");

    // Signing in again from the same browser cycles the id; the old one stops working.
    let again = app.sign_in(&app.client, "ada@example.com", PASSWORD).await;
    let new_cookie = session_cookie(&again).expect("sign-in sets a new session cookie");
    assert_ne!(old_cookie, new_cookie);
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let with_old = bare.get(format!("{}/integrations", app.url)).header(COOKIE, &old_cookie).send().await.unwrap();
    assert!(location(&with_old).starts_with("/signin"), "the pre-sign-in id is worthless");
    let with_new = bare.get(format!("{}/integrations", app.url)).header(COOKIE, &new_cookie).send().await.unwrap();
    assert_eq!(with_new.status(), StatusCode::OK);

    // Sign-out deletes the session from the store.
    let out = app.call(&app.client, "sign_out", &[]).await;
    assert_eq!(location(&out), "/signin?notice=signed-out");
    let replay = bare.get(format!("{}/integrations", app.url)).header(COOKIE, &new_cookie).send().await.unwrap();
    assert!(location(&replay).starts_with("/signin"), "a signed-out session cannot be replayed");
    assert_eq!(app.count("SELECT COUNT(*) FROM tower_sessions").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('sign_in', 'sign_out')").await, 2);
}

#[tokio::test]
async fn without_a_session_pages_redirect_and_server_functions_answer_401() {
    let app = TestApp::spawn().await;
    for page in ["/", "/integrations", "/select-platform", "/integrations/aws"] {
        let res = app.get(&app.client, page).await;
        assert!(location(&res).starts_with("/signin?next="), "{page}: {}", location(&res));
    }
    expect_status(app.get(&app.client, "/signin").await, StatusCode::OK).await;
    for (name, form) in [("workspace", vec![]), ("select_account", vec![("account_id", "1")])] {
        let body = expect_status(app.call(&app.client, name, &form).await, StatusCode::UNAUTHORIZED).await;
        assert!(body.contains("Please sign in"), "{name}: {body}");
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused_before_any_server_function() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(format!("{}/api/sign_up", app.url))
        .header(ORIGIN, "https://evil.example")
        .form(&[("organization", "Evil"), ("email", "evil@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let no_origin_cross_site = app
        .client
        .post(format!("{}/api/sign_up", app.url))
        .header("sec-fetch-site", "cross-site")
        .form(&[("organization", "Evil"), ("email", "evil@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin_cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0);
}

#[tokio::test]
async fn five_failures_lock_the_email_and_the_address_for_a_while() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    app.sign_up(&app.new_browser(), "Other", "bob@example.com").await;
    let browser = app.new_browser();
    for _ in 0..5 {
        expect_status(app.sign_in(&browser, "ada@example.com", "wrong password").await, StatusCode::UNAUTHORIZED).await;
    }
    // Even the right password is not checked now.
    let locked =
        expect_status(app.sign_in(&browser, "ada@example.com", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(locked.contains("Too many sign-in attempts. Try again in 15 minutes."), "{locked}");
    // The same client address is locked for other emails too.
    let other =
        expect_status(app.sign_in(&browser, "bob@example.com", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(other.contains("Too many sign-in attempts"));
}

#[tokio::test]
async fn sign_up_input_problems_name_their_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (("", "ada@example.com", PASSWORD), "organization"),
        (("Acme", "not-an-email", PASSWORD), "email"),
        (("Acme", "ada@example.com", "short"), "password"),
        (("Acme", "ada@example.com", &"x".repeat(129)), "password"),
        ((&"A".repeat(101), "ada@example.com", PASSWORD), "organization"),
        (("Two\nlines", "ada@example.com", PASSWORD), "organization"),
    ];
    for ((org, email, password), field) in cases {
        let res =
            app.call(&app.client, "sign_up", &[("organization", org), ("email", email), ("password", password)]).await;
        let body = expect_status(res, StatusCode::BAD_REQUEST).await;
        let err: xops::error::AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(err.field(), Some(field), "{body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0, "nothing saved");

    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let dup = app.sign_up(&app.new_browser(), "Acme 2", "ADA@example.com").await;
    let body = expect_status(dup, StatusCode::CONFLICT).await;
    assert!(body.contains("already exists"), "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM organizations").await,
        1,
        "the failed sign-up left no organization behind"
    );

    let missing =
        expect_status(app.call(&app.client, "sign_up", &[("email", "x@example.com")]).await, StatusCode::BAD_REQUEST)
            .await;
    assert!(missing.contains("missing field"), "{missing}");
}

#[tokio::test]
async fn forms_without_javascript_redirect_with_the_result() {
    let app = TestApp::spawn().await;
    let ok = app
        .submit(
            &app.client,
            "sign_up",
            &[("organization", "Acme"), ("email", "ada@example.com"), ("password", PASSWORD)],
            "/signup",
        )
        .await;
    assert_eq!(ok.status(), StatusCode::FOUND);
    assert_eq!(location(&ok), "/select-platform");

    let browser = app.new_browser();
    let failed =
        app.submit(&browser, "sign_in", &[("email", "ada@example.com"), ("password", "wrong one")], "/signin").await;
    assert_eq!(failed.status(), StatusCode::FOUND, "back to the form, with the error in the URL");
    let back = location(&failed);
    assert!(back.starts_with("/signin?") && back.contains("__err=") && back.contains("__sig="), "{back}");
    assert!(
        back.contains("email=ada%40example.com") && !back.contains("wrong"),
        "typed email kept, password never: {back}"
    );
    let page = expect_status(app.get(&browser, &back).await, StatusCode::OK).await;
    assert!(page.contains("Invalid email or password."), "the page shows the error after the redirect");
    assert!(page.contains(r#"value="ada@example.com""#), "the email field is filled again");
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_script_nonce() {
    let app = TestApp::spawn().await;
    let res = app.get(&app.client, "/signin").await;
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "same-origin");
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
    let nonce =
        csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a nonce in script-src").to_string();
    let body = res.text().await.unwrap();
    assert!(body.contains(&format!("nonce=\"{nonce}\"")), "the inline script carries the header's nonce");
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn bodies_over_one_megabyte_are_refused() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(1024 * 1024 + 1);
    let res = app.call(&app.client, "sign_in", &[("email", &huge), ("password", "x")]).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
