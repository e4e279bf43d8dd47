//! Sign-up, sign-in, sign-out, sessions, throttling and the first-login rule, through the real
//! router and database.
use crate::common::{expect_status, location, TestApp, PASSWORD};
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
         VALUES ($1, 'aws', 'management', 'Prod', '123456789012', 'connected', 0, 0)",
    )
    .bind(org)
    .execute(&app.pool)
    .await
    .unwrap();

    let browser = app.new_browser();
    let res = app.sign_in(&browser, "ada@example.com", PASSWORD).await;
    assert_eq!(location(&res), "/", "sign-in goes straight to Home");
    let home = expect_status(app.get(&browser, "/").await, StatusCode::OK).await;
    assert!(home.contains("Current account: ") && home.contains("Prod") && home.contains("123456789012"));
    // One account is shown once as the current account, not again as a list of one (issue 24).
    assert!(!home.contains("Connected accounts"), "a list of the one account");
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
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
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
        (("", "ada@example.com"), "organization"),
        (("Acme", "not-an-email"), "email"),
        ((&"A".repeat(101), "ada@example.com"), "organization"),
        (("Two\nlines", "ada@example.com"), "organization"),
    ];
    for ((org, email), field) in cases {
        let body = expect_status(app.request_sign_up(&app.client, org, email).await, StatusCode::BAD_REQUEST).await;
        let err: xops::error::AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(err.field(), Some(field), "{body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_up_requests").await, 0, "nothing saved");
    assert!(app.mail.received().is_empty(), "nothing mailed");

    // The password is chosen on the link's page, and checked there.
    expect_status(app.request_sign_up(&app.client, "Acme", "ada@example.com").await, StatusCode::OK).await;
    let token = app.sign_up_token("ada@example.com", 1).await;
    for (password, field) in [("short", "password"), (&"x".repeat(129) as &str, "password")] {
        let res = app.call(&app.client, "confirm_sign_up", &[("token", &token), ("password", password)]).await;
        let body = expect_status(res, StatusCode::BAD_REQUEST).await;
        let err: xops::error::AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(err.field(), Some(field), "{body}");
    }
    let wrong = app.call(&app.client, "confirm_sign_up", &[("token", "not-a-token"), ("password", PASSWORD)]).await;
    let body = expect_status(wrong, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("This link has expired or was already used"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0, "nothing created yet");

    let missing =
        expect_status(app.call(&app.client, "sign_up", &[("email", "x@example.com")]).await, StatusCode::BAD_REQUEST)
            .await;
    assert!(missing.contains("missing field"), "{missing}");
}

#[tokio::test]
async fn sign_up_never_says_whether_an_email_has_an_account() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;

    // A stranger tries the same address, and a new one: the answers are the same.
    let stranger = app.new_browser();
    let taken = app.request_sign_up(&stranger, "Acme 2", "ADA@example.com").await;
    let (taken_status, taken_location) = (taken.status(), location(&taken));
    let taken_body = taken.text().await.unwrap();
    let free = app.request_sign_up(&stranger, "Acme 2", "bob@example.com").await;
    assert_eq!((taken_status, taken_location.as_str()), (free.status(), location(&free).as_str()));
    assert_eq!(taken_body, free.text().await.unwrap());
    assert_eq!(taken_location, "/signup/sent");
    assert!(!taken_body.contains("exists"), "{taken_body}");
    // Without JavaScript too: both go to the same page.
    for email in ["ada@example.com", "carol@example.com"] {
        let res =
            app.submit(&stranger, "sign_up", &[("organization", "Acme 3"), ("email", email)], "/signup").await;
        assert_eq!((res.status(), location(&res)), (StatusCode::FOUND, "/signup/sent".to_string()), "{email}");
    }

    // Only the mailbox learns the difference: the owner gets a note, with no link that creates anything.
    let note = app.mail.wait_for("ada@example.com", 2).await;
    assert_eq!(note.header("Subject").as_deref(), Some("You already have an Xops 360 account"));
    assert!(note.body().contains(&format!("{}/signin", app.url)) && !note.body().contains("/signup/confirm/"));
    assert!(!note.body().contains("Acme 2"), "no text a stranger typed reaches the mailbox");
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 1);

    // The new address gets its link; the organization exists only once the link is used, once.
    let token = app.sign_up_token("bob@example.com", 1).await;
    let page = expect_status(app.get(&app.new_browser(), &format!("/signup/confirm/{token}")).await, StatusCode::OK).await;
    assert!(page.contains("Choose your password") && page.contains("Acme 2") && page.contains("bob@example.com"));
    let bob = app.new_browser();
    let done = app.call(&bob, "confirm_sign_up", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(location(&done), "/select-platform");
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 2);
    let again = app.call(&app.new_browser(), "confirm_sign_up", &[("token", &token), ("password", PASSWORD)]).await;
    expect_status(again, StatusCode::BAD_REQUEST).await;
    let spent = expect_status(app.get(&app.new_browser(), &format!("/signup/confirm/{token}")).await, StatusCode::OK).await;
    assert!(spent.contains("This link no longer works"), "{spent}");

    // One address gets at most 3 sign-up mails an hour, whoever asks; the answer stays the same.
    for _ in 0..3 {
        expect_status(app.request_sign_up(&stranger, "Spam", "ada@example.com").await, StatusCode::OK).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail.to("ada@example.com").len(), 3, "the first 3 since the owner's own sign-up");
    // The database never holds a usable link: only its hash, and sent bodies are erased.
    let body_left = app.count("SELECT COUNT(*) FROM outbox_mail WHERE sent_at IS NOT NULL AND body_sealed IS NOT NULL").await;
    assert_eq!(body_left, 0);
}

#[tokio::test]
async fn a_sign_up_link_expires() {
    let app = TestApp::spawn().await;
    expect_status(app.request_sign_up(&app.client, "Acme", "ada@example.com").await, StatusCode::OK).await;
    let token = app.sign_up_token("ada@example.com", 1).await;
    sqlx::query("UPDATE sign_up_requests SET expires_at = 0").execute(&app.pool).await.unwrap();
    let res = app.call(&app.client, "confirm_sign_up", &[("token", &token), ("password", PASSWORD)]).await;
    let body = expect_status(res, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("expired"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn forms_without_javascript_redirect_with_the_result() {
    let app = TestApp::spawn().await;
    let asked = app.submit(&app.client, "sign_up", &[("organization", "Acme"), ("email", "ada@example.com")], "/signup").await;
    assert_eq!((asked.status(), location(&asked)), (StatusCode::FOUND, "/signup/sent".to_string()));
    let token = app.sign_up_token("ada@example.com", 1).await;
    let link = format!("/signup/confirm/{token}");
    let short = app.submit(&app.client, "confirm_sign_up", &[("token", &token), ("password", "short")], &link).await;
    let back = location(&short);
    assert!(back.starts_with(&format!("{link}?")) && back.contains("__err=") && !back.contains("short"), "{back}");
    let page = expect_status(app.get(&app.client, &back).await, StatusCode::OK).await;
    assert!(page.contains("Use at least 8 characters") && page.contains("Choose your password"), "{page}");
    let ok = app.submit(&app.client, "confirm_sign_up", &[("token", &token), ("password", PASSWORD)], &link).await;
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
