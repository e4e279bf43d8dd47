//! Pages are server HTML; only islands (`src/islands.rs`) ship code. A page that hydrates a
//! component that is not an island, or serialises data for the browser to hydrate with, fails
//! here.
use crate::common::TestApp;

/// The islands a page carries, by component name, in page order.
fn islands(html: &str) -> Vec<String> {
    html.match_indices("<leptos-island data-component=\"")
        .filter_map(|(at, tag)| {
            let name = &html[at + tag.len()..];
            // `Submit_e042ba56b7e96434`: the name, then a hash of its path.
            name.split('"').next()?.rsplit_once('_').map(|(name, _)| name.to_string())
        })
        .collect()
}

/// Whether the page carries resources resolved for hydration.
fn ships_data(html: &str) -> bool {
    !html.contains("__RESOLVED_RESOURCES={}")
}

#[tokio::test]
async fn pages_ship_only_their_islands_and_no_data_to_hydrate() {
    let app = TestApp::spawn().await;
    let signin = app.get(&app.client, "/signin").await.text().await.unwrap();
    assert_eq!(islands(&signin), ["Submit"], "{signin}");
    assert!(!ships_data(&signin), "{signin}");

    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let org = app.organization_id("ada@example.com").await;
    for (name, account) in [("Prod", "111111111111"), ("Dev", "222222222222")] {
        sqlx::query(
            "INSERT INTO cloud_accounts (organization_id, provider, kind, name, external_account_id, status, created_at, updated_at) \
             VALUES ($1, 'aws', 'linked', $2, $3, 'connected', 0, 0)",
        )
        .bind(org)
        .bind(name)
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // Lists, the dropdown, Home's dashboard: server HTML only.
    for page in ["/integrations", "/integrations/aws", "/"] {
        let html = app.get(&app.client, page).await.text().await.unwrap();
        assert!(html.contains("Prod") && html.contains("Dev"), "{page}: {html}");
        assert_eq!(islands(&html), Vec::<String>::new(), "{page}");
        assert!(!ships_data(&html), "{page}");
    }
    // An open dialog is one island, with the form's submit button inside it.
    let html = app.get(&app.client, "/integrations/aws?dialog=rename&account=1").await.text().await.unwrap();
    assert_eq!(islands(&html), ["ModalDialog", "Submit"], "{html}");
}
