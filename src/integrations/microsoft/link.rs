//! Connect: signs in as the customer's app registration with the certificate made here, checks
//! what the service needs (a permission, or the subscriptions it can see), and only then
//! saves the account. Re-test runs the same check.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::domain::{Check, MsService};
use crate::error::AppError;

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
    let (state, session, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let app = AppRegistration { name, app_id, tenant_id, organization_id, certificate_id };
    let (id, status) = link(&state, user.organization_id, &user.actor().await, service, &app).await?;
    crate::integrations::linking::finish_saved(&session, id, status, service.provider(), None).await
}

/// What Connect is given: the account's name, the customer's app registration, and the
/// certificate made here for it (its id as typed: the form's hidden field, or the API's).
#[cfg(feature = "ssr")]
pub struct AppRegistration<'a> {
    pub name: &'a str,
    pub app_id: &'a str,
    pub tenant_id: &'a str,
    /// Microsoft 365: the tenant's onmicrosoft.com domain.
    pub organization_id: Option<&'a str>,
    pub certificate_id: Option<&'a str>,
}

/// Links a Microsoft account (the page's Connect and the API): signs in as the app with the
/// certificate and, only if Microsoft agrees, saves it with its audit row by `actor`; returns
/// its id and status.
#[cfg(feature = "ssr")]
pub async fn link(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    service: MsService,
    app: &AppRegistration<'_>,
) -> Result<(i64, crate::domain::AccountStatus), AppError> {
    use super::certificates::{self, StoredKey};
    use crate::accounts::store::{Credentials, NewAccount};
    use crate::domain::{AccountKind, AccountName, Guid, OnMicrosoftDomain};
    use crate::integrations::linking;
    let name = AccountName::parse(app.name)?;
    let app_id = Guid::parse(app.app_id, "app_id", "App ID")?;
    let tenant_id = Guid::parse(app.tenant_id, "tenant_id", "Tenant ID")?;
    let domain = match service {
        MsService::M365 => Some(OnMicrosoftDomain::parse(app.organization_id.unwrap_or_default())?),
        MsService::Azure | MsService::Entra => None,
    };
    let certificate_id = app.certificate_id.and_then(|c| c.trim().parse::<i64>().ok()).ok_or_else(|| {
        AppError::invalid(
            "certificate",
            "Click Generate Public Key & Download first, and upload the certificate to the app registration.",
        )
    })?;
    linking::ensure_new(&state.pool, org, service.provider(), &name, tenant_id.as_str(), |existing| {
        AppError::conflict(
            "tenant_id",
            format!("This tenant is already linked for {} as \"{existing}\".", service.label()),
        )
    })
    .await?;
    let key = StoredKey::load(state, org, certificate_id, None).await?;
    if key.service != service.as_str() {
        return Err(AppError::invalid(
            "certificate",
            "This certificate was made for another service: generate one here.",
        ));
    }
    let started = std::time::Instant::now();
    let Verification { verified, subscriptions, token } = match verify(state, &key, service, app_id.as_str(), tenant_id.as_str(), Check::Link).await {
        Ok(verified) => verified,
        Err(err) => {
            let what = format!("\"{name}\" (tenant {tenant_id}, app {app_id})");
            linking::audit_refusal(&state.pool, actor, service.provider(), &what, &err).await;
            return Err(err);
        }
    };
    // The tenant's management groups, to choose from at once (none if the app may not read them).
    let groups = match service {
        MsService::Azure => state.microsoft.management_groups(&token).await.unwrap_or_default(),
        MsService::M365 | MsService::Entra => Vec::new(),
    };

    let account = NewAccount {
        kind: AccountKind::Microsoft(service),
        name: name.as_str(),
        external_account_id: tenant_id.as_str(),
        credentials: Credentials::MicrosoftApp {
            app_id: app_id.as_str(),
            m365_domain: domain.as_ref().map(|d| d.as_str()).unwrap_or_default(),
        },
        verified: &verified,
    };
    let detail = format!("{} \"{name}\" (tenant {tenant_id}, app {app_id}) linked", service.label());
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    let id = linking::save(&mut tx, state, org, &account, started, actor, &detail).await?;
    certificates::attach(&mut tx, org, certificate_id, id).await?;
    super::azure_store::replace_subscriptions(&mut tx, id, &subscriptions).await?;
    super::azure_store::replace_groups(&mut tx, id, &groups).await?;
    tx.commit().await?;
    Ok((id, verified.status))
}

/// A saved account's app registration, as a new check needs it.
#[cfg(feature = "ssr")]
pub struct SavedApp<'a> {
    pub account_id: i64,
    pub app_id: &'a str,
    pub tenant_id: &'a str,
}

/// What signing in as the app showed, and the token it signed in with (for further reads).
#[cfg(feature = "ssr")]
pub struct Verification {
    pub verified: crate::domain::Verified,
    /// Azure: the subscriptions the app can see.
    pub subscriptions: Vec<super::identity::Subscription>,
    pub token: String,
}

/// Signs in as the app with the stored key and checks what `service` needs: the permission
/// in the token's roles, or (Azure) the subscriptions the app can see.
#[cfg(feature = "ssr")]
pub async fn verify(
    state: &crate::server::AppState,
    key: &super::certificates::StoredKey,
    service: MsService,
    app_id: &str,
    tenant_id: &str,
    check: Check,
) -> Result<Verification, AppError> {
    use super::identity;
    use crate::domain::Verified;
    let token = sign_in(state, key, service, app_id, tenant_id, check).await?;
    if let Some(role) = service.required_role() {
        if !identity::token_roles(&token).iter().any(|r| r == role) {
            if check != Check::Link {
                return Err(AppError::Verification(format!(
                    "The app lost the {role} permission (it had it at the last check). In the app registration open API \
                     permissions → Add a permission → {} → Application permissions → {role}, click Grant admin consent, then Re-test.",
                    service.api_name()
                )));
            }
            return Err(AppError::Verification(format!(
                "The app signs in, but it lacks the {role} permission. In the app registration open API permissions → Add a \
                 permission → {} → Application permissions → {role}, click Grant admin consent, then Connect again.",
                service.api_name()
            )));
        }
        // Entra ID: the role was granted; one Graph read proves it works in this tenant.
        let proof = match service {
            MsService::Entra => {
                state.microsoft.read_access_reviews(&token).await?;
                "; access reviews read through Microsoft Graph"
            }
            MsService::M365 | MsService::Azure => "",
        };
        let verified = Verified::connected(format!("Signed in with the certificate; {role} granted{proof}."));
        return Ok(Verification { verified, subscriptions: Vec::new(), token });
    }
    let subscriptions = state.microsoft.subscriptions(&token).await?;
    let message = format!("Signed in with the certificate; {} subscription(s) visible.", subscriptions.len());
    Ok(Verification { verified: Verified::connected(message), subscriptions, token })
}

/// An access token for the app, signed in with `key`.
#[cfg(feature = "ssr")]
async fn sign_in(
    state: &crate::server::AppState,
    key: &super::certificates::StoredKey,
    service: MsService,
    app_id: &str,
    tenant_id: &str,
    check: Check,
) -> Result<String, AppError> {
    let credential = super::identity::AppCredential {
        app_id,
        tenant_id,
        private_key_pkcs8: &key.private_key_pkcs8,
        x5t_s256: &key.x5t_s256,
        thumbprint: &key.thumbprint,
    };
    state.microsoft.token(&credential, service, check, crate::server::now()).await
}

/// A saved Microsoft account verified again: what it showed, and for Azure what is to be
/// stored (`Findings::apply`, in the transaction that records the check).
#[cfg(feature = "ssr")]
pub struct Recheck {
    pub verified: crate::domain::Verified,
    pub subscriptions: Vec<super::identity::Subscription>,
    pub findings: Option<super::groups::Findings>,
}

/// Verifies a saved Microsoft account again with its certificate (one sign-in); for Azure,
/// also what subscriptions the app sees now, and those of its selected management groups.
#[cfg(feature = "ssr")]
pub async fn reverify(state: &crate::server::AppState, org: i64, service: MsService, app: &SavedApp<'_>) -> Result<Recheck, AppError> {
    let key = super::certificates::StoredKey::load(state, org, -1, Some(app.account_id)).await?;
    let Verification { verified, subscriptions, token } =
        verify(state, &key, service, app.app_id, app.tenant_id, Check::Recheck).await?;
    match service {
        MsService::Azure => {
            let findings = super::groups::read(state, app.account_id, &token, &subscriptions).await?;
            Ok(Recheck { verified: findings.annotate(verified), subscriptions, findings: Some(findings) })
        }
        MsService::M365 | MsService::Entra => Ok(Recheck { verified, subscriptions, findings: None }),
    }
}
