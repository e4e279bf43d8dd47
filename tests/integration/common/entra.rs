//! A verifying double of the Microsoft identity platform and Azure Resource Manager: it holds
//! the certificates "uploaded" per app, checks the client assertion's signature against them
//! and its aud/iss/exp, answers AADSTS errors in Entra's JSON shape, issues tokens whose
//! `roles` the test chooses, and pages subscriptions with nextLink. Federated credentials are
//! verified in `federated`.
mod federated;

pub use federated::FederatedCredential;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::Digest;
use xops::integrations::microsoft::identity::MicrosoftSettings;

#[derive(Default)]
pub struct Directory {
    /// tenant → app ids registered there
    pub apps: HashMap<String, HashSet<String>>,
    /// app id → uploaded certificates (DER)
    pub certificates: HashMap<String, Vec<Vec<u8>>>,
    /// app id → application permissions granted with admin consent
    pub roles: HashMap<String, Vec<String>>,
    /// (id, name, state) of the tenant's subscriptions
    pub subscriptions: Vec<(String, String, String)>,
    pub page_size: usize,
    /// (id, display name, parent id) of the tenant's management groups ("" for the root's parent)
    pub groups: Vec<(String, String, String)>,
    /// subscription id → the management group it sits in directly
    pub placement: HashMap<String, String>,
    /// Tenants whose Graph refuses access reviews (403), e.g. without an Entra ID Governance licence.
    pub access_reviews_refused: HashSet<String>,
    /// app id → its federated identity credentials
    pub federated: HashMap<String, Vec<FederatedCredential>>,
    issued: HashSet<String>,
}

pub struct EntraDouble {
    pub url: String,
    pub directory: Arc<Mutex<Directory>>,
    /// How many of the next connections are closed once their request has arrived, unanswered:
    /// what a client sees when a server ends an idle keep-alive connection as it is reused.
    hang_ups: Arc<std::sync::atomic::AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
    front: tokio::task::JoinHandle<()>,
}

impl Drop for EntraDouble {
    fn drop(&mut self) {
        self.server.abort();
        self.front.abort();
    }
}

#[derive(Clone)]
pub(crate) struct Shared {
    url: String,
    directory: Arc<Mutex<Directory>>,
}

impl EntraDouble {
    pub async fn start() -> EntraDouble {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let inner = listener.local_addr().expect("addr");
        let front_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", front_listener.local_addr().expect("addr"));
        let hang_ups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let front = tokio::spawn(front(front_listener, inner, hang_ups.clone()));
        let directory = Arc::new(Mutex::new(Directory { page_size: 2, ..Default::default() }));
        let shared = Shared { url: url.clone(), directory: directory.clone() };
        let router = Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(token))
            .route("/subscriptions", get(subscriptions))
            .route("/providers/Microsoft.Management/managementGroups", get(management_groups))
            .route("/providers/Microsoft.Management/managementGroups/{group}/descendants", get(descendants))
            .route("/v1.0/identityGovernance/accessReviews/definitions", get(access_reviews))
            .with_state(shared);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        EntraDouble { url, directory, hang_ups, server, front }
    }

    /// The next `n` connections are closed after their request arrives, with no answer.
    pub fn hang_up_next(&self, n: usize) {
        self.hang_ups.store(n, std::sync::atomic::Ordering::SeqCst);
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

    pub fn register_app(&self, tenant: &str, app: &str, roles: &[&str]) {
        let mut d = self.directory.lock().expect("lock");
        d.apps.entry(tenant.into()).or_default().insert(app.into());
        d.roles.insert(app.into(), roles.iter().map(|r| r.to_string()).collect());
    }

    /// What the user does in the Azure portal: Certificates & secrets → Upload certificate.
    pub fn upload_certificate(&self, app: &str, pem: &str) {
        let der = pem_to_der(pem);
        self.directory.lock().expect("lock").certificates.entry(app.into()).or_default().push(der);
    }

    /// What the user does in the Azure portal: Certificates & secrets → Federated credentials →
    /// Add credential → Other issuer, honoured `delay` seconds later (as Entra takes a while).
    pub fn add_federated_credential(&self, app: &str, issuer: &str, subject: &str, audience: &str, delay: i64) {
        let credential = FederatedCredential {
            issuer: issuer.into(),
            subject: subject.into(),
            audience: audience.into(),
            effective_from: xops::server::now() + delay,
        };
        self.directory.lock().expect("lock").federated.entry(app.into()).or_default().push(credential);
    }

    pub fn remove_federated_credentials(&self, app: &str) {
        self.directory.lock().expect("lock").federated.remove(app);
    }

    pub fn remove_certificates(&self, app: &str) {
        self.directory.lock().expect("lock").certificates.remove(app);
    }

    pub fn set_roles(&self, app: &str, roles: &[&str]) {
        self.directory.lock().expect("lock").roles.insert(app.into(), roles.iter().map(|r| r.to_string()).collect());
    }

    pub fn refuse_access_reviews(&self, tenant: &str) {
        self.directory.lock().expect("lock").access_reviews_refused.insert(tenant.into());
    }

    /// The tenant's management groups: (id, display name, parent id).
    pub fn set_groups(&self, groups: &[(&str, &str, &str)]) {
        self.directory.lock().expect("lock").groups =
            groups.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    }

    /// Puts a subscription directly in a management group (or nowhere, with "").
    pub fn place(&self, subscription: &str, group: &str) {
        self.directory.lock().expect("lock").placement.insert(subscription.into(), group.into());
    }

    pub fn set_subscriptions(&self, subs: &[(&str, &str, &str)]) {
        self.directory.lock().expect("lock").subscriptions =
            subs.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    }
}

/// Passes connections through to the double, except those it was told to hang up on.
async fn front(listener: tokio::net::TcpListener, inner: std::net::SocketAddr, hang_ups: Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    use tokio::io::AsyncReadExt;
    while let Ok((mut client, _)) = listener.accept().await {
        let hang_up = hang_ups.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        tokio::spawn(async move {
            if hang_up {
                let mut request = [0u8; 1024];
                let _ = client.read(&mut request).await;
                return;
            }
            if let Ok(mut server) = tokio::net::TcpStream::connect(inner).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}

pub fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).expect("PEM body is base64")
}

pub(crate) fn aadsts(code: i64, error: &str, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: double"),
        "error_codes": [code],
        "timestamp": "2026-11-22 00:00:00Z",
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

pub(crate) fn decode_part(part: &str) -> Value {
    URL_SAFE_NO_PAD.decode(part).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null)
}

async fn token(
    State(s): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let app = field("client_id");
    if let Some(refusal) = unknown_app(&s.directory.lock().expect("lock"), &tenant, &app) {
        return refusal;
    }
    if field("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        || field("grant_type") != "client_credentials"
    {
        return aadsts(7000215, "invalid_client", "Invalid client secret provided.");
    }
    let assertion = field("client_assertion");
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return aadsts(50027, "invalid_request", "JWT token is invalid or malformed.");
    }
    // An assertion the app signed itself names the app as its issuer; any other issuer must be
    // trusted by one of the app's federated credentials.
    let refusal = if decode_part(parts[1])["iss"] == app.as_str() {
        certificate_refusal(&s, &tenant, &app, &parts)
    } else {
        federated::verify(&s, &app, &parts).await.err()
    };
    if let Some(refusal) = refusal {
        return refusal;
    }
    let mut d = s.directory.lock().expect("lock");
    let roles = d.roles.get(&app).cloned().unwrap_or_default();
    let payload = json!({ "roles": roles, "tid": tenant, "appid": app, "aud": field("scope") });
    let access_token = format!("e30.{}.double", URL_SAFE_NO_PAD.encode(payload.to_string()));
    d.issued.insert(access_token.clone());
    Json(json!({ "token_type": "Bearer", "expires_in": 3599, "access_token": access_token })).into_response()
}

fn unknown_app(d: &Directory, tenant: &str, app: &str) -> Option<Response> {
    let Some(apps) = d.apps.get(tenant) else {
        return Some(aadsts(90002, "invalid_request", &format!("Tenant '{tenant}' not found.")));
    };
    (!apps.contains(app)).then(|| {
        aadsts(
            700016,
            "unauthorized_client",
            &format!("Application with identifier '{app}' was not found in the directory '{tenant}'."),
        )
    })
}

/// A certificate-signed assertion checked against the certificates uploaded to the app.
fn certificate_refusal(s: &Shared, tenant: &str, app: &str, parts: &[&str]) -> Option<Response> {
    let d = s.directory.lock().expect("lock");
    let (header, claims) = (decode_part(parts[0]), decode_part(parts[1]));
    let now = xops::server::now();
    let expected_aud = format!("{}/{tenant}/oauth2/v2.0/token", s.url);
    let claims_ok = header["alg"] == "PS256"
        && claims["aud"] == expected_aud.as_str()
        && claims["iss"] == app
        && claims["sub"] == app
        && claims["jti"].as_str().is_some_and(|j| !j.is_empty())
        && claims["exp"].as_i64().is_some_and(|exp| exp > now && exp - claims["nbf"].as_i64().unwrap_or(0) <= 600);
    if !claims_ok {
        return Some(aadsts(
            700024,
            "invalid_client",
            "Client assertion is not within its valid time range or has the wrong audience.",
        ));
    }
    let x5t = header["x5t#S256"].as_str().unwrap_or_default().to_string();
    let uploaded = d.certificates.get(app).cloned().unwrap_or_default();
    let Some(cert) = uploaded.iter().find(|der| URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(der)) == x5t) else {
        return Some(aadsts(
            700027,
            "invalid_client",
            "The certificate with identifier used to sign the client assertion is not registered on application.",
        ));
    };
    let der = rustls_pki_types::CertificateDer::from(cert.as_slice());
    let uploaded_cert = webpki::EndEntityCert::try_from(&der).expect("uploaded certificates parse");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
    let signed = format!("{}.{}", parts[0], parts[1]);
    let alg = webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY;
    uploaded_cert
        .verify_signature(alg, signed.as_bytes(), &signature)
        .is_err()
        .then(|| aadsts(700027, "invalid_client", "Client assertion failed signature validation."))
}

/// The token of an `Authorization: Bearer` header, or "".
fn bearer_token(headers: &HeaderMap) -> &str {
    headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default()
}

async fn subscriptions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let d = s.directory.lock().expect("lock");
    let bearer = bearer_token(&headers);
    if !d.issued.contains(bearer) || q.get("api-version").map(String::as_str) != Some("2022-12-01") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "InvalidAuthenticationToken"}})))
            .into_response();
    }
    let skip: usize = q.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = d
        .subscriptions
        .iter()
        .skip(skip)
        .take(d.page_size)
        .map(|(id, name, state)| json!({ "id": format!("/subscriptions/{id}"), "subscriptionId": id, "displayName": name, "state": state }))
        .collect();
    let mut body = json!({ "value": page });
    if skip + d.page_size < d.subscriptions.len() {
        body["nextLink"] = json!(format!("{}/subscriptions?api-version=2022-12-01&skip={}", s.url, skip + d.page_size));
    }
    Json(body).into_response()
}

/// Microsoft Graph's access review definitions: a token the double issued, with the
/// AccessReview.Read.All role, in a tenant that allows them; else 401 / 403 as Graph answers.
async fn access_reviews(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let d = s.directory.lock().expect("lock");
    let bearer = bearer_token(&headers);
    if !d.issued.contains(bearer) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "InvalidAuthenticationToken"}}))).into_response();
    }
    let claims = decode_part(bearer.split('.').nth(1).unwrap_or_default());
    let has_role = claims["roles"].as_array().is_some_and(|r| r.iter().any(|r| r == "AccessReview.Read.All"));
    let tenant = claims["tid"].as_str().unwrap_or_default();
    if !has_role || d.access_reviews_refused.contains(tenant) {
        return (StatusCode::FORBIDDEN, Json(json!({"error": {"code": "Authorization_RequestDenied"}}))).into_response();
    }
    assert_eq!(q.get("$top").map(String::as_str), Some("1"), "one definition is enough to prove access");
    Json(json!({ "value": [] })).into_response()
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
    entra.register_app(TENANT, APP, &["Exchange.ManageAsApp"]);
    let app = super::TestApp::spawn_with(|c| c.microsoft = entra.settings()).await;
    app.sign_up(&app.client, "Acme", "ada@example.com").await;
    let (cert, pem) = generate(&app, &app.client, "m365").await;
    entra.upload_certificate(APP, &pem);
    let linked = connect(&app, &app.client, "m365", "Contoso 365", cert.id, &[("organization_id", "contoso.onmicrosoft.com")]).await;
    assert_eq!(super::location(&linked), "/integrations/microsoft?notice=linked-m365");
    let id = app.count("SELECT id FROM cloud_accounts WHERE name = 'Contoso 365'").await;
    (app, id)
}

/// Answers one page of `items` (after `skip`, `page_size` of them) with a nextLink to `path`.
fn arm_page(s: &Shared, d: &Directory, items: Vec<Value>, path: &str, q: &HashMap<String, String>) -> Response {
    let skip: usize = q.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(skip).take(d.page_size).cloned().collect();
    let mut body = json!({ "value": page });
    if skip + d.page_size < items.len() {
        body["nextLink"] = json!(format!("{}{path}?api-version=2021-04-01&skip={}", s.url, skip + d.page_size));
    }
    Json(body).into_response()
}

fn arm_refused(d: &Directory, headers: &HeaderMap, q: &HashMap<String, String>) -> Option<Response> {
    (!d.issued.contains(bearer_token(headers)) || q.get("api-version").map(String::as_str) != Some("2021-04-01"))
        .then(|| (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "InvalidAuthenticationToken"}}))).into_response())
}

async fn management_groups(State(s): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let d = s.directory.lock().expect("lock");
    if let Some(refused) = arm_refused(&d, &headers, &q) {
        return refused;
    }
    let items = d
        .groups
        .iter()
        .map(|(id, name, _)| json!({ "id": format!("/providers/Microsoft.Management/managementGroups/{id}"), "type": "Microsoft.Management/managementGroups", "name": id, "properties": { "displayName": name } }))
        .collect();
    arm_page(&s, &d, items, "/providers/Microsoft.Management/managementGroups", &q)
}

/// Every group and subscription under `group`, at any depth, each with its parent.
async fn descendants(
    State(s): State<Shared>,
    Path(group): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let d = s.directory.lock().expect("lock");
    if let Some(refused) = arm_refused(&d, &headers, &q) {
        return refused;
    }
    if !d.groups.iter().any(|(id, ..)| *id == group) {
        return (StatusCode::FORBIDDEN, Json(json!({"error": {"code": "AuthorizationFailed"}}))).into_response();
    }
    let mut under = vec![group.clone()];
    let mut i = 0;
    while i < under.len() {
        let parent = under[i].clone();
        under.extend(d.groups.iter().filter(|(_, _, p)| *p == parent).map(|(id, ..)| id.clone()));
        i += 1;
    }
    let groups = d.groups.iter().filter(|(id, ..)| *id != group && under.contains(id)).map(|(id, name, parent)| {
        json!({ "type": "Microsoft.Management/managementGroups", "name": id, "properties": { "displayName": name, "parent": { "id": format!("/providers/Microsoft.Management/managementGroups/{parent}") } } })
    });
    let subscriptions = d.subscriptions.iter().filter(|(id, ..)| d.placement.get(id).is_some_and(|g| under.contains(g))).map(|(id, name, _)| {
        json!({ "type": "Microsoft.Management/managementGroups/subscriptions", "name": id, "properties": { "displayName": name, "parent": { "id": format!("/providers/Microsoft.Management/managementGroups/{}", d.placement[id]) } } })
    });
    let items = groups.chain(subscriptions).collect();
    arm_page(&s, &d, items, &format!("/providers/Microsoft.Management/managementGroups/{group}/descendants"), &q)
}
