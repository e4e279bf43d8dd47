//! Organization onboarding against moto's AWS Organizations and STS (behind the trust-policy
//! guard, which also refuses or holds chosen member roles): the tree with nested units and
//! every account's mark, Link accounts with its failures and Retry failed, exclusions, one run
//! at a time, the sync, and the template's StackSet checked by cfn-lint.
use std::time::{Duration, Instant};

use crate::common::aws::Moto;
use crate::common::{expect_status, link_payer, location, TestApp};
use reqwest::StatusCode;
use xops::integrations::aws::organization::actions::{OrganizationView, RunView};

const ROLE: &str = "XopsReadOnlyAccess";

fn member_role(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/{ROLE}")
}

/// The organization the tests read: Workloads → Prod → Team → Service → Edge (five levels of
/// units) with accounts at each level (two of them both named Twin), a Sandbox unit, a
/// suspended account, 58 accounts in all.
struct Org {
    root: String,
    units: Vec<(String, String)>,
    accounts: Vec<(String, String)>,
    suspended: String,
}

impl Org {
    fn unit(&self, name: &str) -> String {
        self.units.iter().find(|(n, _)| n == name).map(|(_, id)| id.clone()).unwrap_or_else(|| panic!("no unit {name}"))
    }

    fn account(&self, name: &str) -> String {
        self.accounts.iter().find(|(n, _)| n == name).map(|(_, id)| id.clone()).unwrap_or_else(|| panic!("no account {name}"))
    }
}

async fn create_account(orgs: &aws_sdk_organizations::Client, name: &str, parent: &str, root: &str) -> String {
    let created = orgs
        .create_account()
        .email(format!("{}@example.com", name.to_lowercase().replace(' ', "-")))
        .account_name(name)
        .send()
        .await
        .expect("moto creates the account");
    let id = created.create_account_status().and_then(|s| s.account_id()).expect("an account id").to_string();
    if parent != root {
        orgs.move_account().account_id(&id).source_parent_id(root).destination_parent_id(parent).send().await.expect("moved");
    }
    id
}

async fn build_org(moto: &Moto) -> Org {
    let orgs = moto.organizations().await;
    orgs.create_organization().send().await.expect("moto creates the organization");
    let root = orgs.list_roots().send().await.expect("roots").roots()[0].id().expect("root id").to_string();
    let mut units = Vec::new();
    let mut parent = root.clone();
    for name in ["Workloads", "Prod", "Team", "Service", "Edge"] {
        let unit = orgs.create_organizational_unit().parent_id(&parent).name(name).send().await.expect("unit");
        let id = unit.organizational_unit().and_then(|u| u.id()).expect("unit id").to_string();
        units.push((name.to_string(), id.clone()));
        parent = id;
    }
    let sandbox = orgs.create_organizational_unit().parent_id(&root).name("Sandbox").send().await.expect("unit");
    units.push(("Sandbox".into(), sandbox.organizational_unit().and_then(|u| u.id()).expect("id").to_string()));
    let mut accounts = Vec::new();
    // 10 accounts in each of the five nested units, 5 in Sandbox, 1 at the root.
    for (u, (unit_name, unit_id)) in units.clone().iter().enumerate() {
        let count = if unit_name == "Sandbox" { 5 } else { 10 };
        for i in 0..count {
            let name = format!("{unit_name} {i}");
            accounts.push((name.clone(), create_account(&orgs, &name, unit_id, &root).await));
        }
        let _ = u;
    }
    // Two members with one name: a run links both (the second with its id added).
    for email in ["twin-1@example.com", "twin-2@example.com"] {
        let created = orgs.create_account().email(email).account_name("Twin").send().await.expect("moto creates the account");
        let id = created.create_account_status().and_then(|s| s.account_id()).expect("an account id").to_string();
        orgs.move_account().account_id(&id).source_parent_id(&root).destination_parent_id(&units[2].1).send().await.expect("moved");
        accounts.push(("Twin".into(), id));
    }
    let closed = create_account(&orgs, "Closed", &root, &root).await;
    orgs.close_account().account_id(&closed).send().await.expect("moto suspends it");
    accounts.push(("Closed".into(), closed.clone()));
    Org { root, units, accounts, suspended: closed }
}

async fn view(app: &TestApp, management: i64, unit: Option<&str>) -> OrganizationView {
    let id = management.to_string();
    let mut form = vec![("account_id", id.as_str())];
    if let Some(unit) = unit {
        form.push(("unit", unit));
    }
    let body = expect_status(app.call(&app.client, "aws_organization", &form).await, StatusCode::OK).await;
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Waits for the newest run to finish (the run works in the background) and returns it.
async fn finished_run(app: &TestApp, management: i64) -> RunView {
    let id = management.to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let body = expect_status(app.call(&app.client, "aws_organization_progress", &[("account_id", &id)]).await, StatusCode::OK).await;
        let run: Option<RunView> = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
        match run {
            Some(run) if !run.running => return run,
            _ => assert!(Instant::now() < deadline, "the run did not finish within 2 minutes"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn management_id(app: &TestApp) -> i64 {
    let org = app.organization_id("ada@example.com").await;
    sqlx::query_scalar::<_, i64>("SELECT id FROM cloud_accounts WHERE organization_id = $1 AND kind = 'management'")
        .bind(org)
        .fetch_one(&app.pool)
        .await
        .expect("the management account")
}

#[tokio::test]
async fn an_organization_is_read_linked_retried_excluded_and_synced() {
    let moto = Moto::start();
    let org = build_org(&moto).await;
    let app = TestApp::spawn_with(|c| c.aws = moto.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    link_payer(&app).await;
    let management = management_id(&app).await;
    let id = management.to_string();

    // Before the first read: nothing but the way to read it.
    let before = view(&app, management, None).await;
    assert!(before.read_at.is_none() && before.units.is_empty());
    let read = app.call(&app.client, "read_aws_organization", &[("account_id", &id)]).await;
    assert!(location(&read).contains("notice=organization-read"), "{}", location(&read));

    // The tree: the root and six units, five levels deep, with what is under each.
    let tree = view(&app, management, None).await;
    assert_eq!(tree.units.len(), 7);
    assert_eq!(tree.units[0].id, org.root);
    let edge = tree.units.iter().find(|u| u.name == "Edge").expect("the fifth level");
    assert_eq!(edge.depth, 5);
    let workloads = tree.units.iter().find(|u| u.name == "Workloads").expect("Workloads");
    assert_eq!((workloads.accounts, workloads.eligible), (52, 52));
    assert_eq!((tree.totals.accounts, tree.totals.linked, tree.totals.inactive), (59, 1, 1), "58 members and the management account");
    // The root's page lists only the accounts directly in it.
    let at_root: Vec<&str> = tree.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(at_root.len(), 2, "the management account and the suspended one: {at_root:?}");
    let closed = tree.accounts.iter().find(|a| a.id == org.suspended).expect("suspended listed");
    assert_eq!(closed.mark, xops::integrations::aws::organization::tree::Mark::Inactive("SUSPENDED".into()));
    assert!(!closed.eligible());

    // Exclude Sandbox, include one of its accounts again.
    let sandbox = org.unit("Sandbox");
    let exclude = |node: String, exclusion: &'static str| {
        let id = id.clone();
        let app = &app;
        async move {
            app.call(&app.client, "set_organization_exclusion", &[("account_id", &id), ("node_id", &node), ("exclusion", exclusion)]).await
        }
    };
    assert!(location(&exclude(sandbox.clone(), "excluded").await).contains("notice=exclusion-saved"));
    assert!(location(&exclude(org.account("Sandbox 0"), "included").await).contains("notice=exclusion-saved"));
    let excluded = view(&app, management, Some(&sandbox)).await;
    assert_eq!(excluded.totals.eligible, 53, "52 in Workloads and Sandbox 0");
    assert!(excluded.accounts.iter().filter(|a| a.id != org.account("Sandbox 0")).all(|a| a.excluded));

    // Two members refuse the role (not deployed there), one does not require the External ID.
    let (missing_a, missing_b, open) = (org.account("Prod 3"), org.account("Edge 9"), org.account("Team 1"));
    moto.guard("deny", &member_role(&missing_a)).await;
    moto.guard("deny", &member_role(&missing_b)).await;
    moto.open_role(&member_role(&open)).await;
    // Hold one role so the run is still going when a second Link accounts comes.
    moto.guard("hold", &member_role(&org.account("Workloads 0"))).await;
    let started = app.call(&app.client, "link_organization_accounts", &[("account_id", &id), ("scope", "all")]).await;
    assert!(location(&started).contains("notice=organization-linking"), "{}", location(&started));
    let second = app.call(&app.client, "link_organization_accounts", &[("account_id", &id), ("scope", "all")]).await;
    let refused = expect_status(second, StatusCode::CONFLICT).await;
    assert!(refused.contains("being linked already"), "{refused}");
    moto.guard("release", "").await;

    let run = finished_run(&app, management).await;
    assert_eq!((run.total, run.linked, run.failed), (53, 50, 3), "{run:?}");
    let cause = |account: &str| run.failures.iter().find(|(a, ..)| a == account).map(|(_, _, m)| m.clone()).unwrap_or_default();
    assert!(cause(&missing_a).contains(&format!("The role is missing in account {missing_a}")), "{}", cause(&missing_a));
    assert!(cause(&missing_a).contains("Retry failed"));
    assert!(cause(&open).contains("without your External ID") && cause(&open).contains("Retry failed"), "{}", cause(&open));
    // Linked under their Organizations names, as linked accounts of this organization.
    let linked: i64 = app.count("SELECT COUNT(*) FROM cloud_accounts WHERE kind = 'linked' AND status = 'connected'").await;
    assert_eq!(linked, 50);
    let twins: i64 = app.count("SELECT COUNT(*) FROM cloud_accounts WHERE name = 'Twin' OR name LIKE 'Twin (%)'").await;
    assert_eq!(twins, 2, "both linked, under two names");
    let name: String = sqlx::query_scalar("SELECT name FROM cloud_accounts WHERE external_account_id = $1")
        .bind(org.account("Service 4"))
        .fetch_one(&app.pool)
        .await
        .expect("linked");
    assert_eq!(name, "Service 4");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts WHERE name LIKE 'Sandbox%'").await, 1, "only the re-included one");

    // Retry failed: only the three; the one now deployed links.
    moto.guard("allow", &member_role(&missing_a)).await;
    let retried = app.call(&app.client, "retry_failed_links", &[("account_id", &id)]).await;
    assert!(location(&retried).contains("notice=organization-linking"), "{}", location(&retried));
    let run = finished_run(&app, management).await;
    assert_eq!((run.total, run.linked, run.failed), (3, 1, 2), "{run:?}");

    // The sync: a new account, one that leaves, one that moves.
    let orgs = moto.organizations().await;
    let fresh = create_account(&orgs, "Fresh", &org.unit("Team"), &org.root).await;
    let leaving = org.account("Workloads 5");
    orgs.remove_account_from_organization().account_id(&leaving).send().await.expect("removed");
    let mover = org.account("Prod 1");
    orgs.move_account().account_id(&mover).source_parent_id(org.unit("Prod")).destination_parent_id(&sandbox).send().await.expect("moved");
    let now = xops::server::now();
    let read = xops::integrations::aws::organization::sync::sync_due(&app.state, now + 7 * 3600).await.expect("sync");
    assert_eq!(read, 1);
    let team = view(&app, management, Some(&org.unit("Team"))).await;
    let fresh_row = team.accounts.iter().find(|a| a.id == fresh).expect("the new account is listed");
    assert!(fresh_row.new && fresh_row.eligible(), "new, not linked without the setting: {fresh_row:?}");
    assert_eq!(team.totals.new, 1);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM cloud_accounts WHERE external_account_id = '{fresh}'")).await, 0);
    let workloads = view(&app, management, Some(&org.unit("Workloads"))).await;
    let gone = workloads.accounts.iter().find(|a| a.id == leaving).expect("still listed");
    assert_eq!(gone.mark, xops::integrations::aws::organization::tree::Mark::Gone);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM cloud_accounts WHERE external_account_id = '{leaving}'")).await, 1, "never deleted");
    let moved = view(&app, management, Some(&sandbox)).await;
    assert!(moved.accounts.iter().any(|a| a.id == mover && a.excluded), "it follows its new unit (excluded Sandbox)");

    // Link new accounts automatically: the next sync links the next new one by itself.
    let on = app.call(&app.client, "set_organization_auto_link", &[("account_id", &id), ("auto_link", "on")]).await;
    assert!(location(&on).contains("notice=auto-link-saved"), "{}", location(&on));
    let later = create_account(&orgs, "Later", &org.unit("Edge"), &org.root).await;
    xops::integrations::aws::organization::sync::sync_due(&app.state, now + 14 * 3600).await.expect("sync");
    let run = finished_run(&app, management).await;
    assert_eq!((run.total, run.linked), (2, 2), "Fresh and Later: {run:?}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM cloud_accounts WHERE external_account_id = '{later}'")).await, 1);
    // A sync before the next is due reads nothing.
    assert_eq!(xops::integrations::aws::organization::sync::sync_due(&app.state, now + 14 * 3600).await.expect("sync"), 0);

    // Another organization sees none of it: every function answers 404.
    let other = app.new_browser();
    app.sign_up(&other, "Globex", "bob@example.com").await;
    for (function, extra) in [
        ("aws_organization", vec![]),
        ("aws_organization_progress", vec![]),
        ("read_aws_organization", vec![]),
        ("link_organization_accounts", vec![("scope", "all")]),
        ("retry_failed_links", vec![]),
        ("set_organization_exclusion", vec![("node_id", sandbox.as_str()), ("exclusion", "")]),
        ("set_organization_auto_link", vec![]),
    ] {
        let mut form = vec![("account_id", id.as_str())];
        form.extend(extra);
        assert_eq!(app.call(&other, function, &form).await.status(), StatusCode::NOT_FOUND, "{function}");
    }
    let audit = app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('link_accounts_started', 'link_accounts_finished', 'organization_exclusion')").await;
    assert_eq!(audit, 3 * 2 + 2, "three runs (two asked for, one automatic) started and finished, two exclusions");
}

#[tokio::test]
async fn the_management_template_with_a_stack_set_passes_cfn_lint() {
    let app = TestApp::spawn_with(|c| c.aws.principal_arn = Some("arn:aws:iam::999999999999:role/XopsPlatform".into())).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let res = app.get(&app.client, "/aws/templates/management.yaml?targets=r-ab12&targets=ou-ab12-abcdefgh").await;
    let yaml = expect_status(res, StatusCode::OK).await;
    assert!(yaml.contains("AWS::CloudFormation::StackSet") && yaml.contains("r-ab12,ou-ab12-abcdefgh"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (file, body) in [
        ("management.yaml", yaml),
        ("linked.yaml", expect_status(app.get(&app.client, "/aws/templates/linked.yaml").await, StatusCode::OK).await),
        ("eks.yaml", expect_status(app.get(&app.client, "/aws/templates/eks.yaml").await, StatusCode::OK).await),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, body).expect("written");
        let cfn_lint = format!("{}/target/tools/cfn-lint/bin/cfn-lint", env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new(&cfn_lint)
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cfn_lint} ({e}); scripts/setup.sh --for-tests installs it"));
        assert!(out.status.success(), "{file}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    // A target that is not a root or unit id is refused at its field.
    let bad = app.get(&app.client, "/aws/templates/management.yaml?targets=r-ab12%22%0AEvil:1").await;
    let body = expect_status(bad, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("must be an organization root or OU id") && !body.contains("Evil"), "{body}");
}

#[tokio::test]
async fn only_a_management_account_has_an_organization() {
    let moto = Moto::start();
    let app = TestApp::spawn_with(|c| c.aws = moto.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    let eks = app.insert_account(org, "eks", "", "Clusters", "210987654321").await.to_string();
    let res = app.call(&app.client, "aws_organization", &[("account_id", &eks)]).await;
    let body = expect_status(res, StatusCode::NOT_FOUND).await;
    assert!(body.contains("not an AWS management account"), "{body}");
    // A management account outside an organization: the read says so and how to fix it.
    link_payer(&app).await;
    let management = management_id(&app).await.to_string();
    let res = app.call(&app.client, "read_aws_organization", &[("account_id", &management)]).await;
    let body = expect_status(res, StatusCode::CONFLICT).await;
    assert!(body.contains("is not in an AWS Organization"), "{body}");
    let page = expect_status(app.get(&app.client, &format!("/accounts/{management}/organization")).await, StatusCode::OK).await;
    assert!(page.contains("The last read failed") && page.contains("is not in an AWS Organization"));
}
