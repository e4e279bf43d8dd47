//! Microsoft links through a federated credential (no certificate): the values shown, Connect
//! against the verifying double (which fetches the portal's discovery document and JWKS over
//! HTTP), each mismatch named with its fix, the wait for a credential that is not in effect yet,
//! switching both ways with the sealed key deleted, and checks that survive a key rollover.
use crate::common::entra::{connect, generate, EntraDouble, APP, TENANT};
use crate::common::{expect_status, location, TestApp};
use reqwest::StatusCode;
use xops::integrations::microsoft::federated::FederatedValues;

const AUDIENCE: &str = "api://AzureADTokenExchange";

/// Show Federated Credential Values, as a user clicks it.
pub async fn show_values(app: &TestApp, client: &reqwest::Client, service: &str) -> FederatedValues {
    let body = expect_status(app.call(client, "show_federated_values", &[("service", service)]).await, StatusCode::OK).await;
    serde_json::from_str(&body).unwrap()
}

/// Connect with the federated credential `values` (`extra`: the service's own fields).
pub async fn connect_federated(
    app: &TestApp,
    client: &reqwest::Client,
    service: &str,
    name: &str,
    values: &FederatedValues,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let subject = values.id.to_string();
    let mut form = vec![
        ("service", service),
        ("name", name),
        ("app_id", APP),
        ("tenant_id", TENANT),
        ("signs_in", "federated"),
        ("subject_id", subject.as_str()),
    ];
    form.extend_from_slice(extra);
    app.call(client, "link_microsoft_account", &form).await
}

async fn status(app: &TestApp, id: i64) -> (String, String) {
    sqlx::query_as("SELECT status, status_message FROM cloud_accounts WHERE id = $1").bind(id).fetch_one(&app.pool).await.unwrap()
}

async fn retest(app: &TestApp, id: i64) -> (String, String) {
    app.call(&app.client, "retest_account", &[("account_id", &id.to_string())]).await;
    status(app, id).await
}

async fn azure_app(entra: &EntraDouble, patience_secs: u64) -> TestApp {
    entra.register_app(TENANT, APP, &[]).await;
    entra.set_subscriptions(&[("11111111-0000-0000-0000-000000000001", "Production", "Enabled")]).await;
    let app = TestApp::spawn_with(|c| {
        c.microsoft = entra.settings();
        c.microsoft.federated_patience = std::time::Duration::from_secs(patience_secs);
    })
    .await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    app
}

#[tokio::test]
async fn azure_links_through_a_federated_credential_with_no_certificate() {
    let entra = EntraDouble::start().await;
    let app = azure_app(&entra, 1).await;
    let values = show_values(&app, &app.client, "azure").await;
    assert_eq!(values.issuer, app.config.issuer_url);
    assert_eq!(values.audience, AUDIENCE);
    assert!(values.subject.starts_with("xops:link:") && values.subject.len() == "xops:link:".len() + 32, "{}", values.subject);
    assert_ne!(show_values(&app, &app.client, "azure").await.subject, values.subject, "each link its own subject");
    let form = app.get(&app.client, &format!("/integrations/azure?signs_in=federated&subject={}", values.id)).await.text().await.unwrap();
    for shown in [values.issuer.as_str(), values.subject.as_str(), AUDIENCE, "/api/federated_wait", r#"value="federated" checked"#] {
        assert!(form.contains(shown), "the form shows {shown}: {form}");
    }

    // Before the credential is added, Entra matches nothing: the refusal gives all three values.
    let early = expect_status(connect_federated(&app, &app.client, "azure", "Contoso", &values, &[]).await, StatusCode::BAD_REQUEST).await;
    for value in ["AADSTS70021", APP, values.issuer.as_str(), values.subject.as_str(), AUDIENCE] {
        assert!(early.contains(value), "{early} names {value}");
    }

    entra.add_federated_credential(APP, &values.issuer, &values.subject, AUDIENCE, 0).await;
    let linked = connect_federated(&app, &app.client, "azure", "Contoso", &values, &[]).await;
    let id = app.count("SELECT id FROM cloud_accounts WHERE provider = 'azure'").await;
    assert_eq!(location(&linked), format!("/accounts/{id}/subscriptions?notice=linked-azure"));
    let (state, message) = status(&app, id).await;
    assert_eq!(state, "connected");
    assert_eq!(message, "Signed in with the federated credential; 1 subscription(s) visible.");
    assert_eq!(app.count("SELECT COUNT(*) FROM certificates").await, 0, "no certificate, no private key of the link's");
    assert_eq!(app.count(&format!("SELECT account_id FROM federated_subjects WHERE id = {}", values.id)).await, id);

    // Re-test signs in the same way; once the credential is removed it fails and says so.
    assert_eq!(retest(&app, id).await.0, "connected");
    entra.remove_federated_credentials(APP).await;
    let (state, message) = retest(&app, id).await;
    assert_eq!(state, "failed");
    assert!(message.contains("AADSTS70021") && message.contains("any more") && message.contains(&values.subject), "{message}");
}

#[tokio::test]
async fn each_mismatch_is_named_with_the_value_to_enter() {
    let entra = EntraDouble::start().await;
    let app = azure_app(&entra, 1).await;
    let values = show_values(&app, &app.client, "azure").await;
    let try_connect = || async {
        expect_status(connect_federated(&app, &app.client, "azure", "Contoso", &values, &[]).await, StatusCode::BAD_REQUEST).await
    };

    // A trailing slash on the issuer: no credential for this issuer.
    entra.add_federated_credential(APP, &format!("{}/", values.issuer), &values.subject, AUDIENCE, 0).await;
    let body = try_connect().await;
    assert!(body.contains("AADSTS700211") && body.contains("no trailing slash"), "{body}");

    // The right issuer, another subject.
    entra.remove_federated_credentials(APP).await;
    entra.add_federated_credential(APP, &values.issuer, "xops:link:somebody-else", AUDIENCE, 0).await;
    let body = try_connect().await;
    assert!(body.contains("AADSTS700213") && body.contains(&values.subject), "{body}");

    // The audience changed from the default.
    entra.remove_federated_credentials(APP).await;
    entra.add_federated_credential(APP, &values.issuer, &values.subject, "api://AzureADTokenExchangeX", 0).await;
    let body = try_connect().await;
    assert!(body.contains("AADSTS700212") && body.contains(AUDIENCE), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 0, "nothing saved on a refusal");
}

#[tokio::test]
async fn an_issuer_entra_cannot_reach_is_named() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &[]).await;
    // An issuer URL where nothing answers: Entra cannot fetch the keys.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unreachable = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn_with(|c| {
        c.microsoft = entra.settings();
        c.issuer_url = unreachable.clone();
    })
    .await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let values = show_values(&app, &app.client, "azure").await;
    assert_eq!(values.issuer, unreachable);
    entra.add_federated_credential(APP, &values.issuer, &values.subject, AUDIENCE, 0).await;
    let body = expect_status(connect_federated(&app, &app.client, "azure", "Contoso", &values, &[]).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("AADSTS50166") && body.contains("could not fetch") && body.contains("XOPS_ISSUER_URL"), "{body}");
}

#[tokio::test]
async fn connect_waits_for_a_credential_added_moments_ago() {
    let entra = EntraDouble::start().await;
    let app = azure_app(&entra, 20).await;
    let values = show_values(&app, &app.client, "azure").await;
    // Entra honours the new credential only four seconds from now; Connect keeps trying, and the
    // form's progress line can ask how it goes.
    entra.add_federated_credential(APP, &values.issuer, &values.subject, AUDIENCE, 4).await;
    let connecting = connect_federated(&app, &app.client, "azure", "Contoso", &values, &[]);
    let subject_id = values.id.to_string();
    let watching = async {
        for _ in 0..40 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let body = expect_status(app.call(&app.client, "federated_wait", &[("subject_id", &subject_id)]).await, StatusCode::OK).await;
            let progress: Option<String> = serde_json::from_str(&body).unwrap();
            if let Some(progress) = progress {
                return progress;
            }
        }
        panic!("no wait to watch");
    };
    let (linked, progress) = tokio::join!(connecting, watching);
    assert!(progress.contains("(AADSTS70021, attempt 1)") && progress.contains("Xops keeps trying for 0:1"), "{progress}");
    assert!(location(&linked).ends_with("?notice=linked-azure"), "{}", expect_status(linked, StatusCode::OK).await);
    let body = expect_status(app.call(&app.client, "federated_wait", &[("subject_id", &subject_id)]).await, StatusCode::OK).await;
    assert_eq!(body, "null", "the wait is over");
}

#[tokio::test]
async fn another_organizations_values_cannot_be_used() {
    let entra = EntraDouble::start().await;
    let app = azure_app(&entra, 1).await;
    let values = show_values(&app, &app.client, "azure").await;
    entra.add_federated_credential(APP, &values.issuer, &values.subject, AUDIENCE, 0).await;
    let mallory = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    app.sign_up(&mallory, "Mallory", "mallory@example.com").await;
    let body = expect_status(connect_federated(&app, &mallory, "azure", "Stolen", &values, &[]).await, StatusCode::BAD_REQUEST).await;
    assert!(body.contains("no longer exist"), "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM cloud_accounts").await, 0);
    // A certificate-made form's values are refused too: the subject is for Azure links.
    let m365 = show_values(&app, &app.client, "m365").await;
    let body = expect_status(
        connect_federated(&app, &app.client, "azure", "Contoso", &m365, &[]).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body.contains("another service"), "{body}");
}

#[tokio::test]
async fn entra_and_m365_link_the_same_way() {
    let entra = EntraDouble::start().await;
    entra.register_app(TENANT, APP, &["Exchange.ManageAsApp", "AccessReview.Read.All"]).await;
    let app = TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let m365 = show_values(&app, &app.client, "m365").await;
    entra.add_federated_credential(APP, &m365.issuer, &m365.subject, AUDIENCE, 0).await;
    let linked = connect_federated(&app, &app.client, "m365", "Contoso 365", &m365, &[("organization_id", "contoso.onmicrosoft.com")]).await;
    assert_eq!(location(&linked), "/integrations/microsoft?notice=linked-m365");
    // Another tenant for Entra ID (one link per tenant and service).
    let entra_values = show_values(&app, &app.client, "entra").await;
    entra.add_federated_credential(APP, &entra_values.issuer, &entra_values.subject, AUDIENCE, 0).await;
    let linked = connect_federated(&app, &app.client, "entra", "Contoso directory", &entra_values, &[]).await;
    assert_eq!(location(&linked), "/integrations/microsoft?notice=linked-entra");
    let messages: Vec<String> =
        sqlx::query_scalar("SELECT status_message FROM cloud_accounts ORDER BY id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(
        messages,
        [
            "Signed in with the federated credential; Exchange.ManageAsApp granted.",
            "Signed in with the federated credential; AccessReview.Read.All granted; access reviews read through Microsoft Graph."
        ]
    );
}

#[tokio::test]
async fn a_certificate_link_switches_to_a_federated_credential_and_back_verified_first() {
    let entra = EntraDouble::start().await;
    let app = azure_app(&entra, 1).await;
    let (cert, pem) = generate(&app, &app.client, "azure").await;
    entra.upload_certificate(APP, &pem).await;
    let linked = connect(&app, &app.client, "azure", "Contoso", cert.id, &[]).await;
    assert!(location(&linked).ends_with("notice=linked-azure"));
    let id = app.count("SELECT id FROM cloud_accounts").await;
    let account = id.to_string();
    let form = [("account_id", account.as_str())];

    // New values aside; the certificate keeps working while Entra does not know them.
    let started = app.call(&app.client, "start_federated_switch", &form).await;
    assert_eq!(location(&started), format!("/accounts/{id}/certificate?notice=subject-made"));
    let pending: String = sqlx::query_scalar("SELECT subject FROM federated_subjects WHERE renewal_of = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    let refused = expect_status(app.call(&app.client, "switch_to_federated", &form).await, StatusCode::BAD_REQUEST).await;
    assert!(refused.contains("AADSTS70021") && refused.contains(&pending) && refused.contains("keeps signing in as before"), "{refused}");
    assert_eq!(app.count("SELECT COUNT(*) FROM certificates WHERE account_id IS NOT NULL").await, 1, "nothing changed");
    assert_eq!(retest(&app, id).await.1, "Signed in with the certificate; 1 subscription(s) visible.");

    // Added in the app: the switch is verified, and the sealed key is gone.
    entra.add_federated_credential(APP, &app.config.issuer_url, &pending, AUDIENCE, 0).await;
    let switched = app.call(&app.client, "switch_to_federated", &form).await;
    assert_eq!(location(&switched), format!("/accounts/{id}/certificate?notice=federated-switched"));
    assert_eq!(app.count("SELECT COUNT(*) FROM certificates").await, 0, "the certificate and its sealed key are deleted");
    entra.remove_certificates(APP).await;
    assert_eq!(retest(&app, id).await.1, "Signed in with the federated credential; 1 subscription(s) visible.");
    let page = app.get(&app.client, &format!("/accounts/{id}/certificate")).await.text().await.unwrap();
    assert!(page.contains(&pending) && page.contains("Rotate subject") && page.contains("Switch to a certificate"), "the page shows the values");
    let audited: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'switch_certificate'").fetch_one(&app.pool).await.unwrap();
    assert!(audited.contains(&pending), "{audited}");

    // Rotating the subject is the same two steps; the old subject is deleted once the new works.
    app.call(&app.client, "start_federated_switch", &form).await;
    let rotated: String = sqlx::query_scalar("SELECT subject FROM federated_subjects WHERE renewal_of = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    assert_ne!(rotated, pending);
    entra.add_federated_credential(APP, &app.config.issuer_url, &rotated, AUDIENCE, 0).await;
    assert!(location(&app.call(&app.client, "switch_to_federated", &form).await).ends_with("notice=federated-switched"));
    let subjects: Vec<String> = sqlx::query_scalar("SELECT subject FROM federated_subjects").fetch_all(&app.pool).await.unwrap();
    assert_eq!(subjects, [rotated.clone()]);

    // And back to a certificate: Renew certificate, upload, Verify and switch; the subject goes.
    app.call(&app.client, "renew_certificate", &form).await;
    let new_cert: i64 = app.count(&format!("SELECT id FROM certificates WHERE renewal_of = {id}")).await;
    let pem = expect_status(app.get(&app.client, &format!("/certificates/{new_cert}.cer")).await, StatusCode::OK).await;
    entra.upload_certificate(APP, &pem).await;
    assert!(location(&app.call(&app.client, "switch_certificate", &form).await).ends_with("notice=certificate-switched"));
    assert_eq!(app.count("SELECT COUNT(*) FROM federated_subjects").await, 0);
    entra.remove_federated_credentials(APP).await;
    assert_eq!(retest(&app, id).await.1, "Signed in with the certificate; 1 subscription(s) visible.");
}

#[tokio::test]
async fn checks_keep_passing_while_the_issuer_rolls_its_key() {
    use xops::issuer::{keys::{PUBLISHED_AHEAD, SIGNS_FOR}, signing, store};
    let entra = EntraDouble::start().await;
    let app = azure_app(&entra, 1).await;
    let values = show_values(&app, &app.client, "azure").await;
    // The first key's turn ends three seconds from now; the next was published ahead of it.
    let now = xops::server::now();
    let sealer = &app.state.sealer;
    signing::rollover(&app.pool, sealer, now - SIGNS_FOR + 3).await.unwrap();
    signing::rollover(&app.pool, sealer, now - PUBLISHED_AHEAD + 3).await.unwrap();
    assert_eq!(store::keys(&app.pool).await.unwrap().len(), 2);
    entra.add_federated_credential(APP, &values.issuer, &values.subject, AUDIENCE, 0).await;
    assert!(location(&connect_federated(&app, &app.client, "azure", "Contoso", &values, &[]).await).ends_with("notice=linked-azure"));
    let id = app.count("SELECT id FROM cloud_accounts").await;
    let mut signed_by = std::collections::BTreeSet::new();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(6);
    while std::time::Instant::now() < until {
        let (state, message) = retest(&app, id).await;
        assert_eq!(state, "connected", "{message}");
        let all = store::keys(&app.pool).await.unwrap();
        signed_by.insert(xops::issuer::keys::signing(&all, xops::server::now()).map(|k| k.kid.clone()));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(signed_by.len(), 2, "both keys signed during the checks");
}
