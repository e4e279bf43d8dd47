//! The guide's own words on the pages a user follows it through (button and field names,
//! titles, the support line), and refusals that read as themselves.
use crate::common::{expect_status, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn pages_use_the_guides_words() {
    let app = TestApp::spawn_with(|c| c.mail.support_address = "help@example.net".into()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    let aws = app.insert_account(org, "aws", "linked", "Prod", "123456789012").await;

    let selection = expect_status(app.get(&app.client, "/select-platform").await, StatusCode::OK).await;
    assert!(selection.contains("<title>Select Your Preferred Cloud Service or Platform · Xops 360</title>"), "the selection page has a title");

    let integrations = expect_status(app.get(&app.client, "/integrations").await, StatusCode::OK).await;
    assert!(integrations.contains(">Add Account for Microsoft<"), "the Microsoft card's button");
    assert!(integrations.contains(">Add Account<"), "the other cards' button");
    assert!(integrations.contains("Add Cloud Account") && !integrations.contains("+ Add Cloud Account"));

    let edit = expect_status(app.get(&app.client, &format!("/integrations?dialog=rename&account={aws}")).await, StatusCode::OK).await;
    assert!(edit.contains(">AWS Account Name<"), "the rename field is the guide's");

    // Every linking page ends with the guide's support line, with the configured address.
    for page in ["/integrations/aws/link/management", "/integrations/eks", "/integrations/azure", "/integrations/microsoft/m365", "/integrations/microsoft/entra"] {
        let html = expect_status(app.get(&app.client, page).await, StatusCode::OK).await;
        assert!(
            html.contains("For any challenges, please contact our support team at")
                && html.contains(r#"href="mailto:help@example.net""#),
            "{page}"
        );
    }
}

#[tokio::test]
async fn the_account_selected_at_the_top_right_comes_first_on_integrations() {
    let app = TestApp::spawn().await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    app.insert_account(org, "aws", "management", "Payer", "111111111111").await;
    let dev = app.insert_account(org, "aws", "linked", "Dev", "222222222222").await;
    expect_status(app.call(&app.client, "select_account", &[("account_id", &dev.to_string())]).await, StatusCode::OK).await;

    let page = expect_status(app.get(&app.client, "/integrations").await, StatusCode::OK).await;
    let selected = page.find(r#"aria-label="Selected account""#).expect("a Selected account section");
    let first_card = page.find(r#"aria-label="AWS""#).or_else(|| page.find("integration-card-title")).expect("the cards");
    assert!(selected < first_card, "the selected account comes before the cards");
    let section = &page[selected..first_card];
    assert!(section.contains("Dev") && !section.contains("Payer"), "only the selected account: {section}");
    assert!(section.contains(&format!(r#"data-opens="dialog=delete&amp;account={dev}""#)) && section.contains("Re-test"), "with its actions");
}
