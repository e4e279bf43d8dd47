//! Microsoft over the API: a certificate to upload to the app registration or the values of a
//! federated credential to add to it, Connect, and an Azure account's subscriptions and
//! management groups, over the pages' own functions.
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::auth::{account_name, authenticate, caller_for, from_app_error, invalid, Caller};
use super::schema::{
    Account, AzureSelection, Certificate, FederatedCredential, LinkMicrosoft, ManagementGroup, NewCertificate, SelectionUpdate, Subscription,
};
use crate::domain::MsService;
use crate::error::AppError;
use crate::server::AppState;

type Peer = ConnectInfo<std::net::SocketAddr>;

/// The caller, allowed to do what `S` does, and the JSON body.
async fn caller_with_body<S: leptos::server_fn::ServerFn>(state: &AppState, headers: &HeaderMap, peer: std::net::IpAddr, body: &[u8], example: &str) -> Result<(Caller, Value), Response> {
    let caller = authenticate(state, headers, peer).await?;
    caller.may::<S>()?;
    let body = serde_json::from_slice::<Value>(body).ok().filter(Value::is_object).ok_or_else(|| invalid("body", &format!("Send JSON: {example}.")))?;
    Ok((caller, body))
}

fn service(body: &Value) -> Result<MsService, Response> {
    body.get("service").and_then(Value::as_str).and_then(MsService::parse).ok_or_else(|| invalid("service", "service is azure, m365 or entra."))
}

/// Generate Public Key & Download: a new key pair for a link; the answer carries the public
/// certificate (PEM) to upload to the app registration.
#[utoipa::path(post, path = "/api/v1/certificates", tag = "Linking", operation_id = "generate_certificate",
    request_body = NewCertificate,
    responses((status = 201, description = "Made; upload `certificate_pem` to the app registration", body = Certificate)))]
pub async fn certificate(State(state): State<AppState>, ConnectInfo(peer): Peer, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    use crate::integrations::microsoft::certificates;
    let (caller, body) = match caller_with_body::<certificates::GenerateCertificate>(&state, &headers, peer.ip(), &body, "{\"service\": \"azure\"}").await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let service = match service(&body) {
        Ok(service) => service,
        Err(problem) => return problem,
    };
    let made = match certificates::create_for_link(&state, caller.organization_id, &caller.actor(), service).await {
        Ok(made) => made,
        Err(err) => return from_app_error(err),
    };
    match crate::integrations::microsoft::store::public_pem(&state.pool, caller.organization_id, made.id).await {
        Ok(Some((certificate_pem, service))) => {
            let certificate = Certificate { id: made.id, service, thumbprint: made.thumbprint, expires: made.expires, certificate_pem };
            (StatusCode::CREATED, Json(certificate)).into_response()
        }
        Ok(None) => from_app_error(AppError::NotFound("The certificate was deleted meanwhile.".into())),
        Err(err) => from_app_error(err),
    }
}

/// Show Federated Credential Values: the issuer, subject and audience of a federated credential
/// to add to the app registration, for a link with no certificate.
#[utoipa::path(post, path = "/api/v1/federated-credentials", tag = "Linking", operation_id = "show_federated_values",
    request_body = NewCertificate,
    responses((status = 201, description = "Made; add a federated credential with these values to the app registration", body = FederatedCredential)))]
pub async fn federated_credential(State(state): State<AppState>, ConnectInfo(peer): Peer, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    use crate::integrations::microsoft::federated;
    let (caller, body) = match caller_with_body::<federated::ShowFederatedValues>(&state, &headers, peer.ip(), &body, "{\"service\": \"azure\"}").await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let service = match service(&body) {
        Ok(service) => service,
        Err(problem) => return problem,
    };
    match federated::create_for_link(&state, caller.organization_id, &caller.actor(), service).await {
        Ok(v) => {
            let made = FederatedCredential { id: v.id, service: service.as_str().into(), issuer: v.issuer, subject: v.subject, audience: v.audience };
            (StatusCode::CREATED, Json(made)).into_response()
        }
        Err(err) => from_app_error(err),
    }
}

/// Connect: signs in as the app registration with the certificate made here or through the
/// federated credential, checks what the service needs, and only then links the account.
#[utoipa::path(post, path = "/api/v1/accounts/microsoft", tag = "Linking", operation_id = "link_microsoft_account",
    request_body = LinkMicrosoft,
    responses(
        (status = 201, description = "Linked and verified", body = Account),
    ))]
pub async fn link(State(state): State<AppState>, ConnectInfo(peer): Peer, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    use crate::integrations::microsoft::link::{self, AppRegistration, LinkMicrosoftAccount};
    let example = "{\"service\": \"azure\", \"name\": \"Contoso\", \"app_id\": \"…\", \"tenant_id\": \"…\", \"certificate_id\": 12}";
    let (caller, body) = match caller_with_body::<LinkMicrosoftAccount>(&state, &headers, peer.ip(), &body, example).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let service = match service(&body) {
        Ok(service) => service,
        Err(problem) => return problem,
    };
    let name = match account_name(&body) {
        Ok(name) => name,
        Err(problem) => return problem,
    };
    // Exactly one way to sign in: a certificate's id or a federated credential's.
    let id_of = |field: &str| body.get(field).filter(|v| !v.is_null()).map(|v| v.as_i64().filter(|id| *id > 0));
    let (certificate_id, subject_id) = match (id_of("certificate_id"), id_of("subject_id")) {
        (Some(Some(certificate)), None) => (Some(certificate.to_string()), None),
        (None, Some(Some(subject))) => (None, Some(subject.to_string())),
        (Some(_), Some(_)) => return invalid("subject_id", "Send certificate_id or subject_id, not both."),
        (None, Some(None)) => return invalid("subject_id", "subject_id is the id of the federated credential values (POST /api/v1/federated-credentials)."),
        _ => return invalid("certificate_id", "certificate_id is the id of the certificate made for this app (POST /api/v1/certificates), or send subject_id for a federated credential."),
    };
    let text = |field: &str| body.get(field).and_then(Value::as_str).unwrap_or_default();
    let registration = AppRegistration {
        name: &name,
        app_id: text("app_id"),
        tenant_id: text("tenant_id"),
        organization_id: body.get("organization_id").and_then(Value::as_str),
        certificate_id: certificate_id.as_deref(),
        signs_in: subject_id.is_some().then_some("federated"),
        subject_id: subject_id.as_deref(),
    };
    match link::link(&state, caller.organization_id, &caller.actor(), service, &registration).await {
        Ok((id, _)) => match crate::accounts::find(&state.pool, caller.organization_id, id).await {
            Ok(account) => (StatusCode::CREATED, Json(Account::from(&account))).into_response(),
            Err(err) => from_app_error(err),
        },
        // The form's hidden field is `certificate`; the API's is `certificate_id`.
        Err(AppError::Invalid { field, message }) if field == "certificate" => from_app_error(AppError::invalid("certificate_id", message)),
        Err(AppError::Invalid { field, message }) if field == "subject" => from_app_error(AppError::invalid("subject_id", message)),
        Err(err) => from_app_error(err),
    }
}

/// The account's subscriptions and management groups as the portal holds them.
async fn selection(state: &AppState, org: i64, id: i64) -> Response {
    use crate::integrations::microsoft::subscriptions;
    let read = async {
        let subscriptions = subscriptions::subscriptions(state, org, id).await?;
        let groups = subscriptions::management_groups(state, org, id).await?;
        Ok::<_, AppError>(AzureSelection {
            subscriptions: subscriptions
                .into_iter()
                .map(|s| Subscription { id: s.id, name: s.name, state: s.state, selected: s.selected, via_group: s.via_group })
                .collect(),
            management_groups: groups.into_iter().map(|g| ManagementGroup { id: g.id, name: g.name, selected: g.selected }).collect(),
        })
    };
    match read.await {
        Ok(selection) => Json(selection).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// An Azure account's subscriptions (as Azure last showed them) and management groups, and
/// which are connected (404 for an account that is not Azure).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/subscriptions", tag = "Azure", operation_id = "get_azure_subscriptions",
    params(("id" = i64, Path, description = "The Azure account's id.")),
    responses((status = 200, description = "Subscriptions and management groups", body = AzureSelection)))]
pub async fn subscriptions(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap) -> Response {
    use crate::integrations::microsoft::subscriptions::AzureSubscriptions;
    match caller_for::<AzureSubscriptions>(&state, &headers, peer.ip(), &id).await {
        Ok((caller, id)) => selection(&state, caller.organization_id, id).await,
        Err(problem) => problem,
    }
}

/// Update: connects the listed subscriptions and management groups and disconnects the rest,
/// as the Subscriptions page's Update; answers what is connected now.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/subscriptions", tag = "Azure", operation_id = "update_azure_subscriptions",
    params(("id" = i64, Path, description = "The Azure account's id.")),
    request_body = SelectionUpdate,
    responses((status = 200, description = "What is connected now", body = AzureSelection)))]
pub async fn update(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    use crate::integrations::microsoft::subscriptions::{self, UpdateAzureSubscriptions};
    let (caller, id) = match caller_for::<UpdateAzureSubscriptions>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let Some(body) = serde_json::from_slice::<Value>(&body).ok().filter(Value::is_object) else {
        return invalid("body", "Send JSON: {\"selected\": [\"<subscription id>\"], \"management_groups\": [\"<group id>\"]}.");
    };
    let org = caller.organization_id;
    // A list left out stays as it is.
    let list = |field: &str| -> Result<Option<Vec<String>>, Response> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| invalid(field, &format!("{field} is a list of ids (strings)."))),
            Some(_) => Err(invalid(field, &format!("{field} is a list of ids (strings)."))),
        }
    };
    let (selected, groups) = match (list("selected"), list("management_groups")) {
        (Ok(selected), Ok(groups)) => (selected, groups),
        (Err(problem), _) | (_, Err(problem)) => return problem,
    };
    let current = async {
        let selected = match selected {
            Some(selected) => selected,
            None => subscriptions::subscriptions(&state, org, id).await?.into_iter().filter(|s| s.selected && s.via_group.is_none()).map(|s| s.id).collect(),
        };
        let groups = match groups {
            Some(groups) => groups,
            None => subscriptions::management_groups(&state, org, id).await?.into_iter().filter(|g| g.selected).map(|g| g.id).collect(),
        };
        subscriptions::update(&state, org, &caller.actor(), id, selected, groups).await
    };
    match current.await {
        Ok(_) => selection(&state, org, id).await,
        Err(err) => from_app_error(err),
    }
}

/// Refresh: reads the tenant's subscriptions and management groups from Azure again.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/subscriptions/refresh", tag = "Azure", operation_id = "refresh_azure_subscriptions",
    params(("id" = i64, Path, description = "The Azure account's id.")),
    responses((status = 200, description = "As Azure shows them now", body = AzureSelection)))]
pub async fn refresh(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap) -> Response {
    use crate::integrations::microsoft::subscriptions::{self, RefreshAzureSubscriptions};
    let (caller, id) = match caller_for::<RefreshAzureSubscriptions>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    match subscriptions::refresh(&state, caller.organization_id, &caller.actor(), id).await {
        Ok(()) => selection(&state, caller.organization_id, id).await,
        Err(err) => from_app_error(err),
    }
}
