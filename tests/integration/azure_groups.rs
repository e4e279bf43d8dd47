//! Whole Azure management groups against the identity double's Resource Manager (groups and
//! descendants paged with nextLink): a selected group connects every subscription under it at
//! any depth, one added later at the next check, and one that left is disconnected and said.
use crate::common::entra::{connect, generate, EntraDouble, APP, TENANT};
use crate::common::{expect_status, location, TestApp};
use reqwest::StatusCode;
use xops::integrations::microsoft::subscriptions::{GroupRow, SubscriptionRow};

async fn rows(app: &TestApp, client: &reqwest::Client, id: &str) -> (Vec<SubscriptionRow>, Vec<GroupRow>) {
    let subs = expect_status(app.call(client, "azure_subscriptions", &[("account_id", id)]).await, StatusCode::OK).await;
    let groups = expect_status(app.call(client, "azure_management_groups", &[("account_id", id)]).await, StatusCode::OK).await;
    (serde_json::from_str(&subs).unwrap(), serde_json::from_str(&groups).unwrap())
}

fn connected(subs: &[SubscriptionRow]) -> Vec<(String, Option<String>)> {
    let mut on: Vec<_> = subs.iter().filter(|s| s.selected).map(|s| (s.name.clone(), s.via_group.clone())).collect();
    on.sort();
    on
}

#[tokio::test]
async fn a_selected_management_group_connects_its_subscriptions_now_and_later() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &[]).await;
    entra.set_subscriptions(&[
        ("22222222-0000-0000-0000-000000000001", "Prod Web", "Enabled"),
        ("22222222-0000-0000-0000-000000000002", "Prod Data", "Enabled"),
        ("22222222-0000-0000-0000-000000000003", "Dev", "Enabled"),
        ("22222222-0000-0000-0000-000000000004", "Prod Old", "Disabled"),
    ]).await;
    // Root → Production → Production EU (nested), and Development; three groups and four
    // subscriptions page two at a time.
    entra.set_groups(&[
        (TENANT, "Tenant Root Group", ""),
        ("mg-prod", "Production", TENANT),
        ("mg-prod-eu", "Production EU", "mg-prod"),
        ("mg-dev", "Development", TENANT),
    ]).await;
    entra.place("22222222-0000-0000-0000-000000000001", "mg-prod").await;
    entra.place("22222222-0000-0000-0000-000000000002", "mg-prod-eu").await;
    entra.place("22222222-0000-0000-0000-000000000003", "mg-dev").await;
    entra.place("22222222-0000-0000-0000-000000000004", "mg-prod").await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "azure").await;
    entra.upload_certificate(APP, &pem).await;
    let linked = connect(&app, &app.client, "azure", "Contoso", cert.id, &[]).await;
    assert!(location(&linked).contains("notice=linked-azure"), "{}", location(&linked));
    let id: i64 = sqlx::query_scalar("SELECT id FROM cloud_accounts WHERE provider = 'azure'").fetch_one(&app.pool).await.unwrap();
    let id = id.to_string();

    // Connect read the groups (every page), to choose from at once; Refresh reads them again.
    let names = ["Development", "Production", "Production EU", "Tenant Root Group"];
    let (subs, groups) = rows(&app, &app.client, &id).await;
    assert_eq!(groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), names);
    assert!(connected(&subs).is_empty());
    entra.set_groups(&[(TENANT, "Tenant Root Group", ""), ("mg-prod", "Production", TENANT), ("mg-prod-eu", "Production EU", "mg-prod"), ("mg-dev", "Development", TENANT), ("mg-lab", "Lab", TENANT)]).await;
    let refreshed = app.call(&app.client, "refresh_azure_subscriptions", &[("account_id", &id)]).await;
    assert!(location(&refreshed).contains("notice=subscriptions-refreshed"), "{}", location(&refreshed));
    let (_, groups) = rows(&app, &app.client, &id).await;
    assert_eq!(groups.len(), 5, "Lab, new since Connect: {groups:?}");

    // Select Production and Dev by hand: Production's Enabled subscriptions at any depth are
    // connected through it, the Disabled one is not.
    let form = [("account_id", id.as_str()), ("groups[]", "mg-prod"), ("selected[]", "22222222-0000-0000-0000-000000000003")];
    let updated = app.call(&app.client, "update_azure_subscriptions", &form).await;
    assert!(location(&updated).ends_with("notice=subscriptions-updated&connected=3&disconnected=0"), "{}", location(&updated));
    let (subs, groups) = rows(&app, &app.client, &id).await;
    let production = Some("Production".to_string());
    assert_eq!(connected(&subs), [("Dev".into(), None), ("Prod Data".into(), production.clone()), ("Prod Web".into(), production.clone())]);
    assert!(groups.iter().find(|g| g.id == "mg-prod").is_some_and(|g| g.selected));

    // Later a subscription is added under Production EU and one moves out of Production: the
    // next scheduled check connects the first, disconnects the second, and says both.
    entra.set_subscriptions(&[
        ("22222222-0000-0000-0000-000000000001", "Prod Web", "Enabled"),
        ("22222222-0000-0000-0000-000000000002", "Prod Data", "Enabled"),
        ("22222222-0000-0000-0000-000000000003", "Dev", "Enabled"),
        ("22222222-0000-0000-0000-000000000004", "Prod Old", "Disabled"),
        ("22222222-0000-0000-0000-000000000005", "Prod Analytics", "Enabled"),
    ]).await;
    entra.place("22222222-0000-0000-0000-000000000005", "mg-prod-eu").await;
    entra.place("22222222-0000-0000-0000-000000000001", "mg-dev").await;
    let round = xops::health::schedule::run_due(&app.state, xops::server::now() + 7 * 3600).await.expect("a round");
    assert_eq!(round.checked, 1);
    let (subs, _) = rows(&app, &app.client, &id).await;
    assert_eq!(connected(&subs), [("Dev".into(), None), ("Prod Analytics".into(), production.clone()), ("Prod Data".into(), production)]);
    let message: String = sqlx::query_scalar("SELECT status_message FROM cloud_accounts WHERE provider = 'azure'").fetch_one(&app.pool).await.unwrap();
    assert!(message.contains("Connected through a selected management group: Prod Analytics"), "{message}");
    assert!(message.contains("disconnected: Prod Web"), "{message}");

    // Clearing the group disconnects what it connected; the one checked by hand stays.
    let cleared = app.call(&app.client, "update_azure_subscriptions", &[("account_id", id.as_str()), ("selected[]", "22222222-0000-0000-0000-000000000003")]).await;
    assert!(location(&cleared).ends_with("connected=0&disconnected=2"), "{}", location(&cleared));
    let (subs, _) = rows(&app, &app.client, &id).await;
    assert_eq!(connected(&subs), [("Dev".into(), None)]);

    // A group the tenant does not have is refused at its field; another organization gets 404.
    let unknown = app.call(&app.client, "update_azure_subscriptions", &[("account_id", id.as_str()), ("groups[]", "mg-nope")]).await;
    let body = expect_status(unknown, StatusCode::BAD_REQUEST).await;
    // What was sent is never echoed into a message (issue 24).
    assert!(!body.contains("mg-nope") && body.contains("\"field\":\"groups\"") && body.contains("not in this tenant's list"), "{body}");
    let other = app.new_browser();
    app.sign_up(&other, "Globex", "bob@example.com").await;
    assert_eq!(app.call(&other, "azure_management_groups", &[("account_id", &id)]).await.status(), StatusCode::NOT_FOUND);
}
