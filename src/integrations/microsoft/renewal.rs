//! Renew certificate: a Microsoft account gets a new key pair while its current certificate
//! keeps working; the user uploads the new `.cer` to the same app registration; Verify and
//! switch signs in with the new certificate and only then makes it the account's, deleting the
//! old sealed key. Nothing stops working in between, and an expired certificate renews alike.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::certificates::CertificateInfo;
use super::federated::{FederatedValues, FederatedValuesView};
use crate::error::AppError;
use crate::ui::{error_of, FormError, Notice};

/// What the renewal page shows: the account, its current certificate and the new one if made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Renewal {
    pub account_id: i64,
    pub account_name: String,
    pub service: String,
    pub app_id: String,
    pub card_href: String,
    pub current: Option<CertificateInfo>,
    pub current_expiring: bool,
    pub new: Option<CertificateInfo>,
    /// The federated credential's values, if the account signs in with one.
    pub current_subject: Option<FederatedValues>,
    /// A new subject waiting for Verify and switch (from a certificate, or a rotation).
    pub new_subject: Option<FederatedValues>,
}

#[cfg(feature = "ssr")]
use super::switch::microsoft_account;

#[cfg(feature = "ssr")]
use super::store::of_account as certificate;

#[server(endpoint = "certificate_renewal")]
pub async fn certificate_renewal(account_id: i64) -> Result<Renewal, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let (account, service) = microsoft_account(&state, org, account_id).await?;
    let access = crate::accounts::store::access(&state.pool, org, account_id).await?;
    let info = |row: Option<(i64, String, i64)>| row.map(|(id, thumbprint, not_after)| CertificateInfo::new(id, thumbprint, not_after));
    Ok(Renewal {
        account_id,
        account_name: account.name,
        service: service.label().to_string(),
        app_id: access.microsoft_app_id,
        card_href: account.provider.card().href(),
        current: info(certificate(&state.pool, org, account_id, false).await?),
        current_expiring: account.certificate_expiring,
        new: info(certificate(&state.pool, org, account_id, true).await?),
        current_subject: subject(&state, org, account_id, false).await?,
        new_subject: subject(&state, org, account_id, true).await?,
    })
}

#[cfg(feature = "ssr")]
async fn subject(state: &crate::server::AppState, org: i64, account_id: i64, switch: bool) -> Result<Option<FederatedValues>, AppError> {
    let found = super::federated_store::of_account(&state.pool, org, account_id, switch).await?;
    Ok(found.map(|s| FederatedValues::new(state, s.id, s.subject)))
}

/// Renew certificate: a new key pair for the account, kept aside (the current one stays in
/// use). One at a time: a second click offers the one already made.
#[server(endpoint = "renew_certificate")]
pub async fn renew_certificate(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let (_, service) = microsoft_account(&state, org, account_id).await?;
    if certificate(&state.pool, org, account_id, true).await?.is_none() {
        super::certificates::create(&state, user.organization_id, &user.actor().await, service, Some(account_id)).await?;
    }
    leptos_axum::redirect(&format!("/accounts/{account_id}/certificate?notice=certificate-made&download=1"), false);
    Ok(())
}

/// Verify and switch: signs in with the new certificate exactly as a check does; only if that
/// works does it become the account's certificate, the old one's sealed key (or the federated
/// subject it signed in with) deleted, with a history row and an audit row, in one transaction.
#[server(endpoint = "switch_certificate")]
pub async fn switch_certificate(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let (account, service) = microsoft_account(&state, org, account_id).await?;
    let (new_id, _, _) = certificate(&state.pool, org, account_id, true)
        .await?
        .ok_or_else(|| AppError::invalid("certificate", "Click Renew certificate first: there is no new certificate to switch to."))?;
    let key = super::sign_in::SignIn::Certificate(super::certificates::StoredKey::load(&state, org, new_id, None).await?);
    super::switch::verify_and_switch(&state, &user, &account, service, &key).await?;
    leptos_axum::redirect(&format!("{}?notice=certificate-switched", account.provider.card().href()), false);
    Ok(())
}

/// /accounts/:id/certificate
#[component]
pub fn RenewCertificatePage() -> impl IntoView {
    let params = use_params_map();
    let account_id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(-1);
    let renew = ServerAction::<RenewCertificate>::new();
    let switch = ServerAction::<SwitchCertificate>::new();
    let (renew_error, switch_error) = (error_of(renew), error_of(switch));
    let renewal = Resource::new(move || (account_id(), renew.version().get()), |(id, _)| certificate_renewal(id));
    let query = use_query_map();
    let download = move || query.read().get("download").is_some();
    let workspace: crate::accounts::workspace::WorkspaceResource = expect_context();
    view! {
        <Title text="Renew certificate" />
        <section class="page">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let r = match renewal.await {
                        Ok(r) => r,
                        Err(err) => return view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    };
                    let id = r.account_id;
                    // A Viewer sees the certificates; renewing them is for Admins and Owners.
                    let may_change = workspace.may_change().await;
                    // An account on a federated credential gets its first certificate, not a renewal.
                    let renew_label = if r.current_subject.is_some() { "Make a certificate" } else { "Renew certificate" };
                    let switch_panel = may_change.then(|| view! {
                        <super::switch::FederatedSwitchPanel account_id=id app_id=r.app_id.clone() rotating=r.current_subject.is_some() new_subject=r.new_subject.clone() />
                    });
                    view! {
                        <p class="breadcrumb"><A href="/integrations">"Integrations"</A> " / " <A href=r.card_href.clone()>{r.service.clone()}</A>
                            {if r.current_subject.is_some() { " / How Xops signs in" } else { " / Renew certificate" }}</p>
                        <h1>{if r.current_subject.is_some() { "How Xops signs in: " } else { "Renew certificate: " }} {r.account_name.clone()}</h1>
                        <Notice />
                        <div class="panel">
                            {match (r.current.clone(), r.current_subject.clone()) {
                                (_, Some(values)) => view! {
                                    <h2>"Federated credential"</h2>
                                    <p>"Xops signs in through a federated credential on app " <code>{r.app_id.clone()}</code> " with these values. No certificate: nothing expires."</p>
                                    <FederatedValuesView values which="current" />
                                }.into_any(),
                                (Some(c), None) => view! {
                                    <h2>"Current certificate"</h2>
                                    <p>"Thumbprint " <code>{c.thumbprint}</code> ", expires " {c.expires}
                                        {r.current_expiring.then(|| view! { " " <span class="status status-warning">"Expiring"</span> })}</p>
                                    <p class="muted">"It stays in use until the new one is verified."</p>
                                }.into_any(),
                                (None, None) => view! { <h2>"Current certificate"</h2><p>"This account has no certificate: make a new one below."</p> }.into_any(),
                            }}
                        </div>
                        {switch_panel}
                        {may_change.then(|| view! { <div class="panel">
                            <h2>{if r.current_subject.is_some() { "Switch to a certificate" } else { "New certificate" }}</h2>
                            {match r.new.clone() {
                                None => view! {
                                    <p>"A new key pair is made here; its private key never leaves Xops. You download only the public certificate."</p>
                                    <FormError error=renew_error />
                                    <ActionForm action=renew>
                                        <input type="hidden" name="account_id" value=id />
                                        <button type="submit" class="btn btn-primary" disabled=move || renew.pending().get()>{renew_label}</button>
                                    </ActionForm>
                                }.into_any(),
                                Some(n) => view! {
                                    <p>"Thumbprint " <code>{n.thumbprint.clone()}</code> ", expires " {n.expires.clone()}</p>
                                    <ol class="steps">
                                        <li><a href=n.download_url.clone() class="btn btn-small" download="">"Download .cer"</a></li>
                                        <li>"In Microsoft Entra ID open App registrations → the app " <code>{r.app_id.clone()}</code>
                                            " → Certificates & secrets → Certificates → " <strong>"Upload certificate"</strong>
                                            ", choose the downloaded file and click " <strong>"Add"</strong>
                                            ". Keep the old certificate there until the switch."</li>
                                        <li>"Click " <strong>"Verify and switch"</strong> ": Xops signs in with the new certificate and only then uses it."</li>
                                    </ol>
                                    <FormError error=switch_error />
                                    <ActionForm action=switch>
                                        <input type="hidden" name="account_id" value=id />
                                        <button type="submit" class="btn btn-primary" disabled=move || switch.pending().get()>"Verify and switch"</button>
                                    </ActionForm>
                                    // Without JavaScript the download starts by a refresh to the file.
                                    {download().then(|| view! {
                                        <noscript inner_html=format!(r#"<meta http-equiv="refresh" content="0;url={}">"#, n.download_url.replace('"', "")) />
                                    })}
                                }.into_any(),
                            }}
                        </div> })}
                    }
                        .into_any()
                })}
            </Transition>
        </section>
    }
}
