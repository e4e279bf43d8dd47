//! Teams through the real router: invitations (mailed, shown once, single use, bound to the
//! address, expiring, revocable), the role table walked with every role, the last Owner,
//! removal ending a member's access at their next request, and switching organizations.
use reqwest::{Client, StatusCode};
use xops::domain::Role;
use xops::endpoints::{self, Access, Changes};

use crate::common::{expect_status, location, TestApp, PASSWORD};

/// The Owner invites `email` as `role`; returns the link's token, read from the mail, after
/// checking that the inviter's page shows the same link once.
pub async fn invite(app: &TestApp, inviter: &Client, email: &str, role: &str) -> String {
    let before = app.mail.to(email).len();
    let res = app.call(inviter, "invite_member", &[("email", email), ("role", role)]).await;
    let to = location(&res);
    let id = to.strip_prefix("/members?invited=").unwrap_or_else(|| panic!("invited: {to} {}", res.status()));
    let id = id.to_string();
    let shown = expect_status(app.call(inviter, "invitation_link_once", &[("id", &id)]).await, StatusCode::OK).await;
    let again = expect_status(app.call(inviter, "invitation_link_once", &[("id", &id)]).await, StatusCode::OK).await;
    assert_eq!(again, "null", "the link is shown once");
    let mail = app.mail.wait_for(email, before + 1).await;
    let link = mail.link(&format!("{}/invite/", app.url)).unwrap_or_else(|| panic!("no invitation link in {}", mail.body()));
    assert_eq!(shown, format!("\"{link}\""), "the page shows the mailed link");
    link.rsplit('/').next().unwrap_or_default().to_string()
}

/// A new person follows the link and sets a name and password; returns their browser.
pub async fn join(app: &TestApp, token: &str, name: &str) -> Client {
    let browser = app.new_browser();
    let res = app.call(&browser, "join_with_password", &[("token", token), ("name", name), ("password", PASSWORD)]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "joined: {}", res.status());
    browser
}

/// Acme with its Owner (app.client), an Admin and a Viewer who joined by invitation.
pub async fn acme() -> (TestApp, Client, Client) {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let admin = join(&app, &invite(&app, &app.client, "bea@example.com", "admin").await, "Bea").await;
    let viewer = join(&app, &invite(&app, &app.client, "cy@example.com", "viewer").await, "Cy").await;
    (app, admin, viewer)
}

pub async fn user_id(app: &TestApp, email: &str) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(&app.pool).await.unwrap();
    id.to_string()
}

#[tokio::test]
async fn every_endpoint_answers_each_role_as_the_table_says() {
    let (app, admin, viewer) = acme().await;
    let roles = [(Role::Owner, &app.client), (Role::Admin, &admin), (Role::Viewer, &viewer)];
    let mut refused = 0;
    for endpoint in endpoints::all() {
        let Access::Member(needed) = endpoint.access else { continue };
        // A value no field accepts (not a number, a name, a role or a password): every call is
        // refused, by the role table or by the endpoint, and nothing changes on the way.
        let form: Vec<(&str, &str)> = endpoint.fields.iter().map(|f| (*f, "x\u{7}")).collect();
        for (role, client) in &roles {
            // A change that takes no input (Leave) would happen: only the refused call it here
            // (its own test calls it as the allowed).
            if endpoint.fields.is_empty() && endpoint.changes != Changes::Nothing && role.includes(needed) {
                continue;
            }
            let res = app.call(client, endpoint.name(), &form).await;
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            if role.includes(needed) {
                assert!(status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED, "{} as {role:?}: {status} {body}", endpoint.name());
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{} as {role:?}: {body}", endpoint.name());
                assert!(body.contains(&format!("Only {} can", needed.who())), "{} as {role:?}: {body}", endpoint.name());
                refused += 1;
            }
        }
    }
    assert!(refused > 20, "the table refuses the Viewer most changes ({refused})");
    // The role is checked before the input is read: nonsense from a Viewer is still a 403.
    let res = viewer
        .post(format!("{}/api/link_aws_account", app.url))
        .header(reqwest::header::ORIGIN, &app.url)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(&b"\xff\xfe=\xfd"[..])
        .send()
        .await
        .unwrap();
    let body = expect_status(res, StatusCode::FORBIDDEN).await;
    assert!(body.contains("Only an Admin or Owner can link accounts."), "{body}");
}

#[tokio::test]
async fn pages_offer_a_viewer_nothing_they_cannot_do() {
    let (app, admin, viewer) = acme().await;
    let org = app.organization_id("ada@example.com").await;
    app.insert_account(org, "aws", "management", "Payer", "111111111111").await;
    let page = |client: Client, path: &'static str| {
        let app = &app;
        async move { expect_status(app.get(&client, path).await, StatusCode::OK).await }
    };
    let for_viewer = page(viewer.clone(), "/integrations").await;
    assert!(!for_viewer.contains("Add Account") && !for_viewer.contains(">Delete<"), "a Viewer's Integrations");
    assert!(for_viewer.contains("Re-test"), "a Viewer may re-test");
    let for_admin = page(admin.clone(), "/integrations").await;
    assert!(for_admin.contains("Add Account") && for_admin.contains(">Delete<"), "an Admin's Integrations");
    let link_page = page(viewer.clone(), "/integrations/aws/link/linked").await;
    assert!(link_page.contains("Only an Admin or Owner can link accounts.") && !link_page.contains("Role ARN"), "{link_page}");
    let members = page(viewer, "/members").await;
    assert!(members.contains("bea@example.com") && !members.contains(">Invite<") && !members.contains("Change role"));
    let members = page(admin, "/members").await;
    assert!(members.contains(">Invite<") && !members.contains("Change role"), "an Admin invites, an Owner manages");
}

#[tokio::test]
async fn an_invitation_works_once_for_its_address_until_it_expires_or_is_revoked() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let stranger = app.new_browser();
    app.sign_up(&stranger, "Other", "eve@example.com").await;

    // Used by another signed-in address: refused, and still usable by its own.
    let token = invite(&app, &app.client, "bea@example.com", "viewer").await;
    let other = expect_status(app.call(&stranger, "accept_invitation", &[("token", &token)]).await, StatusCode::FORBIDDEN).await;
    assert!(other.contains("This invitation is for bea@example.com"), "{other}");
    let bea = join(&app, &token, "Bea").await;
    let members = expect_status(app.call(&bea, "load_members", &[]).await, StatusCode::OK).await;
    assert!(members.contains("\"your_role\":\"viewer\"") && members.contains("\"name\":\"Bea\""), "{members}");
    // Twice: refused.
    let twice = app.new_browser();
    let res = app.call(&twice, "join_with_password", &[("token", &token), ("name", "Mallory"), ("password", PASSWORD)]).await;
    assert!(expect_status(res, StatusCode::CONFLICT).await.contains("already used"));

    // Revoked: its link stops working.
    let revoked = invite(&app, &app.client, "cy@example.com", "admin").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM invitations WHERE email = 'cy@example.com'").fetch_one(&app.pool).await.unwrap();
    let res = app.call(&app.client, "revoke_invitation", &[("id", &id.to_string())]).await;
    assert_eq!(location(&res), "/members?notice=invitation-revoked");
    let res = app.call(&app.new_browser(), "join_with_password", &[("token", &revoked), ("name", "Cy"), ("password", PASSWORD)]).await;
    assert!(expect_status(res, StatusCode::CONFLICT).await.contains("revoked"));

    // Expired after 7 days.
    let late = invite(&app, &app.client, "dee@example.com", "viewer").await;
    sqlx::query("UPDATE invitations SET expires_at = 1 WHERE email = 'dee@example.com'").execute(&app.pool).await.unwrap();
    let res = app.call(&app.new_browser(), "invitation_details", &[("token", &late)]).await;
    assert!(expect_status(res, StatusCode::CONFLICT).await.contains("expired"));
    // An unknown token, and the token is stored only as its hash.
    let res = app.call(&app.new_browser(), "invitation_details", &[("token", "not-a-token")]).await;
    expect_status(res, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM invitations WHERE token_hash = '{late}'")).await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM invitations WHERE link_sealed IS NOT NULL").await, 0, "links erased once shown");

    // An existing person signs in and joins with one click; they now belong to two organizations.
    let token = invite(&app, &app.client, "eve@example.com", "admin").await;
    let res = app.call(&stranger, "join_with_password", &[("token", &token), ("name", "Eve"), ("password", PASSWORD)]).await;
    assert!(expect_status(res, StatusCode::CONFLICT).await.contains("sign in to accept"));
    let res = app.call(&stranger, "accept_invitation", &[("token", &token)]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    let mine = expect_status(app.call(&stranger, "my_organizations", &[]).await, StatusCode::OK).await;
    assert!(mine.contains("\"name\":\"Acme\",\"role\":\"admin\",\"current\":true") && mine.contains("\"name\":\"Other\""), "{mine}");
    // The audit trail has all of it, never a token.
    for action in ["invitation_sent", "invitation_revoked", "invitation_accepted"] {
        assert!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await > 0, "{action}");
    }
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%{token}%'")).await, 0);
}

#[tokio::test]
async fn an_admin_cannot_make_owners_and_the_last_owner_stays() {
    let (app, admin, _viewer) = acme().await;
    let res = app.call(&admin, "invite_member", &[("email", "x@example.com"), ("role", "owner")]).await;
    assert!(expect_status(res, StatusCode::FORBIDDEN).await.contains("Only an Owner can invite an Owner"));
    let ada = user_id(&app, "ada@example.com").await;
    for (name, form) in [("change_role", vec![("user_id", ada.as_str()), ("role", "admin")]), ("remove_member", vec![("user_id", ada.as_str())])] {
        let body = expect_status(app.call(&app.client, name, &form).await, StatusCode::CONFLICT).await;
        assert!(body.contains("needs an Owner"), "{name}: {body}");
    }
    let bea = user_id(&app, "bea@example.com").await;
    let res = app.call(&app.client, "change_role", &[("user_id", &bea), ("role", "owner")]).await;
    assert_eq!(location(&res), "/members?notice=role-changed");
    // With a second Owner, the first may step down; Bea, now Owner, may change roles.
    let res = app.call(&app.client, "change_role", &[("user_id", &ada), ("role", "viewer")]).await;
    assert_eq!(location(&res), "/members?notice=role-changed");
    let refused = expect_status(app.call(&app.client, "change_role", &[("user_id", &bea), ("role", "viewer")]).await, StatusCode::FORBIDDEN).await;
    assert!(refused.contains("Only an Owner can change roles."), "{refused}");
    assert!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'role_changed'").await == 2);
}

#[tokio::test]
async fn a_member_of_two_organizations_sees_only_the_one_chosen() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let bea = app.new_browser();
    app.sign_up(&bea, "Beta", "bea@example.com").await;
    let (acme, beta) = (app.organization_id("ada@example.com").await, app.organization_id("bea@example.com").await);
    let acme_account = app.insert_account(acme, "aws", "management", "Acme payer", "111111111111").await;
    app.insert_account(beta, "aws", "management", "Beta payer", "222222222222").await;
    let token = invite(&app, &app.client, "bea@example.com", "viewer").await;
    app.call(&bea, "accept_invitation", &[("token", &token)]).await;

    // Now in Acme: Acme's accounts only, as a Viewer.
    let ws = expect_status(app.call(&bea, "workspace", &[]).await, StatusCode::OK).await;
    assert!(ws.contains("Acme payer") && !ws.contains("Beta payer") && ws.contains("\"role\":\"viewer\""), "{ws}");
    // Back to Beta: Beta's accounts, and Acme's account is not found.
    let res = app.call(&bea, "switch_organization", &[("organization_id", &beta.to_string())]).await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let ws = expect_status(app.call(&bea, "workspace", &[]).await, StatusCode::OK).await;
    assert!(ws.contains("Beta payer") && !ws.contains("Acme payer") && ws.contains("\"role\":\"owner\""), "{ws}");
    let res = app.call(&bea, "account_details", &[("account_id", &acme_account.to_string())]).await;
    expect_status(res, StatusCode::NOT_FOUND).await;
    // An organization they do not belong to, and other organizations' member and invitation ids.
    let eve = app.new_browser();
    app.sign_up(&eve, "Evil", "eve@example.com").await;
    let evil = app.organization_id("eve@example.com").await;
    expect_status(app.call(&bea, "switch_organization", &[("organization_id", &evil.to_string())]).await, StatusCode::NOT_FOUND).await;
    let ada = user_id(&app, "ada@example.com").await;
    for name in ["change_role", "remove_member"] {
        expect_status(app.call(&eve, name, &[("user_id", &ada), ("role", "viewer")]).await, StatusCode::NOT_FOUND).await;
    }
    invite(&app, &app.client, "zed@example.com", "viewer").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM invitations WHERE email = 'zed@example.com'").fetch_one(&app.pool).await.unwrap();
    for name in ["revoke_invitation", "invitation_link_once"] {
        expect_status(app.call(&eve, name, &[("id", &id.to_string())]).await, StatusCode::NOT_FOUND).await;
    }
}

/// Organizations from before teams keep everything: each user becomes their organization's
/// Owner, and the audit trail and support requests still name them (SQLite rebuilds the users
/// table to drop its organization column: nothing that points at a user may be lost).
#[tokio::test]
async fn the_teams_migration_makes_each_user_the_owner_and_keeps_their_history() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::fresh_database_url(dir.path()).await;
    let folder = if crate::common::on_postgres() { "migrations/postgres" } else { "migrations" };
    let mut before_teams = sqlx::migrate::Migrator::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder)).await.unwrap();
    before_teams.migrations = before_teams.migrations.iter().filter(|m| m.version < 20261207000003).cloned().collect::<Vec<_>>().into();
    let old = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    before_teams.run(&old).await.unwrap();
    for sql in [
        "INSERT INTO organizations (id, name, external_id, created_at) VALUES (7, 'Acme', 'xops-acme', 10)",
        "INSERT INTO users (id, organization_id, email, password_hash, created_at) VALUES (3, 7, 'ada@example.com', 'hash', 11)",
        "INSERT INTO audit_log (organization_id, user_id, actor, action, detail, client_addr, created_at) VALUES (7, 3, 'ada@example.com', 'sign_in', '', '', 12)",
        "INSERT INTO support_requests (organization_id, user_id, subject, description, created_at) VALUES (7, 3, 'Help', 'Please', 13)",
    ] {
        sqlx::query(sql).execute(&old).await.unwrap();
    }
    old.close().await;

    let pool = xops::server::connect(&url, xops::config::DEFAULT_POSTGRES_POOL_SIZE).await.expect("migrates");
    let owner: (i64, i64, String) = sqlx::query_as("SELECT organization_id, user_id, role FROM memberships").fetch_one(&pool).await.unwrap();
    assert_eq!(owner, (7, 3, "owner".to_string()));
    let kept: (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT user_id FROM audit_log), (SELECT user_id FROM support_requests), (SELECT last_sign_in_at FROM users WHERE id = 3)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, (Some(3), Some(3), Some(12)));
    // The references still lead to the user: deleting them clears the audit trail's pointer.
    sqlx::query("DELETE FROM users WHERE id = 3").execute(&pool).await.unwrap();
    assert_eq!(sqlx::query_scalar::<_, Option<i64>>("SELECT user_id FROM audit_log").fetch_one(&pool).await.unwrap(), None);
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM memberships").fetch_one(&pool).await.unwrap(), 0);
}

/// No dead buttons: every form on every page a Viewer or an Admin opens posts to an endpoint
/// their role may call (the role table decides, not a list kept here).
#[tokio::test]
async fn pages_hold_no_form_the_reader_may_not_send() {
    let (app, admin, viewer) = acme().await;
    invite(&app, &app.client, "pending@example.com", "viewer").await;
    let org = app.organization_id("ada@example.com").await;
    let payer = app.insert_account(org, "aws", "management", "Payer", "111111111111").await;
    let azure = app.insert_account(org, "azure", "", "Contoso", "72f988bf-86f1-41af-91ab-2d7cd011db47").await;
    let m365 = app.insert_account(org, "m365", "", "Mail", "72f988bf-86f1-41af-91ab-2d7cd011db48").await;
    let pages = [
        "/".to_string(),
        "/integrations".into(),
        "/integrations/aws".into(),
        "/integrations/eks".into(),
        "/integrations/azure".into(),
        "/integrations/microsoft".into(),
        "/integrations/microsoft/m365".into(),
        "/integrations/aws/link/management".into(),
        "/select-platform".into(),
        format!("/accounts/{azure}/subscriptions"),
        format!("/accounts/{payer}/organization"),
        format!("/accounts/{m365}/certificate"),
        "/settings/notifications".into(),
        "/settings/organization".into(),
        "/support".into(),
        "/members".into(),
        "/account".into(),
        "/account/security".into(),
        "/account/sessions".into(),
        "/settings/api-tokens".into(),
        "/organizations".into(),
        // Dialogs have addresses of their own.
        format!("/integrations?dialog=rename&account={payer}"),
        format!("/integrations?dialog=delete&account={payer}"),
        "/integrations/aws?dialog=account-type".into(),
    ];
    let table = endpoints::all();
    for (role, client) in [(Role::Viewer, &viewer), (Role::Admin, &admin)] {
        for page in &pages {
            let html = expect_status(app.get(client, page).await, StatusCode::OK).await;
            for action in html.split("action=\"/api/").skip(1).filter_map(|rest| rest.split('"').next()) {
                let endpoint = table.iter().find(|e| e.name() == action).unwrap_or_else(|| panic!("{page}: a form to {action}"));
                if let Access::Member(needed) = endpoint.access {
                    assert!(role.includes(needed), "{page} offers a {role:?} a form to {action}, which needs {needed:?}");
                }
            }
        }
    }
}

#[tokio::test]
async fn any_member_may_leave_but_the_last_owner() {
    let (app, _admin, viewer) = acme().await;
    let last = expect_status(app.call(&app.client, "leave_organization", &[]).await, StatusCode::CONFLICT).await;
    assert!(last.contains("needs an Owner"), "{last}");
    let res = app.call(&viewer, "leave_organization", &[]).await;
    assert_eq!(location(&res), "/signin?notice=left-organization");
    expect_status(app.call(&viewer, "workspace", &[]).await, StatusCode::UNAUTHORIZED).await;
    let members = expect_status(app.call(&app.client, "load_members", &[]).await, StatusCode::OK).await;
    assert!(!members.contains("cy@example.com"), "{members}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'member_left'").await, 1);
}
