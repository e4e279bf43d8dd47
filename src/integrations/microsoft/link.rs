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
    use super::certificates::{self, StoredKey};
    use crate::accounts::store::{self, NewAccount};
    use crate::domain::{AccountName, Guid, OnMicrosoftDomain};
    let (state, session, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let name = AccountName::parse(name)?;
    let app_id = Guid::parse(app_id, "app_id", "App ID")?;
    let tenant_id = Guid::parse(tenant_id, "tenant_id", "Tenant ID")?;
    let domain = match service {
        MsService::M365 => Some(OnMicrosoftDomain::parse(organization_id.unwrap_or_default())?),
        MsService::Azure | MsService::Entra => None,
    };
    let certificate_id = certificate_id.and_then(|c| c.trim().parse::<i64>().ok()).ok_or_else(|| {
        AppError::invalid(
            "certificate",
            "Click Generate Public Key & Download first, and upload the certificate to the app registration.",
        )
    })?;
    let org = user.organization_id;
    crate::integrations::linking::ensure_new(&state.pool, org, service.provider(), &name, tenant_id.as_str(), |existing| {
        AppError::conflict(
            "tenant_id",
            format!("This tenant is already linked for {} as \"{existing}\".", service.label()),
        )
    })
    .await?;
    let key = StoredKey::load(&state, org, certificate_id, None).await?;
    if key.service != service.as_str() {
        return Err(AppError::invalid(
            "certificate",
            "This certificate was made for another service: generate one here.",
        ));
    }
    let started = std::time::Instant::now();
    let (verified, subscriptions) = match verify(&state, &key, service, app_id.as_str(), tenant_id.as_str(), Check::Link).await {
        Ok(verified) => verified,
        Err(err) => {
            let what = format!("\"{name}\" (tenant {tenant_id}, app {app_id})");
            crate::integrations::linking::audit_refusal(&state.pool, &user, service.provider(), &what, &err).await;
            return Err(err);
        }
    };
    // The tenant's management groups, to choose from at once (none if the app may not read them).
    let groups = match service {
        MsService::Azure => match sign_in(&state, &key, service, app_id.as_str(), tenant_id.as_str(), Check::Link).await {
            Ok(token) => state.microsoft.management_groups(&token).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        },
        MsService::M365 | MsService::Entra => Vec::new(),
    };

    let account = NewAccount {
        provider: service.provider(),
        kind: "",
        name: name.as_str(),
        external_account_id: tenant_id.as_str(),
        role_arn: "",
        app_id: app_id.as_str(),
        domain: domain.as_ref().map(|d| d.as_str()).unwrap_or_default(),
        verified: &verified,
    };
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let check = crate::integrations::linking::first_check(&state, &account, started);
    let id = store::insert(&mut tx, org, &account, &check).await?;
    certificates::attach(&mut tx, org, certificate_id, id).await?;
    super::subscriptions::store_subscriptions(&mut tx, id, &subscriptions).await?;
    super::groups::store_groups(&mut tx, id, &groups).await?;
    let detail = format!("{} \"{name}\" (tenant {tenant_id}, app {app_id}) linked", service.label());
    crate::integrations::linking::finish(tx, &session, &user, &account, id, &detail, None).await
}

/// A saved account's app registration, as a new check needs it.
#[cfg(feature = "ssr")]
pub struct SavedApp<'a> {
    pub account_id: i64,
    pub app_id: &'a str,
    pub tenant_id: &'a str,
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
) -> Result<(crate::domain::Verified, Vec<super::identity::Subscription>), AppError> {
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
        return Ok((Verified::connected(format!("Signed in with the certificate; {role} granted{proof}.")), Vec::new()));
    }
    let subscriptions = state.microsoft.subscriptions(&token).await?;
    let message = format!("Signed in with the certificate; {} subscription(s) visible.", subscriptions.len());
    Ok((Verified::connected(message), subscriptions))
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

/// Verifies a saved Microsoft account again with its certificate; for Azure, also what
/// subscriptions the app sees now, and those of its selected management groups.
#[cfg(feature = "ssr")]
pub async fn reverify(
    state: &crate::server::AppState,
    org: i64,
    service: MsService,
    app: &SavedApp<'_>,
) -> Result<(crate::domain::Verified, Vec<super::identity::Subscription>), AppError> {
    let key = super::certificates::StoredKey::load(state, org, -1, Some(app.account_id)).await?;
    let (verified, visible) = verify(state, &key, service, app.app_id, app.tenant_id, Check::Recheck).await?;
    let verified = match service {
        MsService::Azure => {
            let token = sign_in(state, &key, service, app.app_id, app.tenant_id, Check::Recheck).await?;
            let changes = super::groups::sync(state, app.account_id, &token, &visible).await?;
            let verified = super::subscriptions::with_changes(&state.pool, app.account_id, verified, &visible).await?;
            changes.annotate(verified)
        }
        MsService::M365 | MsService::Entra => verified,
    };
    Ok((verified, visible))
}
