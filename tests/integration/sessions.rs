//! Your account → Sessions through the real router, with two replicas on one database (each
//! with its own session cache): the list, Sign out of one session, Sign out everywhere else,
//! each refused at the next request on the other replica; another user's session is a 404.
use reqwest::{Client, StatusCode};
use xops::auth::sessions::SignedIn;

use crate::common::{expect_status, location, TestApp, PASSWORD};

const CHROME_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

fn browser(user_agent: &str) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .expect("client")
}

async fn sessions(app: &TestApp, client: &Client) -> Vec<SignedIn> {
    let body = expect_status(app.call(client, "my_sessions", &[]).await, StatusCode::OK).await;
    serde_json::from_str(&body).expect("sessions as JSON")
}

async fn signed_in(app: &TestApp, client: &Client) -> bool {
    app.get(client, "/integrations").await.status() == StatusCode::OK
}

#[tokio::test]
async fn sessions_are_listed_and_signed_out_one_or_all_at_once_on_every_replica() {
    let a = TestApp::spawn().await;
    let b = a.replica(|_| {}).await;
    a.sign_up(&a.client, "Acme", "ada@example.com").await;
    let laptop = browser(CHROME_LINUX);
    let desktop = browser(FIREFOX_WINDOWS);
    let phone = browser(CHROME_LINUX);
    assert_eq!(location(&a.sign_in(&laptop, "ada@example.com", PASSWORD).await), "/select-platform");
    assert_eq!(location(&b.sign_in(&desktop, "ada@example.com", PASSWORD).await), "/select-platform");
    assert_eq!(location(&b.sign_in(&phone, "ada@example.com", PASSWORD).await), "/select-platform");
    assert!(signed_in(&b, &desktop).await && signed_in(&a, &desktop).await, "cached on both replicas");

    let listed = sessions(&a, &laptop).await;
    // The sign-up's own session, and the three browsers.
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert!(listed[0].this_browser && listed[0].browser == "Chrome on Linux", "{listed:?}");
    let firefox = listed.iter().find(|s| s.browser == "Firefox on Windows 10").unwrap_or_else(|| panic!("{listed:?}"));
    assert_eq!(firefox.address, "127.0.0.1");
    assert!(!listed.iter().any(|s| s.handle.is_empty()));

    // Sign out the desktop from the laptop: refused on both replicas at its next request.
    let res = a.call(&laptop, "end_session", &[("handle", &firefox.handle)]).await;
    assert_eq!(location(&res), "/account/sessions?notice=session-signed-out", "{}", res.status());
    assert!(!signed_in(&b, &desktop).await && !signed_in(&a, &desktop).await);
    assert!(signed_in(&b, &phone).await && signed_in(&a, &laptop).await, "the others go on");
    assert_eq!(sessions(&a, &laptop).await.len(), 3);

    // Another user cannot end Ada's sessions, nor tell whether a handle is one: 404.
    let eve = browser(CHROME_LINUX);
    a.sign_up(&eve, "Evil", "eve@example.com").await;
    let phone_handle = sessions(&b, &phone).await.into_iter().find(|s| s.this_browser).expect("phone").handle;
    let body = expect_status(a.call(&eve, "end_session", &[("handle", &phone_handle)]).await, StatusCode::NOT_FOUND).await;
    assert!(body.contains("no such session"), "{body}");
    assert!(signed_in(&b, &phone).await);

    // Sign out everywhere else: only the laptop stays, on either replica.
    let res = b.call(&laptop, "end_other_sessions", &[]).await;
    assert_eq!(location(&res), "/account/sessions?notice=signed-out-elsewhere", "{}", res.status());
    assert!(!signed_in(&a, &phone).await && !signed_in(&b, &phone).await && !signed_in(&a, &a.client).await);
    assert!(signed_in(&a, &laptop).await && signed_in(&b, &laptop).await);
    let left = sessions(&a, &laptop).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(a.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('session_ended', 'signed_out_elsewhere')").await, 2);
}

#[tokio::test]
async fn a_sign_in_from_a_browser_new_to_the_account_is_mailed_once() {
    let app = TestApp::spawn().await;
    let laptop = browser(CHROME_LINUX);
    app.sign_up(&laptop, "Acme", "ada@example.com").await;
    let sign_up_mails = app.mail.to("ada@example.com").len();
    // The browser that signed up is known: signing in there again is no news.
    app.call(&laptop, "sign_out", &[]).await;
    assert_eq!(location(&app.sign_in(&laptop, "ada@example.com", PASSWORD).await), "/select-platform");
    let desktop = browser(FIREFOX_WINDOWS);
    assert_eq!(location(&app.sign_in(&desktop, "ada@example.com", PASSWORD).await), "/select-platform");
    let mail = app.mail.wait_for("ada@example.com", sign_up_mails + 1).await;
    assert_eq!(mail.header("Subject").as_deref(), Some("New sign-in to Xops 360: Firefox on Windows 10 from 127.0.0.1"));
    assert!(mail.body().contains("/account/sessions"), "{}", mail.body());
    // Once per browser: the desktop signing in again is known now.
    app.call(&desktop, "sign_out", &[]).await;
    assert_eq!(location(&app.sign_in(&desktop, "ada@example.com", PASSWORD).await), "/select-platform");
    assert_eq!(location(&app.sign_in(&laptop, "ada@example.com", PASSWORD).await), "/select-platform");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.mail.to("ada@example.com").len(), sign_up_mails + 1, "one mail for the one new browser");
}
