//! The guide's windows (Select AWS Account Type, Edit, Delete) as dialogs over the page they
//! were opened from, as a browser without JavaScript gets them: each has its own address, the
//! page behind is inert, and finishing leads back to that page with the guide's message.
use crate::common::{expect_status, location, TestApp};
use reqwest::StatusCode;

async fn org_with_accounts(app: &TestApp) -> (i64, i64) {
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    let payer = app.insert_account(org, "aws", "management", "Payer", "111111111111").await;
    let dev = app.insert_account(org, "aws", "linked", "Dev", "222222222222").await;
    (payer, dev)
}

#[tokio::test]
async fn edit_opens_over_the_page_and_proceed_leads_back_to_it() {
    let app = TestApp::spawn().await;
    let (_, dev) = org_with_accounts(&app).await;

    let opened = format!("/integrations?dialog=rename&account={dev}");
    let page = expect_status(app.get(&app.client, &opened).await, StatusCode::OK).await;
    assert!(page.contains(r#"<dialog open"#) && page.contains(">Edit account name<"), "the dialog is open");
    assert!(page.contains(r#"<div class="shell" inert"#) || page.contains(r#"<div inert class="shell""#), "the page behind is inert: {}", &page[page.find("class=\"shell").unwrap_or(0)..][..80]);
    assert!(page.contains(">Integrations</h1>"), "and still there");
    assert!(page.contains(">AWS Account Name<") && page.contains(r#"value="/integrations""#));
    assert!(page.contains(r#"aria-label="Close""#), "a Close link");

    // A name another AWS account has comes back into the dialog, beside the field.
    let refused = app
        .submit(&app.client, "rename_account", &[("account_id", &dev.to_string()), ("name", "Payer"), ("return_to", "/integrations")], &opened)
        .await;
    let back = location(&refused);
    assert!(back.starts_with(&format!("/integrations?dialog=rename&account={dev}")), "{back}");
    let page = expect_status(app.get(&app.client, &back).await, StatusCode::OK).await;
    assert!(page.contains("Another AWS account is already named") && page.contains("<dialog open"));

    let done = app
        .submit(&app.client, "rename_account", &[("account_id", &dev.to_string()), ("name", "Development"), ("return_to", "/integrations")], &opened)
        .await;
    assert_eq!(location(&done), "/integrations?notice=renamed");
    let page = expect_status(app.get(&app.client, "/integrations?notice=renamed").await, StatusCode::OK).await;
    assert!(page.contains("Account name updated") && page.contains("Development") && !page.contains("<dialog"));
}

#[tokio::test]
async fn delete_account_leads_back_to_the_page_it_was_opened_on() {
    let app = TestApp::spawn().await;
    let (_, dev) = org_with_accounts(&app).await;
    let opened = format!("/?dialog=delete&account={dev}");
    let page = expect_status(app.get(&app.client, &opened).await, StatusCode::OK).await;
    assert!(page.contains(">Delete account<") && page.contains("Enter the account name to confirm") && page.contains(">Home</h1>"));

    let done = app
        .submit(&app.client, "delete_account", &[("account_id", &dev.to_string()), ("confirm_name", "Dev"), ("return_to", "/")], &opened)
        .await;
    assert_eq!(location(&done), "/?notice=deleted");
    let page = expect_status(app.get(&app.client, "/?notice=deleted").await, StatusCode::OK).await;
    assert!(page.contains("Account has been deleted."));
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts WHERE name = 'Dev'").await, 0);
}

#[tokio::test]
async fn a_finished_dialog_never_leads_off_the_portal() {
    let app = TestApp::spawn().await;
    let (_, dev) = org_with_accounts(&app).await;
    for hostile in ["https://evil.example/", "//evil.example/x", "/integrations?notice=x&next=//evil"] {
        let done = app
            .submit(&app.client, "rename_account", &[("account_id", &dev.to_string()), ("name", "Dev"), ("return_to", hostile)], "/integrations")
            .await;
        assert_eq!(location(&done), "/integrations/aws?notice=renamed", "{hostile}");
    }
}

#[tokio::test]
async fn a_management_accounts_delete_gives_the_guides_note_and_another_organizations_account_nothing() {
    let app = TestApp::spawn().await;
    let (payer, _) = org_with_accounts(&app).await;
    let page = expect_status(app.get(&app.client, &format!("/integrations/aws?dialog=delete&account={payer}")).await, StatusCode::OK).await;
    assert!(page.contains("There is currently no provision to delete AWS Management accounts from the Xops portal."));
    assert!(page.contains(&format!(r#"href="/support?account_id={payer}""#)) && page.contains(">Submit Support Request<"));
    assert!(!page.contains("Delete Account<"), "no way to delete it here");

    // Another organization asking for this account's dialog learns nothing about it.
    let other = app.new_browser();
    app.sign_up(&other, "Globex", "bob@example.com").await;
    let page = expect_status(app.get(&other, &format!("/integrations?dialog=rename&account={payer}")).await, StatusCode::OK).await;
    assert!(page.contains("That account does not exist in your organization.") && !page.contains("Payer"));
}

#[tokio::test]
async fn select_aws_account_type_is_a_window_whose_form_leads_back() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;

    // First login: the AWS card opens the window over the selection; Linked waits for a management account.
    let selection = expect_status(app.get(&app.client, "/select-platform").await, StatusCode::OK).await;
    assert!(selection.contains(r#"href="/select-platform?dialog=account-type""#), "the AWS card opens the window");
    let page = expect_status(app.get(&app.client, "/select-platform?dialog=account-type").await, StatusCode::OK).await;
    assert!(page.contains(">Select AWS Account Type<") && page.contains("Select Your Preferred Cloud Service or Platform"));
    assert!(page.contains(r#"href="/integrations/aws/link/management""#), "the first link goes on to the card");
    assert!(page.contains("Link a management account first."));

    // Later, from Integrations: the form carries the page back.
    let org = app.organization_id("ada@example.com").await;
    app.insert_account(org, "aws", "management", "Payer", "111111111111").await;
    let page = expect_status(app.get(&app.client, "/integrations?dialog=account-type").await, StatusCode::OK).await;
    assert!(page.contains(r#"href="/integrations/aws/link/linked?from=%2Fintegrations""#), "{page}");
    let form = expect_status(app.get(&app.client, "/integrations/aws/link/linked?from=%2Fintegrations").await, StatusCode::OK).await;
    assert!(form.contains(r#"name="return_to" value="/integrations""#));

    // The guide's way (issue 24): Select account → Add Cloud Account remembers the page it was
    // chosen on, and the selection page's window leads back there, not to the selection page.
    let home = expect_status(app.get(&app.client, "/integrations/aws").await, StatusCode::OK).await;
    assert!(home.contains(r#"href="/select-platform?from=%2Fintegrations%2Faws""#), "Add Cloud Account");
    let selection = expect_status(app.get(&app.client, "/select-platform?from=%2Fintegrations%2Faws").await, StatusCode::OK).await;
    assert!(!selection.contains("Choose the platform of the first account to connect"), "the first-run line after the first link");
    assert!(selection.contains(r#"href="/select-platform?from=%2Fintegrations%2Faws&amp;dialog=account-type""#), "{selection}");
    let window = expect_status(app.get(&app.client, "/select-platform?from=%2Fintegrations%2Faws&dialog=account-type").await, StatusCode::OK).await;
    assert!(window.contains(r#"href="/integrations/aws/link/linked?from=%2Fintegrations%2Faws""#), "{window}");
}
