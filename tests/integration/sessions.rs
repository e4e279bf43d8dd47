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
