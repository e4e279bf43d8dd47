//! An invitation's way in, by its link's token: the page that shows it, joining as the
//! signed-in person it was sent to, or creating the invited person's account.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::Role;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use super::store;

/// An invitation as its link's page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub organization: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires: String,
    /// The email of whoever is signed in in this browser, if anyone.
    pub signed_in_as: Option<String>,
    /// Whether the invited address has an account already (then it signs in to join).
    pub has_account: bool,
}

/// The invitation behind `token`, unless it is unknown, expired, revoked or used.
#[server(endpoint = "invitation_details")]
pub async fn invitation_details(token: String) -> Result<Invitation, AppError> {
    let state = crate::server::state()?;
    let session = crate::auth::session::extract().await?;
    let mut conn = state.pool.acquire().await?;
    let invitation = live(&mut conn, &token).await?;
    let has_account = store::user_id_by_email(&mut conn, &invitation.email).await?.is_some();
    drop(conn);
    let signed_in_as = crate::auth::session::current(&session, &state).await?.map(|u| u.email);
    Ok(Invitation {
        organization: invitation.organization_name,
        email: invitation.email,
        role: invitation.role,
        invited_by: invitation.invited_by,
        expires: crate::server::format_time(invitation.expires_at),
        signed_in_as,
        has_account,
    })
}

/// The invitation behind `token` if it can still be accepted; else why not.
#[cfg(feature = "ssr")]
async fn live(conn: &mut sqlx::AnyConnection, token: &str) -> Result<store::InvitationRow, AppError> {
    let found = match token.len() {
        1..=100 => store::invitation_by_token(conn, &crate::crypto::sha256(token.as_bytes())).await?,
        _ => None,
    };
    let Some(invitation) = found else {
        return Err(AppError::NotFound(
            "This invitation link is not valid. Check that you opened all of it, or ask for a new invitation.".into(),
        ));
    };
    if invitation.revoked {
        return Err(AppError::Refused("This invitation was revoked. Ask whoever invited you for a new one.".into()));
    }
    if invitation.accepted {
        return Err(AppError::Refused("This invitation was already used. Sign in to reach the organization.".into()));
    }
    if invitation.expires_at <= crate::server::now() {
        return Err(AppError::Refused(format!(
            "This invitation expired on {}. Ask whoever invited you for a new one.",
            crate::server::format_time(invitation.expires_at)
        )));
    }
    Ok(invitation)
}

/// Joins the invitation's organization as the signed-in user, whose email must be the invited one.
#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let result = accept(&token).await;
    crate::server::keep_typed::<AcceptInvitation>(&result, &[]);
    result
}

#[cfg(feature = "ssr")]
async fn accept(token: &str) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let invitation = live(&mut tx, token).await?;
    if invitation.email != user.email {
        return Err(AppError::Forbidden(format!(
            "This invitation is for {}, and you are signed in as {}. Sign out, then sign in as {} to accept it.",
            invitation.email, user.email, invitation.email
        )));
    }
    crate::auth::store::insert_membership(&mut tx, invitation.organization_id, user.user_id, invitation.role, now).await?;
    join(&mut tx, &invitation, user.user_id, &user.email, now).await?;
    tx.commit().await?;
    crate::auth::session::switch_organization(&session, invitation.organization_id).await?;
    leptos_axum::redirect(crate::onboarding::landing::landing(&state.pool, invitation.organization_id).await?, false);
    Ok(())
}

/// Creates the invited person's account (the address is the invitation's), joins them to the
/// organization and signs them in.
#[server(endpoint = "join_with_password")]
pub async fn join_with_password(token: String, name: String, password: String) -> Result<(), AppError> {
    let result = join_new(&token, &name, password).await;
    crate::server::keep_typed::<JoinWithPassword>(&result, &[("name", name.as_str())]);
    result
}

#[cfg(feature = "ssr")]
async fn join_new(token: &str, name: &str, password: String) -> Result<(), AppError> {
    use crate::domain::{Email, Password, PersonName};
    let state = crate::server::state()?;
    let session = crate::auth::session::extract().await?;
    let mut conn = state.pool.acquire().await?;
    let invitation = live(&mut conn, token).await?;
    if store::user_id_by_email(&mut conn, &invitation.email).await?.is_some() {
        return Err(AppError::Refused(format!("{} has an account already: sign in to accept.", invitation.email)));
    }
    drop(conn);
    let name = PersonName::parse(name)?;
    let password = Password::parse(&password)?;
    let email = Email::parse(&invitation.email)?;
    let hash = crate::auth::password::hash(password).await?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let user_id = crate::auth::store::insert_user(&mut tx, &email, name.as_str(), &hash, now).await?;
    crate::auth::store::insert_membership(&mut tx, invitation.organization_id, user_id, invitation.role, now).await?;
    join(&mut tx, &invitation, user_id, email.as_str(), now).await?;
    tx.commit().await?;
    crate::auth::session::start(&session, user_id, invitation.organization_id, 0).await?;
    crate::auth::store::record_sign_in(&state.pool, user_id, now).await?;
    crate::auth::remember_browser(&state, email.as_str(), now);
    leptos_axum::redirect(crate::onboarding::landing::landing(&state.pool, invitation.organization_id).await?, false);
    Ok(())
}

/// Spends the invitation (once: a second use in a race finds it spent) and audits the joining.
#[cfg(feature = "ssr")]
async fn join(
    tx: &mut sqlx::AnyConnection,
    invitation: &store::InvitationRow,
    user_id: i64,
    email: &str,
    now: i64,
) -> Result<(), AppError> {
    if !store::spend(tx, invitation.id, now).await? {
        return Err(AppError::Refused("This invitation was already used. Sign in to reach the organization.".into()));
    }
    let actor = crate::audit::Actor {
        organization_id: Some(invitation.organization_id),
        user_id: Some(user_id),
        who: email.to_string(),
        addr: crate::auth::session::client_addr().await,
    };
    crate::audit::write(&mut *tx, &actor, "invitation_accepted", &format!("joined as {}", invitation.role.label())).await
}
