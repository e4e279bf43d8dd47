//! Several replicas on one PostgreSQL database, each a whole app with its own process-wide
//! state, through the real router: a session is one session everywhere, throttling counts
//! across them, what one writes the other lists, and periodic work runs once per period.
//! SQLite runs as one process (its sessions are cached in it), so the replica tests but the
//! last are for PostgreSQL, run by the test command's second pass.
use std::time::Duration;

use crate::common::aws::{Role, StubSts};
use crate::common::{expect_status, location, TestApp, PASSWORD};
use reqwest::StatusCode;
use xops::config::SessionCache;

#[tokio::test]
async fn a_session_works_on_every_replica_and_ends_on_all_at_once() {
    if !crate::common::on_postgres() {
        return;
    }
    session_ends_everywhere(SessionCache::None, Notifications::Delivered).await;
}

#[tokio::test]
async fn with_notified_caches_a_session_ended_on_one_replica_is_refused_by_the_other_at_once() {
    if !crate::common::on_postgres() {
        return;
    }
    session_ends_everywhere(SessionCache::Notify, Notifications::Delivered).await;
}

/// The sign-out's NOTIFY held back for good (its trigger off): the replica that cached the
/// session still refuses the cookie at once, since the ended session is checked with the user.
#[tokio::test]
async fn a_signed_out_session_is_refused_by_a_replica_that_caches_it_even_before_its_notify_arrives() {
    if !crate::common::on_postgres() {
        return;
    }
    session_ends_everywhere(SessionCache::Notify, Notifications::Withheld).await;
}

#[derive(PartialEq)]
enum Notifications {
    Delivered,
    Withheld,
}

/// Signs in, uses the cookie on both replicas (so a cache, if any, holds it), signs out on B,
/// and checks that both send the cookie to sign-in at once, with or without caches.
async fn session_ends_everywhere(cache: SessionCache, notifications: Notifications) {
    let a = TestApp::spawn_with(|c| c.session_cache = cache).await;
    let b = a.replica(|c| c.session_cache = cache).await;
    a.sign_up(&a.client, "Acme", "ada@example.com").await;
    // The session cookie as a browser holds it, replayed by hand (a cookie jar would drop it
    // when sign-out clears it; a stolen or stale copy would not).
    let signed_in = a.sign_in(&a.new_browser(), "ada@example.com", PASSWORD).await;
    let cookie = session_cookie(&signed_in);
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = |app: &TestApp| plain.get(format!("{}/integrations", app.url)).header(reqwest::header::COOKIE, &cookie).send();
    assert_eq!(page(&a).await.unwrap().status(), StatusCode::OK);
    assert_eq!(page(&b).await.unwrap().status(), StatusCode::OK);
    if notifications == Notifications::Withheld {
        sqlx::query("ALTER TABLE sessions DISABLE TRIGGER sessions_changed").execute(&a.pool).await.unwrap();
    }

    // Signed out on B: A refuses the same cookie at once.
    let out = plain
        .post(format!("{}/api/sign_out", b.url))
        .header(reqwest::header::ORIGIN, &b.url)
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success() || out.status().is_redirection(), "{}", out.status());
    for app in [&a, &b] {
        let after = page(app).await.unwrap();
        assert!(after.status().is_redirection() && location(&after).starts_with("/signin"), "{}", after.status());
    }
}

/// The session cookie a sign-in set, as a browser holds it (replayed by hand: a cookie jar
/// would drop it when sign-out clears it; a stolen or stale copy would not).
fn session_cookie(signed_in: &reqwest::Response) -> String {
    signed_in
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().filter(|c| c.starts_with("xops_session=")).map(str::to_string))
        .expect("a session cookie")
}

/// A member removed on one replica loses the organization at their next request on both, with
/// sessions cached in memory: the membership is read with the user on every request, not kept
/// in the session.
#[tokio::test]
async fn a_removed_member_loses_the_organization_at_their_next_request_on_every_replica() {
    let (a, _admin, _viewer) = crate::teams::acme().await;
    let b = a.replica(|_| {}).await;
    let cookie = session_cookie(&a.sign_in(&a.new_browser(), "cy@example.com", PASSWORD).await);
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = |app: &TestApp| plain.get(format!("{}/integrations", app.url)).header(reqwest::header::COOKIE, &cookie).send();
    assert_eq!(page(&a).await.unwrap().status(), StatusCode::OK);
    assert_eq!(page(&b).await.unwrap().status(), StatusCode::OK);

    let cy = crate::teams::user_id(&a, "cy@example.com").await;
    let res = b.call(&a.client, "remove_member", &[("user_id", &cy)]).await;
    assert_eq!(location(&res), "/members?notice=member-removed");
    for app in [&a, &b] {
        let after = page(app).await.unwrap();
        assert!(after.status().is_redirection() && location(&after).starts_with("/signin"), "{}", after.status());
    }
    // Signing in again says why there is nothing to sign in to.
    let res = a.sign_in(&a.new_browser(), "cy@example.com", PASSWORD).await;
    assert!(expect_status(res, StatusCode::CONFLICT).await.contains("not a member of any organization"));
}

#[tokio::test]
async fn failed_sign_ins_spread_over_two_replicas_lock_the_email() {
    if !crate::common::on_postgres() {
        return;
    }
    let a = TestApp::spawn().await;
    let b = a.replica(|_| {}).await;
    a.sign_up(&a.client, "Acme", "ada@example.com").await;
    let guesser = a.new_browser();
    for i in 0..5 {
        let replica = if i % 2 == 0 { &a } else { &b };
        expect_status(replica.sign_in(&guesser, "ada@example.com", "wrong password").await, StatusCode::UNAUTHORIZED).await;
    }
    for replica in [&a, &b] {
        // Even the right password: the email is locked for a while, wherever it is tried.
        expect_status(replica.sign_in(&guesser, "ada@example.com", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;
    }
}

#[tokio::test]
async fn an_account_linked_on_one_replica_is_listed_on_the_other() {
    if !crate::common::on_postgres() {
        return;
    }
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let a = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    let b = a.replica(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    a.sign_up(&a.client, "Acme", "ada@example.com").await;
    let form = [("kind", "management"), ("name", "Payer"), ("role_arn", "arn:aws:iam::123456789012:role/XopsReadOnlyAccess")];
    let linked = a.call(&a.client, "link_aws_account", &form).await;
    assert_eq!(location(&linked), "/integrations/aws?notice=linked-aws");
    let page = expect_status(b.get(&a.client, "/integrations").await, StatusCode::OK).await;
    assert!(page.contains("Payer") && page.contains("123456789012"));
}

/// Both engines: the claim is what makes a periodic job run once per period.
#[tokio::test]
async fn each_period_of_a_job_is_claimed_once_across_replicas_and_survives_one_dying() {
    let a = TestApp::spawn().await;
    let b = a.replica(|_| {}).await;
    let period = Duration::from_secs(300);
    let now = xops::server::now() + 1_000_000; // a period no background job of these apps has reached
    let claims = (0..10).map(|i| {
        let pool = if i % 2 == 0 { a.pool.clone() } else { b.pool.clone() };
        tokio::spawn(async move { xops::server::jobs::claim(&pool, "test_job", period, now).await.expect("claim") })
    });
    let won: Vec<bool> = futures_won(claims).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "one replica runs the period: {won:?}");
    assert!(!xops::server::jobs::claim(&b.pool, "test_job", period, now + 299).await.unwrap(), "not again within it");

    // A is gone; the next period is B's.
    drop(a);
    assert!(xops::server::jobs::claim(&b.pool, "test_job", period, now + 300).await.unwrap());
    assert_eq!(b.count("SELECT runs FROM jobs WHERE name = 'test_job'").await, 2);
}

async fn futures_won(claims: impl Iterator<Item = tokio::task::JoinHandle<bool>>) -> Vec<bool> {
    let mut won = Vec::new();
    for claim in claims {
        won.push(claim.await.expect("the claim task ran"));
    }
    won
}
