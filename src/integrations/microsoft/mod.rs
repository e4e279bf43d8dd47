//! Azure, Microsoft 365 and Microsoft Entra ID: an app registration that signs in with a
//! certificate made here (its private key sealed, never sent), verified before it is saved.
#[cfg(feature = "ssr")]
pub mod identity;
mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub use pages::{AzurePage, LinkMicrosoftPage, MicrosoftPage, SubscriptionsPage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsService {
    Azure,
    M365,
    Entra,
}

impl MsService {
    pub fn parse(s: &str) -> Option<MsService> {
        match s {
            "azure" => Some(MsService::Azure),
            "m365" => Some(MsService::M365),
            "entra" => Some(MsService::Entra),
            _ => None,
        }
    }

    /// Also the account's provider column.
    pub fn as_str(self) -> &'static str {
        match self {
            MsService::Azure => "azure",
            MsService::M365 => "m365",
            MsService::Entra => "entra",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MsService::Azure => "Azure",
            MsService::M365 => "Microsoft 365",
            MsService::Entra => "Microsoft Entra ID",
        }
    }

    pub fn scope(self) -> &'static str {
        match self {
            MsService::Azure => "https://management.azure.com/.default",
            MsService::M365 => "https://outlook.office365.com/.default",
            MsService::Entra => "https://graph.microsoft.com/.default",
        }
    }

    /// The application permission the access token must carry.
    pub fn required_role(self) -> Option<&'static str> {
        match self {
            MsService::Azure => None,
            MsService::M365 => Some("Exchange.ManageAsApp"),
            MsService::Entra => Some("AccessReview.Read.All"),
        }
    }

    pub fn api_name(self) -> &'static str {
        match self {
            MsService::Azure => "Azure Service Management",
            MsService::M365 => "Office 365 Exchange Online",
            MsService::Entra => "Microsoft Graph",
        }
    }

    pub fn missing_api_fix(self) -> &'static str {
        match self {
            MsService::Azure => "Check that the tenant has an Azure subscription.",
            MsService::M365 => "The tenant needs Exchange Online (a Microsoft 365 subscription).",
            MsService::Entra => "Check the tenant in the Microsoft Entra admin center.",
        }
    }

    pub fn page(self) -> &'static str {
        match self {
            MsService::Azure => "/integrations/azure",
            MsService::M365 => "/integrations/microsoft/m365",
            MsService::Entra => "/integrations/microsoft/entra",
        }
    }
}

/// A generated certificate as the page shows it (never the private key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub id: i64,
    pub thumbprint: String,
    pub expires: String,
    pub download_url: String,
}

#[cfg(feature = "ssr")]
impl CertificateInfo {
    fn new(id: i64, thumbprint: String, not_after: i64) -> Self {
        CertificateInfo {
            id,
            thumbprint,
            expires: crate::accounts::format_time(not_after),
            download_url: format!("/certificates/{id}.cer"),
        }
    }
}

/// Generate Public Key & Download: a new RSA 3072 key pair and certificate for `service`.
#[server(endpoint = "generate_certificate")]
pub async fn generate_certificate(service: String) -> Result<CertificateInfo, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let now = crate::server::now();
    // Keys generated but never connected do not linger.
    sqlx::query("DELETE FROM certificates WHERE account_id IS NULL AND created_at < ?")
        .bind(now - 24 * 3600)
        .execute(&state.pool)
        .await?;
    let cert = tokio::task::spawn_blocking(move || {
        crate::crypto::generate_certificate(&format!("Xops 360 {}", service.label()))
    })
    .await
    .map_err(|_| AppError::Internal)??;
    let sealed = state.sealer.seal(&cert.private_key_pkcs8)?;
    let x5t = crate::crypto::base64url(&crate::crypto::sha256(&cert.cert_der));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO certificates (organization_id, service, cert_pem, thumbprint, x5t_s256, not_after, sealed_key, key_nonce, key_id, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user.organization_id)
    .bind(service.as_str())
    .bind(&cert.cert_pem)
    .bind(&cert.thumbprint)
    .bind(&x5t)
    .bind(cert.not_after)
    .bind(&sealed.ciphertext)
    .bind(&sealed.nonce)
    .bind(&sealed.key_id)
    .bind(now)
    .fetch_one(&state.pool)
    .await?;
    let actor = crate::audit::Actor::of(&user, crate::auth::session::client_addr().await);
    crate::audit::record(
        &state.pool,
        &actor,
        "generate_certificate",
        &format!("{} certificate {}", service.label(), cert.thumbprint),
    )
    .await;
    leptos_axum::redirect(&format!("{}?certificate={id}", service.page()), false);
    Ok(CertificateInfo::new(id, cert.thumbprint, cert.not_after))
}

#[server(endpoint = "certificate_info")]
pub async fn load_certificate_info(certificate_id: i64) -> Result<CertificateInfo, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT thumbprint, not_after FROM certificates WHERE id = ? AND organization_id = ?")
            .bind(certificate_id)
            .bind(user.organization_id)
            .fetch_optional(&state.pool)
            .await?;
    let (thumbprint, not_after) =
        row.ok_or_else(|| AppError::NotFound("That certificate does not exist; generate a new one.".into()))?;
    Ok(CertificateInfo::new(certificate_id, thumbprint, not_after))
}

/// Connect: signs in as the app with the certificate; saves the account only if Microsoft agrees.
#[server(endpoint = "link_microsoft_account")]
pub async fn link_microsoft_account(
    service: String,
    name: String,
    app_id: String,
    tenant_id: String,
    organization_id: Option<String>,
    certificate_id: Option<String>,
) -> Result<(), AppError> {
    let kept = [
        ("name", name.as_str()),
        ("app_id", app_id.as_str()),
        ("tenant_id", tenant_id.as_str()),
        ("organization_id", organization_id.as_deref().unwrap_or_default()),
        ("certificate", certificate_id.as_deref().unwrap_or_default()),
    ];
    let result = link_microsoft_account_inner(
        service,
        &name,
        &app_id,
        &tenant_id,
        organization_id.as_deref(),
        certificate_id.as_deref(),
    )
    .await;
    crate::server::keep_typed::<LinkMicrosoftAccount>(&result, &kept);
    result
}

#[cfg(feature = "ssr")]
async fn link_microsoft_account_inner(
    service: String,
    name: &str,
    app_id: &str,
    tenant_id: &str,
    organization_id: Option<&str>,
    certificate_id: Option<&str>,
) -> Result<(), AppError> {
    use crate::domain::{AccountName, Guid, OnMicrosoftDomain};
    let (state, session, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let name = AccountName::parse(&name)?;
    let app_id = Guid::parse(&app_id, "app_id", "App ID")?;
    let tenant_id = Guid::parse(&tenant_id, "tenant_id", "Tenant ID")?;
    let domain = match service {
        MsService::M365 => Some(OnMicrosoftDomain::parse(organization_id.as_deref().unwrap_or_default())?),
        _ => None,
    };
    let certificate_id = certificate_id.as_deref().and_then(|c| c.trim().parse::<i64>().ok()).ok_or_else(|| {
        AppError::invalid(
            "certificate",
            "Click Generate Public Key & Download first, and upload the certificate to the app registration.",
        )
    })?;
    let org = user.organization_id;
    crate::accounts::ensure_name_free(&state.pool, org, service.as_str(), &name, None).await?;
    if let Some(existing) = crate::accounts::linked_as(&state.pool, org, service.as_str(), tenant_id.as_str()).await? {
        return Err(AppError::conflict(
            "tenant_id",
            format!("This tenant is already linked for {} as \"{existing}\".", service.label()),
        ));
    }
    let key = StoredKey::load(&state, org, certificate_id, None).await?;
    if key.service != service.as_str() {
        return Err(AppError::invalid(
            "certificate",
            "This certificate was made for another service: generate one here.",
        ));
    }
    let verified = verify(&state, &key, service, app_id.as_str(), tenant_id.as_str()).await?;

    let mut tx = crate::server::begin_write(&state.pool).await?;
    let account = crate::accounts::NewAccount {
        provider: service.as_str(),
        kind: "",
        name: name.as_str(),
        external_account_id: tenant_id.as_str(),
        role_arn: "",
        app_id: app_id.as_str(),
        domain: domain.as_ref().map(|d| d.as_str()).unwrap_or_default(),
        status: crate::accounts::AccountStatus::Connected,
        status_message: &verified.message,
    };
    let id = crate::accounts::insert_account(&mut *tx, org, &account).await?;
    let attached = sqlx::query(
        "UPDATE certificates SET account_id = ? WHERE id = ? AND organization_id = ? AND account_id IS NULL",
    )
    .bind(id)
    .bind(certificate_id)
    .bind(org)
    .execute(&mut *tx)
    .await?;
    if attached.rows_affected() != 1 {
        return Err(AppError::invalid(
            "certificate",
            "This certificate is already used by another account: generate a new one.",
        ));
    }
    store_subscriptions(&mut tx, id, &verified.subscriptions).await?;
    tx.commit().await?;

    let actor = crate::audit::Actor::of(&user, crate::auth::session::client_addr().await);
    let detail = format!("{} \"{name}\" (tenant {tenant_id}, app {app_id}) linked", service.label());
    crate::audit::record(&state.pool, &actor, "link_account", &detail).await;
    crate::accounts::make_current(&session, id).await?;
    let target = match service {
        MsService::Azure => format!("/accounts/{id}/subscriptions?notice=linked"),
        _ => format!("{}?notice=linked", crate::accounts::Provider::M365.card().href()),
    };
    leptos_axum::redirect(&target, false);
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub name: String,
    pub state: String,
    pub selected: bool,
}

#[server(endpoint = "azure_subscriptions")]
pub async fn azure_subscriptions(account_id: i64) -> Result<Vec<SubscriptionRow>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    azure_account(&state, user.organization_id, account_id).await?;
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT subscription_id, display_name, state, selected FROM azure_subscriptions WHERE account_id = ? ORDER BY display_name, subscription_id",
    )
    .bind(account_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, state, selected)| SubscriptionRow { id, name, state, selected }).collect())
}

/// Update: connects the checked subscriptions and disconnects the others, in one transaction.
#[server(endpoint = "update_azure_subscriptions")]
pub async fn update_azure_subscriptions(account_id: i64, selected: Option<Vec<String>>) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let account = azure_account(&state, user.organization_id, account_id).await?;
    let wanted: std::collections::HashSet<String> =
        selected.unwrap_or_default().into_iter().map(|s| s.trim().to_lowercase()).collect();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let current: Vec<(String, String, bool)> =
        sqlx::query_as("SELECT subscription_id, state, selected FROM azure_subscriptions WHERE account_id = ?")
            .bind(account_id)
            .fetch_all(&mut *tx)
            .await?;
    if let Some(unknown) = wanted.iter().find(|w| !current.iter().any(|(id, ..)| id == *w)) {
        return Err(AppError::invalid(
            "selected",
            format!("Subscription {unknown} is not in this tenant's list: Refresh the list."),
        ));
    }
    let (mut connected, mut disconnected) = (0, 0);
    for (id, sub_state, was) in &current {
        let now_selected = wanted.contains(id);
        if now_selected && !was && sub_state != "Enabled" {
            return Err(AppError::invalid(
                "selected",
                format!("Subscription {id} is {sub_state}: only Enabled subscriptions can be connected."),
            ));
        }
        if now_selected != *was {
            sqlx::query("UPDATE azure_subscriptions SET selected = ? WHERE account_id = ? AND subscription_id = ?")
                .bind(now_selected)
                .bind(account_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if now_selected {
                connected += 1
            } else {
                disconnected += 1
            }
        }
    }
    tx.commit().await?;
    let actor = crate::audit::Actor::of(&user, crate::auth::session::client_addr().await);
    let detail =
        format!("Azure \"{}\": {connected} subscription(s) connected, {disconnected} disconnected", account.name);
    crate::audit::record(&state.pool, &actor, "update_subscriptions", &detail).await;
    leptos_axum::redirect(&format!("/accounts/{account_id}/subscriptions?notice=subscriptions-updated&connected={connected}&disconnected={disconnected}"), false);
    Ok(())
}

/// Refresh: reads the tenant's subscriptions from Azure again (choices of those still there stay).
#[server(endpoint = "refresh_azure_subscriptions")]
pub async fn refresh_azure_subscriptions(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    azure_account(&state, user.organization_id, account_id).await?;
    let verified = reverify(&state, user.organization_id, account_id).await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    store_subscriptions(&mut tx, account_id, &verified.subscriptions).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/accounts/{account_id}/subscriptions?notice=subscriptions-refreshed"), false);
    Ok(())
}

#[cfg(feature = "ssr")]
async fn azure_account(
    state: &crate::server::AppState,
    org: i64,
    account_id: i64,
) -> Result<crate::accounts::AccountSummary, AppError> {
    let account = crate::accounts::find(&state.pool, org, account_id).await?;
    if account.provider != crate::accounts::Provider::Azure {
        return Err(AppError::NotFound("That is not an Azure account.".into()));
    }
    Ok(account)
}

/// Replaces the stored list with `subscriptions`, keeping the choice of those still listed.
#[cfg(feature = "ssr")]
async fn store_subscriptions(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    account_id: i64,
    subscriptions: &[identity::Subscription],
) -> Result<(), AppError> {
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT subscription_id FROM azure_subscriptions WHERE account_id = ? AND selected = 1")
            .bind(account_id)
            .fetch_all(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM azure_subscriptions WHERE account_id = ?").bind(account_id).execute(&mut **tx).await?;
    for s in subscriptions {
        let id = s.id.trim().to_lowercase();
        sqlx::query("INSERT OR IGNORE INTO azure_subscriptions (account_id, subscription_id, display_name, state, selected) VALUES (?, ?, ?, ?, ?)")
            .bind(account_id)
            .bind(&id)
            .bind(&s.name)
            .bind(&s.state)
            .bind(kept.contains(&id) && s.state == "Enabled")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// A certificate's sealed key and what the assertion needs, loaded within the organization.
#[cfg(feature = "ssr")]
struct StoredKey {
    service: String,
    thumbprint: String,
    x5t_s256: String,
    private_key_pkcs8: Vec<u8>,
}

#[cfg(feature = "ssr")]
impl StoredKey {
    async fn load(
        state: &crate::server::AppState,
        org: i64,
        certificate_id: i64,
        account_id: Option<i64>,
    ) -> Result<StoredKey, AppError> {
        let row: Option<(String, String, String, Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
            "SELECT service, thumbprint, x5t_s256, sealed_key, key_nonce, key_id FROM certificates \
             WHERE organization_id = ? AND (id = ? OR account_id = ?) ORDER BY id DESC LIMIT 1",
        )
        .bind(org)
        .bind(certificate_id)
        .bind(account_id)
        .fetch_optional(&state.pool)
        .await?;
        let (service, thumbprint, x5t_s256, ciphertext, nonce, key_id) = row.ok_or_else(|| {
            AppError::invalid("certificate", "That certificate no longer exists: generate a new one.")
        })?;
        let private_key_pkcs8 = state.sealer.open(&crate::crypto::Sealed { ciphertext, nonce, key_id })?;
        Ok(StoredKey { service, thumbprint, x5t_s256, private_key_pkcs8 })
    }
}

#[cfg(feature = "ssr")]
pub struct MsVerified {
    pub message: String,
    pub subscriptions: Vec<identity::Subscription>,
}

#[cfg(feature = "ssr")]
async fn verify(
    state: &crate::server::AppState,
    key: &StoredKey,
    service: MsService,
    app_id: &str,
    tenant_id: &str,
) -> Result<MsVerified, AppError> {
    let credential = identity::AppCredential {
        app_id,
        tenant_id,
        private_key_pkcs8: &key.private_key_pkcs8,
        x5t_s256: &key.x5t_s256,
        thumbprint: &key.thumbprint,
    };
    let token = state.microsoft.token(&credential, service).await?;
    if let Some(role) = service.required_role() {
        if !identity::token_roles(&token).iter().any(|r| r == role) {
            return Err(AppError::Verification(format!(
                "The app signs in, but it lacks the {role} permission. In the app registration open API permissions → Add a \
                 permission → {} → Application permissions → {role}, click Grant admin consent, then Connect again.",
                service.api_name()
            )));
        }
        return Ok(MsVerified {
            message: format!("Signed in with the certificate; {role} granted."),
            subscriptions: Vec::new(),
        });
    }
    let subscriptions = state.microsoft.subscriptions(&token).await?;
    let message = format!("Signed in with the certificate; {} subscription(s) visible.", subscriptions.len());
    Ok(MsVerified { message, subscriptions })
}

/// Verifies an existing Microsoft account again with its certificate.
#[cfg(feature = "ssr")]
pub async fn reverify(state: &crate::server::AppState, org: i64, account_id: i64) -> Result<MsVerified, AppError> {
    let (provider, app_id, tenant_id): (String, String, String) = sqlx::query_as(
        "SELECT provider, app_id, external_account_id FROM cloud_accounts WHERE id = ? AND organization_id = ?",
    )
    .bind(account_id)
    .bind(org)
    .fetch_one(&state.pool)
    .await?;
    let service = MsService::parse(&provider).ok_or_else(|| AppError::BadRequest("Not a Microsoft account.".into()))?;
    let key = StoredKey::load(state, org, -1, Some(account_id)).await?;
    verify(state, &key, service, &app_id, &tenant_id).await
}

/// GET /certificates/{id}.cer: the public certificate (PEM), for the caller's organization only.
#[cfg(feature = "ssr")]
pub async fn certificate_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    session: tower_sessions::Session,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let user = match crate::auth::session::current(&session, &state).await {
        Ok(Some(user)) => user,
        Ok(None) => return AppError::Unauthorized.into_response(),
        Err(err) => return err.into_response(),
    };
    let Some(id) = file.strip_suffix(".cer").and_then(|id| id.parse::<i64>().ok()) else {
        return AppError::NotFound("There is no such certificate.".into()).into_response();
    };
    let row: Result<Option<(String, String)>, _> =
        sqlx::query_as("SELECT cert_pem, service FROM certificates WHERE id = ? AND organization_id = ?")
            .bind(id)
            .bind(user.organization_id)
            .fetch_optional(&state.pool)
            .await;
    match row {
        Ok(Some((pem, service))) => (
            [
                (header::CONTENT_TYPE, "application/x-x509-ca-cert".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"xops-{service}-{id}.cer\"")),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            pem,
        )
            .into_response(),
        Ok(None) => AppError::NotFound("There is no such certificate.".into()).into_response(),
        Err(err) => AppError::from(err).into_response(),
    }
}
