//! Connect: signs in as the customer's app registration (with the certificate made here, or
//! through a federated credential that trusts the portal's issuer), checks what the service needs (a permission, or the subscriptions it can see), and only then
//! saves the account. Re-test runs the same check.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::domain::{Check, MsService};
use crate::error::AppError;

/// Connect: signs in as the app with the certificate or the federated credential (`signs_in`:
/// "certificate", the default, or "federated"); saves the account only if Microsoft agrees.
#[server(endpoint = "link_microsoft_account")]
#[allow(clippy::too_many_arguments)]
pub async fn link_microsoft_account(
    service: String,
    name: String,
    app_id: String,
    tenant_id: String,
    organization_id: Option<String>,
    certificate_id: Option<String>,
    signs_in: Option<String>,
    subject_id: Option<String>,
) -> Result<(), AppError> {
    let kept = [
        ("name", name.as_str()),
        ("app_id", app_id.as_str()),
        ("tenant_id", tenant_id.as_str()),
        ("organization_id", organization_id.as_deref().unwrap_or_default()),
        ("certificate", certificate_id.as_deref().unwrap_or_default()),
        ("signs_in", signs_in.as_deref().unwrap_or_default()),
        ("subject", subject_id.as_deref().unwrap_or_default()),
    ];
    let app = AppRegistration {
        name: &name,
        app_id: &app_id,
        tenant_id: &tenant_id,
        organization_id: organization_id.as_deref(),
        certificate_id: certificate_id.as_deref(),
        signs_in: signs_in.as_deref(),
        subject_id: subject_id.as_deref(),
    };
    let result = link_microsoft_account_inner(service, &app).await;
    crate::server::keep_typed::<LinkMicrosoftAccount>(&result, &kept);
    result
}

#[cfg(feature = "ssr")]
async fn link_microsoft_account_inner(service: String, app: &AppRegistration<'_>) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let service =
        MsService::parse(&service).ok_or_else(|| AppError::BadRequest("Unknown Microsoft service.".into()))?;
    let (id, status) = link(&state, user.organization_id, &user.actor().await, service, app).await?;
    crate::integrations::linking::finish_saved(&session, id, status, service.provider(), None).await
}

/// What Connect is given: the account's name, the customer's app registration, and how it
/// signs in: the certificate made here for it, or the federated subject shown for it (their ids
/// as typed: the form's hidden fields, or the API's).
#[cfg(feature = "ssr")]
pub struct AppRegistration<'a> {
    pub name: &'a str,
    pub app_id: &'a str,
    pub tenant_id: &'a str,
    /// Microsoft 365: the tenant's onmicrosoft.com domain.
    pub organization_id: Option<&'a str>,
    pub certificate_id: Option<&'a str>,
    /// "federated" for a federated credential; anything else signs in with a certificate.
    pub signs_in: Option<&'a str>,
    pub subject_id: Option<&'a str>,
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
    use super::certificates::StoredKey;
    use super::sign_in::SignIn;
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
    linking::ensure_new(&state.pool, org, service.provider(), &name, tenant_id.as_str(), |existing| {
        AppError::conflict(
            "tenant_id",
            format!("This tenant is already linked for {} as \"{existing}\".", service.label()),
        )
    })
    .await?;
    let sign_in = if app.signs_in == Some("federated") {
        let subject_id = app.subject_id.and_then(|c| c.trim().parse::<i64>().ok()).ok_or_else(|| {
            AppError::invalid(
                "subject",
                "Click Show Federated Credential Values first, and add the federated credential to the app registration.",
            )
        })?;
        let subject = super::federated_store::find(&state.pool, org, subject_id).await?.ok_or_else(|| {
            AppError::invalid("subject", "Those federated credential values no longer exist: click Show Federated Credential Values again.")
        })?;
        SignIn::Federated(subject)
    } else {
        let certificate_id = app.certificate_id.and_then(|c| c.trim().parse::<i64>().ok()).ok_or_else(|| {
            AppError::invalid(
                "certificate",
                "Click Generate Public Key & Download first, and upload the certificate to the app registration.",
            )
        })?;
        SignIn::Certificate(StoredKey::load(state, org, certificate_id, None).await?)
    };
    if sign_in.service() != service.as_str() {
        let (field, what) = match sign_in {
            SignIn::Certificate(_) => ("certificate", "This certificate was made for another service: generate one here."),
            SignIn::Federated(_) => ("subject", "These values were made for another service: click Show Federated Credential Values here."),
        };
        return Err(AppError::invalid(field, what));
    }
    let started = std::time::Instant::now();
    let Verification { verified, subscriptions, token } = match verify(state, &sign_in, service, app_id.as_str(), tenant_id.as_str(), Check::Link).await {
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
    attach(&mut tx, org, &sign_in, id).await?;
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

/// Gives the new account `account_id` its certificate or subject, which must be this
/// organization's and not yet used by another account.
#[cfg(feature = "ssr")]
async fn attach(
    tx: &mut sqlx::Transaction<'_, crate::server::Db>,
    org: i64,
    sign_in: &super::sign_in::SignIn,
    account_id: i64,
) -> Result<(), AppError> {
    use super::sign_in::SignIn;
    let attached = match sign_in {
        SignIn::Certificate(key) => super::store::attach(tx, org, key.id, account_id).await?,
        SignIn::Federated(subject) => super::federated_store::attach(tx, org, subject.id, account_id).await?,
    };
    if !attached {
        let (field, what) = match sign_in {
            SignIn::Certificate(_) => ("certificate", "This certificate is already used by another account: generate a new one."),
            SignIn::Federated(_) => ("subject", "These values are already used by another account: click Show Federated Credential Values again."),
        };
        return Err(AppError::invalid(field, what));
    }
    Ok(())
}

/// Signs in as the app as `sign_in` says and checks what `service` needs: the permission
/// in the token's roles, or (Azure) the subscriptions the app can see.
#[cfg(feature = "ssr")]
pub async fn verify(
    state: &crate::server::AppState,
    sign_in: &super::sign_in::SignIn,
    service: MsService,
    app_id: &str,
    tenant_id: &str,
    check: Check,
) -> Result<Verification, AppError> {
    use super::identity;
    use crate::domain::Verified;
    let token = super::sign_in::token(state, sign_in, service, app_id, tenant_id, check).await?;
    let with = sign_in.label();
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
        let verified = Verified::connected(format!("Signed in with {with}; {role} granted{proof}."));
        return Ok(Verification { verified, subscriptions: Vec::new(), token });
    }
    let subscriptions = state.microsoft.subscriptions(&token).await?;
    let message = format!("Signed in with {with}; {} subscription(s) visible.", subscriptions.len());
    Ok(Verification { verified: Verified::connected(message), subscriptions, token })
}

/// A saved Microsoft account verified again: what it showed, and for Azure what is to be
/// stored (`Findings::apply`, in the transaction that records the check).
#[cfg(feature = "ssr")]
pub struct Recheck {
    pub verified: crate::domain::Verified,
    pub subscriptions: Vec<super::identity::Subscription>,
    pub findings: Option<super::groups::Findings>,
}

/// Verifies a saved Microsoft account again as it signs in (one sign-in); for Azure,
/// also what subscriptions the app sees now, and those of its selected management groups.
#[cfg(feature = "ssr")]
pub async fn reverify(state: &crate::server::AppState, org: i64, service: MsService, app: &SavedApp<'_>) -> Result<Recheck, AppError> {
    let sign_in = super::sign_in::SignIn::of_account(state, org, app.account_id).await?;
    let Verification { verified, subscriptions, token } =
        verify(state, &sign_in, service, app.app_id, app.tenant_id, Check::Recheck).await?;
    match service {
        MsService::Azure => {
            let findings = super::groups::read(state, app.account_id, &token, &subscriptions).await?;
            Ok(Recheck { verified: findings.annotate(verified), subscriptions, findings: Some(findings) })
        }
        MsService::M365 | MsService::Entra => Ok(Recheck { verified, subscriptions, findings: None }),
    }
}
