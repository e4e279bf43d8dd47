//! The verifying double of the Microsoft identity platform, Azure Resource Manager and Graph
//! (`end2end/doubles/entra.mjs`, the one the browser tests and the benchmark run too), started
//! on a free port for a test and stopped by process id when dropped; set up as a user sets up
//! the Azure portal. It checks certificate-signed assertions against the uploaded certificates
//! and the portal's issuer tokens against the app's federated credentials (fetching the portal's
//! discovery document and JWKS over HTTP), answers AADSTS errors in Entra's JSON shape, issues
//! tokens whose `roles` the test chooses, and pages ARM's lists with nextLink.
use serde_json::{json, Value};
use xops::integrations::microsoft::identity::MicrosoftSettings;

pub struct EntraDouble {
    pub url: String,
    child: std::process::Child,
}

impl Drop for EntraDouble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl EntraDouble {
    /// The double with an empty directory (no subscriptions or management groups).
    pub async fn start() -> EntraDouble {
        let script = format!("{}/end2end/doubles/entra.mjs", env!("CARGO_MANIFEST_DIR"));
        for _ in 0..5 {
            let port = super::free_port();
            if let Some(child) = super::aws::start_on("node", &[&script, &port.to_string()], port, "/healthz") {
                let double = EntraDouble { url: format!("http://127.0.0.1:{port}"), child };
                double.control("empty", json!({})).await;
                return double;
            }
        }
        panic!("the Entra double could not start on a free port five times");
    }

    async fn control(&self, what: &str, body: Value) {
        let answer = reqwest::Client::new().post(format!("{}/_double/{what}", self.url)).body(body.to_string()).send().await;
        assert!(answer.is_ok_and(|a| a.status().is_success()), "the Entra double takes {what}");
    }

    pub fn settings(&self) -> MicrosoftSettings {
        MicrosoftSettings {
            authority_host: self.url.clone(),
            arm_url: self.url.clone(),
            graph_url: self.url.clone(),
            timeout: std::time::Duration::from_secs(5),
            federated_patience: std::time::Duration::from_secs(10),
        }
    }

    /// The next `n` requests (not the controls) get their connection closed, unanswered: what a
    /// client sees when a server ends an idle keep-alive connection as it is reused.
    pub async fn hang_up_next(&self, n: usize) {
        self.control("hang-up", json!({ "next": n })).await
    }

    /// App registrations → New registration, with these application permissions granted.
    pub async fn register_app(&self, tenant: &str, app: &str, roles: &[&str]) {
        self.control("app", json!({ "tenant": tenant, "appId": app, "roles": roles })).await
    }

    /// Certificates & secrets → Upload certificate.
    pub async fn upload_certificate(&self, app: &str, pem: &str) {
        self.control("upload", json!({ "appId": app, "pem": pem })).await
    }

    pub async fn remove_certificates(&self, app: &str) {
        self.control("remove-certificates", json!({ "appId": app })).await
    }

    /// Certificates & secrets → Federated credentials → Add credential → Other issuer, honoured
    /// `delay` seconds later (as Entra takes a while).
    pub async fn add_federated_credential(&self, app: &str, issuer: &str, subject: &str, audience: &str, delay: i64) {
        let credential = json!({ "appId": app, "issuer": issuer, "subject": subject, "audience": audience, "delay": delay });
        self.control("federated", credential).await
    }

    pub async fn remove_federated_credentials(&self, app: &str) {
        self.control("remove-federated", json!({ "appId": app })).await
    }

    pub async fn set_roles(&self, app: &str, roles: &[&str]) {
        self.control("roles", json!({ "appId": app, "roles": roles })).await
    }

    /// Graph refuses (or allows again) the tenant's access reviews, as without an Entra ID
    /// Governance licence.
    pub async fn refuse_access_reviews(&self, tenant: &str, refused: bool) {
        self.control("access-reviews", json!({ "tenant": tenant, "refused": refused })).await
    }

    /// The tenant's management groups: (id, display name, parent id, "" for the root's).
    pub async fn set_groups(&self, groups: &[(&str, &str, &str)]) {
        let groups: Vec<Value> = groups.iter().map(|(id, name, parent)| json!({ "id": id, "name": name, "parent": parent })).collect();
        self.control("groups", json!({ "groups": groups })).await
    }

    /// Puts a subscription directly in a management group (or nowhere, with "").
    pub async fn place(&self, subscription: &str, group: &str) {
        self.control("place", json!({ "subscription": subscription, "group": group })).await
    }

    /// The tenant's subscriptions: (id, name, state).
    pub async fn set_subscriptions(&self, subscriptions: &[(&str, &str, &str)]) {
        let list: Vec<Value> = subscriptions.iter().map(|(id, name, state)| json!({ "id": id, "name": name, "state": state })).collect();
        self.control("subscriptions", json!({ "subscriptions": list })).await
    }
}

/// The tenant and app the tests link.
pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const APP: &str = "0b6c4f3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c";

/// Generate Public Key & Download, as a user clicks it: the certificate's info and its PEM.
pub async fn generate(app: &super::TestApp, client: &reqwest::Client, service: &str) -> (xops::integrations::microsoft::certificates::CertificateInfo, String) {
    let body =
        super::expect_status(app.call(client, "generate_certificate", &[("service", service)]).await, reqwest::StatusCode::OK).await;
    let info: xops::integrations::microsoft::certificates::CertificateInfo = serde_json::from_str(&body).unwrap();
    let pem = super::expect_status(app.get(client, &info.download_url).await, reqwest::StatusCode::OK).await;
    (info, pem)
}

/// Connect with a generated certificate (`extra`: the service's own fields).
pub async fn connect(
    app: &super::TestApp,
    client: &reqwest::Client,
    service: &str,
    name: &str,
    cert: i64,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let cert = cert.to_string();
    let mut form = vec![
        ("service", service),
        ("name", name),
        ("app_id", APP),
        ("tenant_id", TENANT),
        ("certificate_id", cert.as_str()),
    ];
    form.extend_from_slice(extra);
    app.call(client, "link_microsoft_account", &form).await
}

/// An organization (Acme, ada@example.com) with the Microsoft 365 account "Contoso 365" linked
/// as a user links it: the app registered with Exchange.ManageAsApp, the certificate the portal
/// generated uploaded to it, then Connect. Returns the app and the account's id.
pub async fn linked_m365(entra: &EntraDouble) -> (super::TestApp, i64) {
    entra.register_app(TENANT, APP, &["Exchange.ManageAsApp"]).await;
    let app = super::TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "m365").await;
    entra.upload_certificate(APP, &pem).await;
    let linked = connect(&app, &app.client, "m365", "Contoso 365", cert.id, &[("organization_id", "contoso.onmicrosoft.com")]).await;
    assert_eq!(super::location(&linked), "/integrations/microsoft?notice=linked-m365");
    let id = app.count("SELECT id FROM cloud_accounts WHERE name = 'Contoso 365'").await;
    (app, id)
}
