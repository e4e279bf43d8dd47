//! Teams: the members of an organization and their roles, invitations that bring colleagues
//! in, and the switch between the organizations a person belongs to. Who may call what is the
//! table in `crate::endpoints`; this module checks only what depends on the data (the last
//! Owner, which roles an Admin may hand out, whose invitation a link is).
mod invitations;
mod organization;
mod pages;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::Role;
use crate::error::AppError;

pub use invitations::{accept_invitation, invitation_details, join_with_password, AcceptInvitation, InvitationDetails, JoinWithPassword};
pub use organization::{delete_organization, rename_organization, DeleteOrganization, OrganizationSettingsPage, RenameOrganization};
pub use pages::{InvitationPage, MembersPage, OrganizationsPage};

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;
/// Pending invitations an organization may have at once: enough for a team, not a mailer.
#[cfg(feature = "ssr")]
const MOST_PENDING: i64 = 100;
/// The inviter sees the link to copy this long after inviting, once.
#[cfg(feature = "ssr")]
const LINK_SHOWN_FOR_SECS: i64 = 600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// "2026-12-07 10:00 UTC", or "Never".
    pub last_sign_in: String,
    /// They sign in with a second factor.
    pub two_factor: bool,
    pub is_you: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Members {
    pub organization: String,
    pub your_role: Role,
    pub members: Vec<Member>,
    pub invitations: Vec<PendingInvitation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationChoice {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub current: bool,
}

#[server(endpoint = "load_members")]
pub async fn load_members() -> Result<Members, AppError> {
    use crate::server::format_time;
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let members = store::members(&state.pool, org)
        .await?
        .into_iter()
        .map(|(user_id, name, email, role, last, two_factor)| Member {
            is_you: user_id == user.user_id,
            user_id,
            name,
            email,
            role,
            last_sign_in: last.map(format_time).unwrap_or_else(|| "Never".into()),
            two_factor,
        })
        .collect();
    let invitations = store::pending(&state.pool, org, crate::server::now())
        .await?
        .into_iter()
        .map(|(id, email, role, invited_by, _, expires)| PendingInvitation { id, email, role, invited_by, expires: format_time(expires) })
        .collect();
    Ok(Members { organization: user.organization_name, your_role: user.role, members, invitations })
}

/// Invites `email` as `role`: mails the link and shows it once on the page this leads to.
#[server(endpoint = "invite_member")]
pub async fn invite_member(email: String, role: String) -> Result<(), AppError> {
    let result = invite(&email, &role).await;
    crate::server::keep_typed::<InviteMember>(&result, &[("email", email.as_str()), ("role", role.as_str())]);
    result
}

#[cfg(feature = "ssr")]
async fn invite(email: &str, role: &str) -> Result<(), AppError> {
    use crate::mail::outbox;
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let email = crate::domain::Email::parse(email)?;
    let role = Role::parse(role)?;
    if !user.role.may_grant(role) {
        return Err(AppError::Forbidden(format!("Only an Owner can invite an {}.", role.label())));
    }
    let now = crate::server::now();
    let token = crate::auth::sign_up::new_token();
    let link = format!("{}/invite/{token}", state.config.public_url);
    let sealed = state.sealer.seal(link.as_bytes(), &link_context(org, email.as_str()))?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    if store::is_member_email(&mut tx, org, email.as_str()).await? {
        return Err(AppError::conflict(crate::domain::Email::FIELD, format!("{email} is already a member of this organization.")));
    }
    if store::pending_count(&mut tx, org, now).await? >= MOST_PENDING {
        return Err(AppError::Refused(format!(
            "This organization has {MOST_PENDING} invitations waiting for an answer. Revoke some you no longer need first."
        )));
    }
    let new = store::NewInvitation {
        organization_id: org,
        email: email.as_str(),
        role,
        token_hash: &crate::crypto::sha256(token.as_bytes()),
        link: &sealed,
        invited_by: user.user_id,
        now,
        expires_at: now + INVITATION_DAYS * 86_400,
    };
    let id = store::insert_invitation(&mut tx, &new).await?;
    let letter = invitation_letter(&email, &user, role, &link);
    outbox::enqueue(&mut tx, &state.sealer, outbox::INVITATION, &letter, now).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "invitation_sent", &format!("{email} as {}", role.label())).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    leptos_axum::redirect(&format!("/members?invited={id}"), false);
    Ok(())
}

/// What an invitation's sealed link is bound to.
#[cfg(feature = "ssr")]
fn link_context(organization_id: i64, email: &str) -> Vec<u8> {
    format!("xops invitation link; organization {organization_id}; email {email}").into_bytes()
}

#[cfg(feature = "ssr")]
fn invitation_letter(
    email: &crate::domain::Email,
    inviter: &crate::auth::session::SessionUser,
    role: Role,
    link: &str,
) -> crate::mail::transport::Letter {
    crate::mail::transport::Letter {
        to: email.to_string(),
        reply_to: Some(inviter.email.clone()),
        subject: format!("{} invited you to {} on Xops 360", inviter.email, inviter.organization_name),
        body: format!(
            "Hello,\n\n{} invited you to join the organization \"{}\" in Xops 360 as {}: {}\n\n\
             To accept, open this link within {INVITATION_DAYS} days:\n\n{link}\n\n\
             The link works once, and only for {email}. If you did not expect this invitation, ignore this message.\n\n-- Xops 360\n",
            inviter.email,
            inviter.organization_name,
            role.label(),
            role.description(),
        ),
    }
}

/// A new invitation's link, once, within ten minutes of inviting; None after that (404 for an
/// invitation that is not the organization's).
#[server(endpoint = "invitation_link_once")]
pub async fn invitation_link_once(id: i64) -> Result<Option<String>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let taken = store::take_link(&mut tx, user.organization_id, id, crate::server::now(), LINK_SHOWN_FOR_SECS).await?;
    tx.commit().await?;
    let Some((email, sealed)) = taken else {
        return Ok(None);
    };
    let link = state.sealer.open(&sealed, &link_context(user.organization_id, &email))?;
    Ok(Some(String::from_utf8_lossy(&link).into_owned()))
}

#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let Some((email, role)) = store::revoke(&mut tx, user.organization_id, id, crate::server::now()).await? else {
        return Err(AppError::NotFound("There is no such pending invitation (it may have been accepted or revoked already).".into()));
    };
    crate::audit::write(&mut *tx, &user.actor().await, "invitation_revoked", &format!("{email} as {}", role.label())).await?;
    tx.commit().await?;
    leptos_axum::redirect("/members?notice=invitation-revoked", false);
    Ok(())
}

/// Gives member `user_id` the role `role`. An organization always keeps an Owner.
#[server(endpoint = "change_role")]
pub async fn change_role(user_id: i64, role: String) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let role = Role::parse(&role)?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let (Some(current), Some(email)) =
        (store::role_of(&mut tx, org, user_id).await?, store::member_email(&mut tx, org, user_id).await?)
    else {
        return Err(AppError::NotFound("There is no such member.".into()));
    };
    if current == Role::Owner && role != Role::Owner && store::owner_count(&mut tx, org).await? <= 1 {
        return Err(last_owner());
    }
    store::set_role(&mut tx, org, user_id, role).await?;
    let detail = format!("{email}: {} → {}", current.label(), role.label());
    crate::audit::write(&mut *tx, &user.actor().await, "role_changed", &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect("/members?notice=role-changed", false);
    Ok(())
}

/// Removes member `user_id` from the organization: their sessions lose it at their next
/// request, on every replica. An organization always keeps an Owner.
#[server(endpoint = "remove_member")]
pub async fn remove_member(user_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    take_out(&state, &user, user_id, "member_removed").await?;
    leptos_axum::redirect("/members?notice=member-removed", false);
    Ok(())
}

/// The signed-in member leaves the organization they are in (any role; the last Owner stays).
#[server(endpoint = "leave_organization")]
pub async fn leave_organization() -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    take_out(&state, &user, user.user_id, "member_left").await?;
    if user.organizations <= 1 {
        session.flush().await.map_err(crate::auth::session::internal)?;
        leptos_axum::redirect("/signin?notice=left-organization", false);
    } else {
        // The next request finds the organization they go on in.
        leptos_axum::redirect("/?notice=left-organization", false);
    }
    Ok(())
}

/// Ends `user_id`'s membership of `by`'s organization, audited as `action`, unless it would
/// leave the organization without an Owner.
#[cfg(feature = "ssr")]
async fn take_out(
    state: &crate::server::AppState,
    by: &crate::auth::session::SessionUser,
    user_id: i64,
    action: &str,
) -> Result<(), AppError> {
    let org = by.organization_id;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let (Some(role), Some(email)) =
        (store::role_of(&mut tx, org, user_id).await?, store::member_email(&mut tx, org, user_id).await?)
    else {
        return Err(AppError::NotFound("There is no such member.".into()));
    };
    if role == Role::Owner && store::owner_count(&mut tx, org).await? <= 1 {
        return Err(last_owner());
    }
    store::delete_membership(&mut tx, org, user_id).await?;
    crate::audit::write(&mut *tx, &by.actor().await, action, &format!("{email} ({})", role.label())).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "ssr")]
fn last_owner() -> AppError {
    AppError::Refused("An organization needs an Owner: make another member Owner first.".into())
}

/// The organizations the signed-in user belongs to.
#[server(endpoint = "my_organizations")]
pub async fn my_organizations() -> Result<Vec<OrganizationChoice>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    Ok(store::organizations_of(&state.pool, user.user_id)
        .await?
        .into_iter()
        .map(|(id, name, role)| OrganizationChoice { current: id == user.organization_id, id, name, role })
        .collect())
}

/// Works in another of the user's organizations from now on.
#[server(endpoint = "switch_organization")]
pub async fn switch_organization(organization_id: i64) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let mut conn = state.pool.acquire().await?;
    if store::role_of(&mut conn, organization_id, user.user_id).await?.is_none() {
        return Err(AppError::NotFound("You are not a member of that organization.".into()));
    }
    drop(conn);
    crate::auth::session::switch_organization(&session, organization_id).await?;
    let landing = crate::onboarding::landing::landing(&state.pool, organization_id).await?;
    leptos_axum::redirect(landing, false);
    Ok(())
}

