//! Organization settings (Owners): rename the organization, or delete it, and everything it
//! holds, by typing its name.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::domain::Role;
use crate::error::AppError;
use crate::ui::{error_of, FieldError, FormError, Notice, Submit};

#[server(endpoint = "rename_organization")]
pub async fn rename_organization(organization: String) -> Result<(), AppError> {
    let result = rename(&organization).await;
    crate::server::keep_typed::<RenameOrganization>(&result, &[("organization", organization.as_str())]);
    result
}

#[cfg(feature = "ssr")]
async fn rename(name: &str) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let name = crate::domain::OrganizationName::parse(name)?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    super::store::rename_organization(&mut tx, user.organization_id, name.as_str()).await?;
    let detail = format!("renamed from \"{}\" to \"{name}\"", user.organization_name);
    crate::audit::write(&mut *tx, &user.actor().await, "organization_renamed", &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/organization?notice=organization-renamed", false);
    Ok(())
}

/// Deletes the organization the Owner is in, once they typed its name: its accounts, keys,
/// certificates, members' memberships (and the people who belong nowhere else, with their
/// sessions), invitations, notifications, runs and audit trail. One row outside it says so.
#[server(endpoint = "delete_organization")]
pub async fn delete_organization(confirm_name: String, code: Option<String>) -> Result<(), AppError> {
    let result = delete(&confirm_name, code.as_deref().unwrap_or_default()).await;
    crate::server::keep_typed::<DeleteOrganization>(&result, &[]);
    result
}

#[cfg(feature = "ssr")]
async fn delete(confirm_name: &str, code: &str) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    if confirm_name.trim() != user.organization_name {
        return Err(AppError::invalid("confirm_name", "Type the organization's name exactly as shown to confirm."));
    }
    crate::auth::step_up::step_up(&state, &session, &user, code).await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let (_, accounts) = super::store::organization_summary(&mut tx, user.organization_id).await?;
    let people = super::store::delete_organization(&mut tx, user.organization_id).await?;
    // Outside the organization (its own trail goes with it): who deleted what, and when.
    let mut actor = user.actor().await;
    actor.organization_id = None;
    if people > 0 && user.organizations <= 1 {
        actor.user_id = None; // deleted with it
    }
    let detail = format!(
        "organization \"{}\" (#{}) deleted with {accounts} account(s) and {people} person(s) who belonged nowhere else",
        user.organization_name, user.organization_id
    );
    crate::audit::write(&mut *tx, &actor, "organization_deleted", &detail).await?;
    tx.commit().await?;
    if user.organizations <= 1 {
        session.flush().await.map_err(crate::auth::session::internal)?;
        leptos_axum::redirect("/signin?notice=organization-deleted", false);
    } else {
        // They go on in another of their organizations (the next request finds which).
        leptos_axum::redirect("/?notice=organization-deleted", false);
    }
    Ok(())
}

/// /settings/organization
#[component]
pub fn OrganizationSettingsPage() -> impl IntoView {
    let rename = ServerAction::<RenameOrganization>::new();
    let delete = ServerAction::<DeleteOrganization>::new();
    let (rename_error, delete_error) = (error_of(rename), error_of(delete));
    view! {
        <Title text="Organization settings" />
        <section class="page">
            <h1>"Organization settings"</h1>
            <Notice />
            {crate::accounts::workspace::with_workspace(move |ws| {
                if !ws.role.includes(Role::Owner) {
                    return view! {
                        <p>{format!("Organization: {}. Only an Owner can rename or delete it; your role is {}.", ws.organization, ws.role.label())}</p>
                    }.into_any();
                }
                let (value, expected) = (ws.organization.clone(), ws.organization.clone());
                let confirm_label = format!("Type \"{}\" to confirm", ws.organization);
                view! {
                    <div class="panel">
                        <h2>"Name"</h2>
                        <ActionForm action=rename attr:class="form" attr:novalidate=true>
                            <label for="organization">"Organization name"</label>
                            <input id="organization" name="organization" type="text" maxlength="100" required value=value />
                            <FieldError error=rename_error field="organization" />
                            <FormError error=rename_error />
                            <Submit label="Rename" busy="Renaming…" />
                        </ActionForm>
                    </div>
                    <crate::auth::SecondFactorPolicy />
                    <div class="panel danger-zone">
                        <h2>"Delete the organization"</h2>
                        <p>"This deletes every linked account, key and certificate, the members' access, invitations, notifications, onboarding runs and the audit trail. "
                           "Members who belong to no other organization lose their sign-in too. It cannot be undone; the cloud roles and app registrations stay in your clouds, to remove there."</p>
                        <ActionForm action=delete attr:class="form" attr:novalidate=true>
                            <label for="confirm_name">{confirm_label}</label>
                            <input id="confirm_name" name="confirm_name" type="text" autocomplete="off" required />
                            <FieldError error=delete_error field="confirm_name" />
                            <crate::auth::StepUpField error=delete_error />
                            <FormError error=delete_error />
                            <crate::islands::ConfirmByName expected field="confirm_name" label="Delete organization" />
                        </ActionForm>
                    </div>
                }.into_any()
            })}
        </section>
    }
}
