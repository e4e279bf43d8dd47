//! Federated credentials: a Microsoft link with no certificate. The customer adds a federated
//! identity credential to their app registration with three values shown here (the portal's
//! issuer, a subject of this link's own, the audience Entra requires); the portal then signs
//! in with a short-lived token of its issuer (`crate::issuer`). Subjects are random, one per
//! link, and a new one replaces the old only once it is verified (`renewal`).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::domain::MsService;
use crate::error::AppError;

/// The values to enter in the app registration's federated credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederatedValues {
    pub id: i64,
    pub issuer: String,
    pub subject: String,
    pub audience: String,
}

#[cfg(feature = "ssr")]
impl FederatedValues {
    pub fn new(state: &crate::server::AppState, id: i64, subject: String) -> FederatedValues {
        FederatedValues {
            id,
            issuer: state.config.issuer_url.clone(),
            subject,
            audience: crate::issuer::keys::AUDIENCE.to_string(),
        }
    }
}

/// Subjects shown but not connected, per organization, at most.
#[cfg(feature = "ssr")]
const MAX_PENDING: i64 = 20;
/// How long an unconnected subject is kept.
#[cfg(feature = "ssr")]
pub const PENDING_SECS: i64 = 24 * 3600;
/// How long a switch's new subject waits for Verify and switch.
#[cfg(feature = "ssr")]
pub const SWITCH_SECS: i64 = 30 * 24 * 3600;

/// Show Federated Credential Values: a new subject for a link of `service`. Like Generate
/// Public Key & Download, the link form's fields come along, so that the page comes back with
/// what was typed and the values shown.
#[server(endpoint = "show_federated_values")]
pub async fn show_federated_values(
    service: String,
    name: Option<String>,
    app_id: Option<String>,
    tenant_id: Option<String>,
    organization_id: Option<String>,
) -> Result<FederatedValues, AppError> {
    let typed = typed_link_fields(name, app_id, tenant_id, organization_id);
    let result = show(service, &typed).await;
    keep_link_fields::<ShowFederatedValues, _>(&result, &typed);
    result
}

/// The link form's fields as typed, which a step inside the form (Generate Public Key &
/// Download, Show Federated Credential Values) brings back to the page.
#[cfg(feature = "ssr")]
pub(super) fn typed_link_fields(
    name: Option<String>,
    app_id: Option<String>,
    tenant_id: Option<String>,
    organization_id: Option<String>,
) -> [(&'static str, String); 4] {
    [("name", name), ("app_id", app_id), ("tenant_id", tenant_id), ("organization_id", organization_id)]
        .map(|(field, value)| (field, value.unwrap_or_default()))
}

/// On a refusal of step `S`, the page comes back with `typed` in its fields.
#[cfg(feature = "ssr")]
pub(super) fn keep_link_fields<S: leptos::server_fn::ServerFn, T>(result: &Result<T, AppError>, typed: &[(&str, String)]) {
    let kept: Vec<(&str, &str)> = typed.iter().map(|(field, value)| (*field, value.as_str())).collect();
    crate::server::keep_typed::<S>(&result.as_ref().map(|_| ()).map_err(Clone::clone), &kept);
}

#[cfg(feature = "ssr")]
async fn show(service: String, typed: &[(&str, String)]) -> Result<FederatedValues, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let values = create_for_link(&state, user.organization_id, &user.actor().await, service).await?;
    let shown = format!("signs_in=federated&subject={}", values.id);
    leptos_axum::redirect(&link_form_again(service, &shown, typed), false);
    Ok(values)
}

/// The service's link form with `shown` in its query and what was typed in its fields.
#[cfg(feature = "ssr")]
pub(super) fn link_form_again(service: MsService, shown: &str, typed: &[(&str, String)]) -> String {
    let mut back = format!("{}?{shown}", service.page());
    for (field, value) in typed {
        // What was typed, bounded (the fields themselves are checked at Connect).
        let value: String = value.chars().take(200).collect();
        if !value.trim().is_empty() {
            back.push_str(&format!("&{field}={}", crate::domain::percent_encode(&value)));
        }
    }
    back
}

/// Values for a new link (Show Federated Credential Values, and the API), unless the
/// organization has `MAX_PENDING` waiting to be connected already.
#[cfg(feature = "ssr")]
pub async fn create_for_link(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    service: MsService,
) -> Result<FederatedValues, AppError> {
    let pending = super::federated_store::count_unconnected(&state.pool, org, crate::server::now() - PENDING_SECS).await?;
    if pending >= MAX_PENDING {
        return Err(AppError::TooManyAttempts(format!(
            "Your organization has {pending} sets of federated credential values that are not connected to an account yet. \
             Connect with one of them, or wait: unconnected values are discarded a day after they were shown."
        )));
    }
    create(state, org, actor, service, None).await
}

/// A new random subject for `service`, saved with its audit row: pending, or as the pending
/// switch of account `renewal_of`.
#[cfg(feature = "ssr")]
pub async fn create(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    service: MsService,
    renewal_of: Option<i64>,
) -> Result<FederatedValues, AppError> {
    let mut random = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let subject = format!("xops:link:{}", crate::crypto::hex(&random));
    let now = crate::server::now();
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    let id = super::federated_store::insert(&mut tx, org, service.as_str(), &subject, renewal_of, now).await?;
    let detail = match renewal_of {
        None => format!("{} federated credential subject {subject}", service.label()),
        Some(account) => format!("{} federated credential subject {subject} made for account {account} to switch to", service.label()),
    };
    crate::audit::write(&mut *tx, actor, "federated_subject", &detail).await?;
    tx.commit().await?;
    Ok(FederatedValues::new(state, id, subject))
}

#[server(endpoint = "federated_values")]
pub async fn load_federated_values(subject_id: i64) -> Result<FederatedValues, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let found = super::federated_store::find(&state.pool, user.organization_id, subject_id)
        .await?
        .ok_or_else(|| AppError::NotFound("Those values no longer exist: click Show Federated Credential Values again.".into()))?;
    Ok(FederatedValues::new(&state, found.id, found.subject))
}

/// The three values, each with a Copy button, as the Azure portal names them. `which` tells
/// their fields apart from another set on the same page ("current", "new").
#[component]
pub fn FederatedValuesView(values: FederatedValues, #[prop(optional)] which: Option<&'static str>) -> impl IntoView {
    let row = move |field: &'static str, label: &'static str, value: String| {
        let id = match which {
            Some(which) => format!("{which}_federated_{field}"),
            None => format!("federated_{field}"),
        };
        view! {
            <label for=id.clone()>{label}</label>
            <div class="copy-row">
                <input id=id type="text" readonly value=value.clone() />
                <crate::islands::CopyButton text=value />
            </div>
        }
    };
    view! {
        <div class="federated-values">
            {row("issuer", "Issuer", values.issuer)}
            {row("subject", "Subject identifier", values.subject)}
            {row("audience", "Audience", values.audience)}
        </div>
    }
}

/// The steps in the app registration, in the guide's words.
#[component]
pub fn AddCredentialSteps(#[prop(into)] then: String) -> impl IntoView {
    view! {
        <li>"In the app registration: " <strong>"Certificates & secrets"</strong> " → " <strong>"Federated credentials"</strong> " → "
            <strong>"Add credential"</strong> " → Federated credential scenario: " <strong>"Other issuer"</strong> ". Paste " <strong>"Issuer"</strong>
            ", choose " <em>"Explicit subject identifier"</em> " and paste " <strong>"Subject identifier"</strong> ", give it a " <strong>"Name"</strong>
            " (e.g. xops), keep " <strong>"Audience"</strong> " as shown here → " <strong>"Add"</strong> ". " {then}</li>
    }
}

/// How the wait of Connect (or Verify and switch) with these values goes, in a sentence for the
/// progress line of the form's button, if one runs on this replica. (Worded here: the browser's
/// code stays small.)
#[server(endpoint = "federated_wait")]
pub async fn federated_wait(subject_id: i64) -> Result<Option<String>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    super::federated_store::find(&state.pool, user.organization_id, subject_id)
        .await?
        .ok_or_else(|| AppError::NotFound("Those values no longer exist.".into()))?;
    Ok(super::waits::waiting(user.organization_id, subject_id).map(|w| {
        let left = w.patience.saturating_sub(w.started.elapsed()).as_secs();
        format!(
            "Microsoft does not match the federated credential yet (AADSTS{}, attempt {}): one added a moment ago can \
             take a while. Xops keeps trying for {}:{:02} more.",
            w.code,
            w.attempts,
            left / 60,
            left % 60
        )
    }))
}

/// What the Connect or Verify and switch button asks while it is sent: `federated_wait` for the
/// subject `subject_id`.
pub fn wait_progress(subject_id: i64) -> String {
    use leptos::server_fn::ServerFn;
    format!("{}?subject_id={subject_id}", <FederatedWait as ServerFn>::PATH)
}
