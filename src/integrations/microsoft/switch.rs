//! Switching how a Microsoft account signs in, with the same guarantee as a certificate
//! renewal: the new way is verified (signing in exactly as a check does) before anything
//! changes. To a federated credential (or to a new subject: a rotation), the certificate and its
//! sealed key are deleted; back to a certificate (Renew certificate, then Verify and switch),
//! the subject is.
use leptos::prelude::*;

use crate::error::AppError;

/// A Microsoft account of this organization, with the service it signs in to.
#[cfg(feature = "ssr")]
pub async fn microsoft_account(
    state: &crate::server::AppState,
    org: i64,
    account_id: i64,
) -> Result<(crate::accounts::AccountSummary, crate::domain::MsService), AppError> {
    let account = crate::accounts::find(&state.pool, org, account_id).await?;
    let service = crate::domain::MsService::of(account.provider)
        .ok_or_else(|| AppError::NotFound("This account is not a Microsoft account: it signs in with neither a certificate nor a federated credential.".into()))?;
    Ok((account, service))
}

/// Switch to a federated credential, or Rotate subject: a new subject for the account, kept
/// aside while the current way keeps working. One at a time: a second click shows the first.
#[server(endpoint = "start_federated_switch")]
pub async fn start_federated_switch(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let (_, service) = microsoft_account(&state, org, account_id).await?;
    if super::federated_store::of_account(&state.pool, org, account_id, true).await?.is_none() {
        super::federated::create(&state, org, &user.actor().await, service, Some(account_id)).await?;
    }
    leptos_axum::redirect(&format!("/accounts/{account_id}/certificate?notice=subject-made"), false);
    Ok(())
}

/// Verify and switch to the new subject: only if Entra accepts it does the account sign in with
/// it; its certificate (and sealed key) or former subject are deleted in the same transaction.
#[server(endpoint = "switch_to_federated")]
pub async fn switch_to_federated(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let (account, service) = microsoft_account(&state, org, account_id).await?;
    let subject = super::federated_store::of_account(&state.pool, org, account_id, true).await?.ok_or_else(|| {
        AppError::invalid("subject", "Click Switch to a federated credential first: there are no new values to switch to.")
    })?;
    verify_and_switch(&state, &user, &account, service, &super::sign_in::SignIn::Federated(subject)).await?;
    leptos_axum::redirect(&format!("/accounts/{account_id}/certificate?notice=federated-switched"), false);
    Ok(())
}

/// Signs in with `to` (the account's pending certificate or subject) exactly as a check does
/// and, only if that works, makes it the way the account signs in, deleting the other way's
/// certificate (and sealed key) or subject, with the check's history row and an audit row, in
/// one transaction.
#[cfg(feature = "ssr")]
pub async fn verify_and_switch(
    state: &crate::server::AppState,
    user: &crate::auth::session::SessionUser,
    account: &crate::accounts::AccountSummary,
    service: crate::domain::MsService,
    to: &super::sign_in::SignIn,
) -> Result<(), AppError> {
    use super::sign_in::SignIn;
    use crate::domain::{Check, CheckReason};
    let (org, id) = (user.organization_id, account.id);
    let access = crate::accounts::store::access(&state.pool, org, id).await?;
    let started = std::time::Instant::now();
    let verified =
        super::link::verify(state, to, service, &access.microsoft_app_id, &account.external_account_id, Check::Renewal).await?.verified;
    let record = crate::accounts::check_store::CheckRecord::new(
        CheckReason::Renewal,
        crate::server::now(),
        started,
        account.provider,
        &account.external_account_id,
        state.config.health.interval,
    );
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let (switched, what) = match to {
        SignIn::Certificate(key) => {
            let switched = super::store::switch(&mut tx, org, id, key.id).await?;
            super::federated_store::forget(&mut tx, org, id).await?;
            (switched, format!("certificate {}", key.thumbprint))
        }
        SignIn::Federated(subject) => {
            let switched = super::federated_store::switch(&mut tx, org, id, subject.id).await?;
            super::store::forget(&mut tx, org, id).await?;
            (switched, format!("federated credential subject {}", subject.subject))
        }
    };
    if !switched {
        return Err(AppError::conflict("certificate", "The account was switched a moment ago by someone else."));
    }
    crate::accounts::check_store::record_check(&mut tx, org, id, &verified, &record).await?;
    let detail = format!("{} account \"{}\" switched to {what}", service.label(), account.name);
    let about = crate::audit::About { id, name: &account.name };
    crate::audit::write_about(&mut *tx, &user.actor().await, "switch_certificate", about, &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Switch to a federated credential (or, for an account that has one, Rotate subject): new
/// values, the steps to add them to the app, and Verify and switch.
#[component]
pub fn FederatedSwitchPanel(
    account_id: i64,
    app_id: String,
    /// The account signs in with a federated credential already: a new subject replaces it.
    rotating: bool,
    new_subject: Option<super::federated::FederatedValues>,
) -> impl IntoView {
    use super::federated::{AddCredentialSteps, FederatedValuesView};
    use crate::ui::{error_of, FormError};
    let start = ServerAction::<StartFederatedSwitch>::new();
    let switch = ServerAction::<SwitchToFederated>::new();
    let (start_error, switch_error) = (error_of(start), error_of(switch));
    let id = account_id;
    let (title, button, explained) = if rotating {
        ("Rotate subject", "Rotate subject", "A new subject replaces the current one once Microsoft accepts it; until then the current one keeps working.")
    } else {
        (
            "Switch to a federated credential",
            "Switch to a federated credential",
            "No certificate to upload or renew: Microsoft trusts tokens Xops signs for this account. Once the switch is verified, the certificate's private key is deleted.",
        )
    };
    view! {
        <div class="panel">
            <h2>{title}</h2>
            {match new_subject {
                None => view! {
                    <p>{explained}</p>
                    <FormError error=start_error />
                    <ActionForm action=start>
                        <input type="hidden" name="account_id" value=id />
                        <button type="submit" class="btn" disabled=move || start.pending().get()>{button}</button>
                    </ActionForm>
                }.into_any(),
                Some(values) => view! {
                    <FederatedValuesView values=values.clone() which="new" />
                    <ol class="steps">
                        <AddCredentialSteps then=format!(
                            "Use app {}. {}",
                            app_id,
                            if rotating { "Keep the current credential there until the switch." } else { "Keep the certificate there until the switch." }
                        ) />
                        <li>"Click " <strong>"Verify and switch"</strong> ": Xops signs in with the new values and only then uses them. \
                            A credential added a moment ago can take up to 2 minutes to take effect; Xops keeps trying meanwhile."</li>
                    </ol>
                    <FormError error=switch_error />
                    <ActionForm action=switch>
                        <input type="hidden" name="account_id" value=id />
                        <crate::ui::Submit label="Verify and switch" busy="Signing in to Microsoft…" progress=Some(super::federated::wait_progress(values.id)) />
                    </ActionForm>
                }.into_any(),
            }}
        </div>
    }
}
