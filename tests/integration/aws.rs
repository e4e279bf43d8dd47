//! Linking and managing AWS and EKS accounts, verified against a real STS (moto) and, for the
//! failures moto cannot produce, a stub that answers in STS's XML.
use std::time::Duration;

use crate::common::aws::{Moto, Role, StubSts, STUB_PRINCIPAL};
use crate::common::{expect_status, location, TestApp, PASSWORD, PAYER_ARN};
use reqwest::StatusCode;

const LINKED_ARN: &str = "arn:aws:iam::210987654321:role/XopsReadOnlyAccess";

async fn link(app: &TestApp, client: &reqwest::Client, kind: &str, name: &str, arn: &str) -> reqwest::Response {
    app.call(client, "link_aws_account", &[("kind", kind), ("name", name), ("role_arn", arn)]).await
}

async fn account(app: &TestApp, name: &str) -> (i64, String, String, String, Option<i64>) {
    sqlx::query_as(
        "SELECT id, external_account_id, status, status_message, last_checked_at FROM cloud_accounts WHERE name = $1",
    )
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .expect("the account was saved")
}

#[tokio::test]
async fn management_then_linked_account_against_moto() {
    let moto = Moto::start();
    let app = TestApp::spawn_with(|c| c.aws = moto.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;

    // A linked account needs a management account first.
    // A rule refused, not a malformed request: the message reads as itself.
    let early = expect_status(link(&app, &app.client, "linked", "Dev", LINKED_ARN).await, StatusCode::CONFLICT).await;
    let early: xops::error::AppError = serde_json::from_str(&early).unwrap();
    assert!(early.to_string().starts_with("Link a management account first"), "{early}");

    // A role that any caller can assume (no sts:ExternalId condition) is the confused deputy: refused.
    moto.open_role(PAYER_ARN).await;
    let open = expect_status(link(&app, &app.client, "management", "Payer", PAYER_ARN).await, StatusCode::BAD_REQUEST).await;
    assert!(open.contains("can be assumed without your External ID") && open.contains("sts:ExternalId"), "{open}");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 0, "never saved");

    let guarded = "arn:aws:iam::123456789012:role/XopsGuarded";
    let res = link(&app, &app.client, "management", "  Payer  ", guarded).await;
    assert_eq!(location(&res), "/integrations/aws?notice=linked-aws");
    expect_status(res, StatusCode::OK).await;
    let (id, account_id, status, message, checked) = account(&app, "Payer").await;
    assert_eq!((account_id.as_str(), status.as_str()), ("123456789012", "connected"), "{message}");
    assert!(checked.is_some());

    // A linked account must be a member of the management account's AWS Organization.
    let not_member =
        expect_status(link(&app, &app.client, "linked", "Dev", LINKED_ARN).await, StatusCode::BAD_REQUEST).await;
    assert!(not_member.contains("is not a member of the AWS Organization"), "{not_member}");
    let member = moto.create_member_account().await;
    let member_arn = format!("arn:aws:iam::{member}:role/XopsReadOnlyAccess");
    expect_status(link(&app, &app.client, "linked", "Dev", &member_arn).await, StatusCode::OK).await;
    let (_, linked_account, linked_status, linked_message, _) = account(&app, "Dev").await;
    assert_eq!((linked_account.as_str(), linked_status.as_str()), (member.as_str(), "connected"), "{linked_message}");

    // The role's trust policy loses its External ID condition: the next Re-test warns (Xops can
    // still read, but so could anyone) and names the change.
    moto.open_role(&member_arn).await;
    let (dev_id, ..) = account(&app, "Dev").await;
    app.call(&app.client, "retest_account", &[("account_id", &dev_id.to_string())]).await;
    let (_, _, retested, why, _) = account(&app, "Dev").await;
    assert_eq!(retested, "warning");
    assert!(why.starts_with("The role no longer requires your External ID"), "{why}");

    // The same AWS account or name cannot be linked twice.
    let dup = expect_status(link(&app, &app.client, "linked", "Again", &member_arn).await, StatusCode::CONFLICT).await;
    assert!(dup.contains("already linked as"), "{dup}");
    let dup_name = expect_status(
        link(&app, &app.client, "linked", "dev ", "arn:aws:iam::333333333333:role/X").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(dup_name.contains("\"field\":\"name\"") || dup_name.contains("already named"), "{dup_name}");

    // No temporary credentials are kept anywhere.
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT name || aws_role_arn || status_message FROM cloud_accounts UNION ALL SELECT detail FROM audit_log",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(stored.iter().all(|s| !s.contains("ASIA") && !s.contains("SessionToken")), "{stored:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'link_account'").await, 2);

    // The newest link is the current account, and sign-in now goes straight to Home.
    let ws: xops::accounts::workspace::Workspace =
        serde_json::from_str(&expect_status(app.call(&app.client, "workspace", &[]).await, StatusCode::OK).await)
            .unwrap();
    assert_eq!(ws.current_account().map(|a| a.name.as_str()), Some("Dev"));
    assert!(ws.accounts.iter().any(|a| a.id == id));
    let browser = app.new_browser();
    assert_eq!(location(&app.sign_in(&browser, "ada@example.com", PASSWORD).await), "/");
}

#[tokio::test]
async fn a_role_that_requires_the_external_id_is_connected() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let res = link(&app, &app.client, "management", "Payer", PAYER_ARN).await;
    assert_eq!(location(&res), "/integrations/aws?notice=linked-aws");
    let (_, _, status, message, _) = account(&app, "Payer").await;
    assert_eq!(status, "connected", "{message}");

    // EKS is linked the same way, listed under its own provider.
    let res = link(&app, &app.client, "eks", "Clusters", "arn:aws:iam::123456789012:role/XopsEksReadOnlyAccess").await;
    assert_eq!(location(&res), "/integrations/eks?notice=linked-eks");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts WHERE provider = 'eks'").await, 1);
}

#[tokio::test]
async fn failures_name_their_cause_and_save_nothing() {
    let stub = StubSts::start(Role::Denied).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(1))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;

    let denied =
        expect_status(link(&app, &app.client, "management", "Payer", PAYER_ARN).await, StatusCode::BAD_REQUEST).await;
    let err: xops::error::AppError = serde_json::from_str(&denied).unwrap();
    let text = err.message_for("role_arn").expect("shown at the Role ARN field");
    assert!(
        text.contains("AWS does not say why") && text.contains(STUB_PRINCIPAL) && text.contains("Outputs tab"),
        "{text}"
    );

    stub.set(Role::OtherAccount("444444444444".into()));
    let other =
        expect_status(link(&app, &app.client, "management", "Payer", PAYER_ARN).await, StatusCode::BAD_REQUEST).await;
    assert!(other.contains("answered as AWS account 444444444444"), "{other}");

    stub.set(Role::Silent);
    let slow =
        expect_status(link(&app, &app.client, "management", "Payer", PAYER_ARN).await, StatusCode::BAD_GATEWAY).await;
    assert!(slow.contains("did not answer within"), "{slow}");

    // Without JavaScript the form comes back with what was typed and the error at its field.
    let res = app
        .submit(
            &app.client,
            "link_aws_account",
            &[("kind", "management"), ("name", "Payer"), ("role_arn", "arn:aws:iam::123:role/X")],
            "/integrations/aws/link/management",
        )
        .await;
    let back = location(&res);
    assert!(back.contains("name=Payer") && back.contains("role_arn=arn%3Aaws%3Aiam%3A%3A123%3Arole%2FX"), "{back}");
    let page = expect_status(app.get(&app.client, &back).await, StatusCode::OK).await;
    assert!(page.contains(r#"value="Payer""#) && page.contains("12-digit"), "refilled, with the message");

    let bad_arn = expect_status(
        link(&app, &app.client, "management", "Payer", "arn:aws:iam::123:role/X").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(bad_arn.contains("12-digit"), "{bad_arn}");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 0);
    let refusals: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'link_refused'").fetch_all(&app.pool).await.unwrap();
    assert!(refusals.iter().any(|d| d.contains("did not answer within")), "refused links are audited: {refusals:?}");
}

#[tokio::test]
async fn rename_delete_and_retest() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    link(&app, &app.client, "management", "Payer", PAYER_ARN).await;
    link(&app, &app.client, "linked", "Dev", LINKED_ARN).await;
    let (payer, ..) = account(&app, "Payer").await;
    let (dev, ..) = account(&app, "Dev").await;

    let renamed =
        app.call(&app.client, "rename_account", &[("account_id", &dev.to_string()), ("name", "Development")]).await;
    assert_eq!(location(&renamed), "/integrations/aws?notice=renamed");
    let taken = app.call(&app.client, "rename_account", &[("account_id", &dev.to_string()), ("name", "Payer")]).await;
    expect_status(taken, StatusCode::CONFLICT).await;

    // Management accounts are not deleted; linked ones only with their exact name typed.
    let mgmt = expect_status(
        app.call(&app.client, "delete_account", &[("account_id", &payer.to_string()), ("confirm_name", "Payer")]).await,
        StatusCode::CONFLICT,
    )
    .await;
    let mgmt: xops::error::AppError = serde_json::from_str(&mgmt).unwrap();
    assert!(mgmt.to_string().starts_with("AWS Management accounts cannot be deleted") && mgmt.to_string().contains("Submit a support request"), "{mgmt}");
    let wrong = expect_status(
        app.call(&app.client, "delete_account", &[("account_id", &dev.to_string()), ("confirm_name", "Dev")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(wrong.contains("confirm_name"), "{wrong}");

    // Re-test records a failure as a status, with the reason.
    stub.set(Role::Denied);
    let retest = app.call(&app.client, "retest_account", &[("account_id", &payer.to_string())]).await;
    assert_eq!(location(&retest), "/integrations/aws?notice=retested");
    let (_, _, status, message, _) = account(&app, "Payer").await;
    assert_eq!(status, "failed");
    assert!(message.contains("could not assume"), "{message}");

    let deleted = app
        .call(&app.client, "delete_account", &[("account_id", &dev.to_string()), ("confirm_name", "Development")])
        .await;
    assert_eq!(location(&deleted), "/integrations/aws?notice=deleted");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 1);
    for action in ["rename_account", "delete_account", "retest_account"] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await,
            1,
            "{action}"
        );
    }
}

#[tokio::test]
async fn another_organization_cannot_touch_or_read_an_account() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    link(&app, &app.client, "management", "Payer", PAYER_ARN).await;
    link(&app, &app.client, "linked", "Dev", LINKED_ARN).await;
    let (dev, ..) = account(&app, "Dev").await;
    let before: Vec<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT name, status, last_checked_at FROM cloud_accounts ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();

    let eve = app.new_browser();
    app.sign_up(&eve, "Evil Corp", "eve@example.com").await;
    let id = dev.to_string();
    for (name, form) in [
        ("rename_account", vec![("account_id", id.as_str()), ("name", "Pwned")]),
        ("delete_account", vec![("account_id", id.as_str()), ("confirm_name", "Dev")]),
        ("retest_account", vec![("account_id", id.as_str())]),
        ("account_details", vec![("account_id", id.as_str())]),
        ("select_account", vec![("account_id", id.as_str())]),
    ] {
        let body = expect_status(app.call(&eve, name, &form).await, StatusCode::NOT_FOUND).await;
        assert!(!body.contains("210987654321"), "{name} leaks: {body}");
    }
    let after: Vec<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT name, status, last_checked_at FROM cloud_accounts ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(before, after, "nothing changed");
    // Eve's organization has no management account of its own, whatever Acme has.
    let linked = expect_status(
        link(&app, &eve, "linked", "Mine", "arn:aws:iam::555555555555:role/X").await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(linked.contains("Link a management account first"));
}

#[tokio::test]
async fn templates_carry_the_external_id_and_principal() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let external_id: String =
        sqlx::query_scalar("SELECT external_id FROM organizations").fetch_one(&app.pool).await.unwrap();

    let signed_in = expect_status(app.get(&app.client, "/aws/templates/management.yaml").await, StatusCode::OK).await;
    let doc: serde_yaml::Value = serde_yaml::from_str(&signed_in).unwrap();
    assert_eq!(doc["Parameters"]["ExternalId"]["Default"].as_str(), Some(external_id.as_str()));
    assert!(signed_in.contains("iam::999999999999:role/XopsPlatform"));

    // AWS fetches it without a session (Launch Stack): the External ID is then a parameter.
    let anonymous = expect_status(app.get(&app.new_browser(), "/aws/templates/eks.yaml").await, StatusCode::OK).await;
    assert!(!anonymous.contains(&external_id) && anonymous.contains("eks:DescribeCluster"));
    expect_status(app.get(&app.client, "/aws/templates/other.yaml").await, StatusCode::NOT_FOUND).await;

    let setup: xops::integrations::aws::link::AwsSetup = serde_json::from_str(
        &expect_status(app.call(&app.client, "aws_setup", &[("kind", "management")]).await, StatusCode::OK).await,
    )
    .unwrap();
    assert_eq!(setup.external_id, external_id);
    assert!(setup.launch_stack_url.contains(&format!("param_ExternalId={external_id}")));
    assert!(!setup.has_management);
}

#[tokio::test]
async fn support_requests_are_stored_listed_and_scoped() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let res = app
        .call(
            &app.client,
            "create_support_request",
            &[
                ("subject", "AWS Management account deletion"),
                ("description", "Please delete Payer.\nReason: migrated."),
            ],
        )
        .await;
    assert_eq!(location(&res), "/support?notice=support-sent");
    let missing = expect_status(
        app.call(&app.client, "create_support_request", &[("subject", "x"), ("description", " ")]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(missing.contains("description"));

    let list: Vec<xops::support::SupportRequest> = serde_json::from_str(
        &expect_status(app.call(&app.client, "support_requests", &[]).await, StatusCode::OK).await,
    )
    .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].subject.as_str(), list[0].status.as_str()), ("AWS Management account deletion", "open"));

    let eve = app.new_browser();
    app.sign_up(&eve, "Evil Corp", "eve@example.com").await;
    let theirs: Vec<xops::support::SupportRequest> =
        serde_json::from_str(&expect_status(app.call(&eve, "support_requests", &[]).await, StatusCode::OK).await)
            .unwrap();
    assert!(theirs.is_empty());
}

#[tokio::test]
async fn anonymous_template_downloads_do_not_flood_sts_or_see_its_errors() {
    // The platform's principal is unknown and STS does not answer.
    let stub = StubSts::start(Role::Silent).await;
    let app = TestApp::spawn_with(|c| {
        c.aws = stub.settings(Duration::from_secs(1));
        c.aws.principal_arn = None;
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // the lookup at start has given up
    let before = stub.calls.load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..5 {
        let res = app.get(&app.new_browser(), "/aws/templates/management.yaml").await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
        assert_eq!(body, "The template cannot be made right now. Try again in a few minutes.");
    }
    let after = stub.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(after, before, "a recent failure is remembered: no STS call per download");
}

#[tokio::test]
async fn two_organizations_may_link_one_account_each_through_its_own_external_id() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let other = app.new_browser();
    app.sign_up(&other, "Vendor tenant", "bob@example.com").await;
    for client in [&app.client, &other] {
        let res = link(&app, client, "management", "Payer", PAYER_ARN).await;
        assert_eq!(location(&res), "/integrations/aws?notice=linked-aws");
    }
    assert_eq!(app.count("SELECT COUNT(DISTINCT organization_id) FROM cloud_accounts").await, 2);
}

#[tokio::test]
async fn a_link_with_a_warning_does_not_silently_become_the_selected_account() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = TestApp::spawn_with(|c| c.aws = stub.settings(Duration::from_secs(5))).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    link(&app, &app.client, "management", "Payer", PAYER_ARN).await;
    // The stub does not answer AWS Organizations: membership is unconfirmed, a warning.
    let res = link(&app, &app.client, "linked", "Dev", LINKED_ARN).await;
    assert_eq!(location(&res), "/integrations/aws?notice=linked-warning");
    assert_eq!(account(&app, "Dev").await.2, "warning");
    let page = expect_status(app.get(&app.client, "/integrations").await, StatusCode::OK).await;
    assert!(page.contains(r#"<span class="dropdown-value">Payer</span>"#), "Payer stays selected");
}

/// Issue 24: 30 parallel Re-tests made 90 STS calls in 2.3 s on the platform identity every
/// tenant shares. Now an organization runs at most two checks at once; the rest get 429 and a
/// sentence, and another organization is not held up.
#[tokio::test]
async fn parallel_retests_of_one_organization_are_bounded() {
    let stub = StubSts::start(Role::RequiresExternalId).await;
    let app = crate::common::linked_payer(&stub).await;
    let (payer, ..) = account(&app, "Payer").await;
    stub.set(Role::Silent);
    let before = stub.calls.load(std::sync::atomic::Ordering::SeqCst);
    let mut retests = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (client, url, id) = (app.client.clone(), app.url.clone(), payer.to_string());
        retests.spawn(async move {
            let res = client
                .post(format!("{url}/api/retest_account"))
                .header(reqwest::header::ORIGIN, &url)
                .form(&[("account_id", id.as_str())])
                .send()
                .await
                .expect("an answer");
            (res.status(), res.text().await.unwrap_or_default())
        });
    }
    let answers = retests.join_all().await;
    let refused: Vec<_> = answers.iter().filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS).collect();
    assert_eq!(refused.len(), 8, "{answers:?}");
    assert!(refused.iter().all(|(_, body)| body.contains("checks are already running")), "{refused:?}");
    let calls = stub.calls.load(std::sync::atomic::Ordering::SeqCst) - before;
    assert!(calls <= 2 * 3, "{calls} STS calls for two checks");
}
