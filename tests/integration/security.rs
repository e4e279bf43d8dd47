//! What an attacker can reach: concurrent guesses, sign-up floods, forwarded addresses, crafted
//! form errors, caching and headers, through the real router and database.
use std::time::Duration;

use crate::common::{expect_status, location, sign_in_at, sign_in_from, TestApp, PASSWORD};
use reqwest::header::{ACCEPT, ORIGIN, REFERER};
use reqwest::StatusCode;


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_cannot_outrun_the_throttle() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (url, client) = (app.url.clone(), app.new_browser());
        guesses.spawn(async move { sign_in_at(&url, &client, "ada@example.com", &format!("guess {i}"), None).await });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= 5, "{checked} guesses reached the password check: {statuses:?}");
    assert_eq!(checked + refused, 50, "{statuses:?}");
    assert_eq!(
        sign_in_from(&app, &app.new_browser(), "ada@example.com", PASSWORD, None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "locked, even for the right password"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_alone() {
    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec![xops::net::Cidr::parse("127.0.0.1").unwrap()]).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    app.sign_up(&app.new_browser(), "Other", "bob@example.com").await;
    let attacker = app.new_browser();
    for _ in 0..5 {
        let status = sign_in_from(&app, &attacker, "ada@example.com", "wrong", Some("203.0.113.66")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_from(&app, &attacker, "bob@example.com", "wrong", Some("203.0.113.66")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is locked"
    );
    assert_eq!(
        sign_in_from(&app, &app.new_browser(), "bob@example.com", PASSWORD, Some("198.51.100.7")).await,
        StatusCode::OK,
        "another client behind the same proxy is not"
    );
    let audited: String =
        sqlx::query_scalar("SELECT client_addr FROM audit_log WHERE action = 'sign_in' ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited, "198.51.100.7", "the audit log names the client, not the proxy");
}

/// Issue 24: one IPv6 subscriber holds a whole /64, so the throttle counts the /64.
#[tokio::test]
async fn an_ipv6_client_is_throttled_by_its_64() {
    let app = TestApp::spawn_with(|c| c.trusted_proxies = vec![xops::net::Cidr::parse("127.0.0.1").unwrap()]).await;
    let attacker = app.new_browser();
    for i in 1..=5 {
        let from = format!("2001:db8:1:2::{i}");
        let status = sign_in_from(&app, &attacker, &format!("victim{i}@example.com"), "wrong", Some(&from)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_from(&app, &attacker, "victim9@example.com", "wrong", Some("2001:db8:1:2:ffff::99")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "another address of the same /64 is the same client"
    );
    assert_eq!(
        sign_in_from(&app, &app.new_browser(), "victim9@example.com", "wrong", Some("2001:db8:1:3::1")).await,
        StatusCode::UNAUTHORIZED,
        "the next /64 is someone else"
    );
}

#[tokio::test]
async fn forwarding_headers_from_untrusted_peers_are_ignored() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let attacker = app.new_browser();
    for i in 0..5 {
        let forged = format!("203.0.113.{i}");
        let status = sign_in_from(&app, &attacker, "nobody@example.com", "wrong", Some(&forged)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in_from(&app, &attacker, "ada@example.com", PASSWORD, Some("203.0.113.99")).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a new X-Forwarded-For does not buy new guesses"
    );
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = TestApp::spawn_with(|c| c.sign_ups_per_hour = 2).await;
    for i in 0..2 {
        let res = app.sign_up(&app.new_browser(), "Acme", &format!("user{i}@example.com")).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let third = app.sign_up(&app.new_browser(), "Acme", "user2@example.com").await;
    let body = expect_status(third, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(body.contains("Too many sign-ups"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
}

#[tokio::test]
async fn form_errors_are_the_portals_own_words() {
    let app = TestApp::spawn().await;
    // A crafted link with a message of the attacker's: sent to the page without it.
    use base64::Engine;
    let lie = base64::engine::general_purpose::URL_SAFE
        .encode(r#"{"error":"BadRequest","message":"Your account is suspended, call +1-555-0100"}"#);
    let crafted = format!("/signin?email=ada%40example.com&__path=%2Fapi%2Fsign_in&__err={lie}");
    let res = app.get(&app.client, &crafted).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signin?email=ada%40example.com");
    let forged_sig = format!("{crafted}&__sig=AAAA");
    assert_eq!(location(&app.get(&app.client, &forged_sig).await), "/signin?email=ada%40example.com");
    let page = expect_status(app.get(&app.client, "/signin?email=ada%40example.com").await, StatusCode::OK).await;
    assert!(!page.contains("suspended"));

    // A form posted from a page of another origin comes back to our page of that path.
    let res = app
        .client
        .post(format!("{}/api/sign_in", app.url))
        .header(ORIGIN, &app.url)
        .header(ACCEPT, "text/html")
        .header(REFERER, "https://evil.example/signin")
        .form(&[("email", "ada@example.com"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    let back = location(&res);
    assert!(back.starts_with("/signin?") && back.contains("__sig="), "{back}");
    let page = expect_status(app.get(&app.client, &back).await, StatusCode::OK).await;
    assert!(page.contains("Invalid email or password."), "a signed error is shown");

    // Issue 24: a signed error made in one browser is not shown in another (organization B made
    // a link that showed its own words in organization A's error box).
    let other = app.new_browser();
    let replayed = app.get(&other, &back).await;
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER, "another browser's signed error was shown");
    assert!(!location(&replayed).contains("__err"), "{}", location(&replayed));
}

#[tokio::test]
async fn signed_in_answers_are_not_stored_and_every_answer_carries_the_headers() {
    let app = TestApp::spawn_with(|c| c.public_url = c.public_url.replace("http://", "https://")).await;
    let page = app.get(&app.client, "/signin").await;
    let header = |res: &reqwest::Response, name: &str| {
        res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
    };
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert!(header(&page, "strict-transport-security").starts_with("max-age="), "HSTS under https");
    let origin = app.url.replace("http://", "https://");
    let api = app
        .client
        .post(format!("{}/api/workspace", app.url))
        .header(ORIGIN, &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&api, "cache-control"), "no-store");
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = app
        .client
        .post(format!("{}/api/sign_in", app.url))
        .header(ORIGIN, &origin)
        .form(&[("email", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(header(&too_large, "x-content-type-options"), "nosniff", "the 413 carries the headers too");
}

#[tokio::test]
async fn an_active_user_stays_signed_in_under_a_short_idle_timeout() {
    let app = TestApp::spawn_with(|c| c.session_idle = Duration::from_secs(4)).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    // Active every 1.5 s for 7.5 s: well past the 4 s timeout, never 4 s idle.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let res = app.get(&app.client, "/integrations").await;
        assert_eq!(res.status(), StatusCode::OK, "signed out while active: {}", location(&res));
    }
}

#[tokio::test]
async fn an_organization_cannot_pile_up_unconnected_certificates() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    for i in 0..10 {
        sqlx::query(
            "INSERT INTO certificates (organization_id, service, cert_pem, thumbprint, x5t_s256, not_after, sealed_key, \
             key_nonce, key_id, created_at) VALUES ($1, 'entra', '', $2, '', 0, $3, $3, '', $4)",
        )
        .bind(org)
        .bind(format!("T{i}"))
        .bind(vec![0u8])
        .bind(xops::server::now())
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let res = app.call(&app.client, "generate_certificate", &[("service", "entra")]).await;
    let body = expect_status(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(body.contains("10 certificates that are not connected"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM certificates").await, 10, "no key pair was made");
}

#[tokio::test]
async fn a_replaced_master_key_stops_the_start_and_old_keys_are_bound_to_their_rows() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    // A key sealed before keys were bound to their row (empty associated data).
    let sealer = xops::crypto::Sealer::load(None, &app.config.master_key_file).unwrap();
    let old = sealer.seal(b"an old private key", b"").unwrap();
    sqlx::query(
        "INSERT INTO certificates (organization_id, service, cert_pem, thumbprint, x5t_s256, not_after, sealed_key, \
         key_nonce, key_id, created_at, sealed_bound) VALUES ($1, 'entra', '', 'AB12', '', 0, $2, $3, $4, $5, 0)",
    )
    .bind(org)
    .bind(&old.ciphertext)
    .bind(&old.nonce)
    .bind(&old.key_id)
    .bind(xops::server::now())
    .execute(&app.pool)
    .await
    .unwrap();

    // The next start binds it: it no longer opens unbound.
    let _restarted = xops::startup::build_app(app.config.clone()).await.expect("starts with its own key");
    let (bound, ciphertext, nonce, key_id): (i64, Vec<u8>, Vec<u8>, String) =
        sqlx::query_as("SELECT sealed_bound, sealed_key, key_nonce, key_id FROM certificates").fetch_one(&app.pool).await.unwrap();
    assert_eq!(bound, 1);
    assert!(sealer.open(&xops::crypto::Sealed { ciphertext, nonce, key_id }, b"").is_err(), "re-sealed with its context");

    // A lost key file replaced by a new one: the portal refuses to start, and says what to fix.
    let mut replaced = app.config.clone();
    replaced.master_key_file = app.dir.path().join("new.key");
    let err = xops::startup::build_app(replaced.clone()).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("XOPS_MASTER_KEY") && err.contains("sealed under master key"), "{err}");
    assert!(!replaced.master_key_file.exists(), "a key file was written before the key was found wrong");
}

/// Issue 24: with no certificates but a webhook secret (or waiting mail), a lost key file was
/// silently replaced; now the key check row refuses any other key, and nothing is written.
#[tokio::test]
async fn a_lost_key_file_is_never_silently_replaced() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM certificates").await, 0);
    let expected = xops::crypto::Sealer::load(None, &app.config.master_key_file).unwrap().key_id().to_string();
    std::fs::remove_file(&app.config.master_key_file).unwrap();
    let err = xops::startup::build_app(app.config.clone()).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains(&format!("sealed under master key {expected}")), "{err}");
    assert!(!app.config.master_key_file.exists(), "a new key file was written");

    // Another key given outright is refused the same way, by the check row alone.
    let mut other = app.config.clone();
    other.master_key = Some(base64::engine::general_purpose::STANDARD.encode([9u8; 32]));
    let err = xops::startup::build_app(other).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains(&expected), "{err}");
}

#[tokio::test]
async fn legacy_posts_with_a_session_and_dotted_page_paths_are_refused() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    // A state change carrying the session cookie, but neither Origin nor Sec-Fetch-Site.
    let res = app.client.post(format!("{}/api/rename_account", app.url)).form(&[("account_id", "1"), ("name", "X")]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A signed-in page's path with a dot is still a page: anonymous visitors go to sign-in.
    let res = app.get(&app.new_browser(), "/integrations/microsoft/m365.x").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", location(&res));
    assert!(location(&res).starts_with("/signin?next="));
}

#[tokio::test]
async fn the_database_holds_no_usable_session_id() {
    let app = TestApp::spawn().await;
    let res = app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let cookie = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("xops_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let stored: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions").fetch_all(&app.pool).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored.contains(&cookie), "stored under a hash, not as the cookie's id");
    // The cookie still works, and a request bearing the stored id as its cookie does not.
    assert_eq!(app.get(&app.client, "/integrations").await.status(), StatusCode::OK);
    let thief = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let stolen = thief
        .get(format!("{}/integrations", app.url))
        .header(reqwest::header::COOKIE, format!("xops_session={}", stored[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), StatusCode::SEE_OTHER, "the stored id is not a session");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let host = app.url.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.url
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
    for _ in 0..20 {
        if tcp.write_all(chunk.as_bytes()).await.is_err() {
            break; // the server may answer and close before reading it all
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.to_lowercase().contains("x-content-type-options: nosniff"), "{answer}");
}
