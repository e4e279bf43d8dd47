//! The SQL of teams: memberships and their roles, and invitations (their tokens as hashes,
//! their links sealed until shown once).
use sqlx::AnyConnection;

use crate::crypto::Sealed;
use crate::domain::Role;
use crate::error::AppError;
use crate::server::Pool;

fn role(s: &str) -> Result<Role, AppError> {
    Role::parse(s).map_err(|_| AppError::Internal)
}

/// (user id, name, email, role, last sign-in, has a second factor) of the organization's
/// members, Owners first.
pub async fn members(pool: &Pool, organization_id: i64) -> Result<Vec<(i64, String, String, Role, Option<i64>, bool)>, AppError> {
    let rows: Vec<(i64, String, String, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT u.id, u.name, u.email, m.role, u.last_sign_in_at, \
         (SELECT COUNT(*) FROM authenticators a WHERE a.user_id = u.id AND a.confirmed_at IS NOT NULL) \
         + (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) \
         FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organization_id = $1 ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.email",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(|(id, name, email, r, last, factors)| Ok((id, name, email, role(&r)?, last, factors > 0))).collect()
}

/// The role of `user_id` in the organization, if they are a member.
pub async fn role_of(conn: &mut AnyConnection, organization_id: i64, user_id: i64) -> Result<Option<Role>, AppError> {
    let r: Option<String> = sqlx::query_scalar("SELECT role FROM memberships WHERE organization_id = $1 AND user_id = $2")
        .bind(organization_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    r.as_deref().map(role).transpose()
}

/// (email) of member `user_id` of the organization.
pub async fn member_email(conn: &mut AnyConnection, organization_id: i64, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND m.user_id = $2",
    )
    .bind(organization_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn owner_count(conn: &mut AnyConnection, organization_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE organization_id = $1 AND role = 'owner'")
        .bind(organization_id)
        .fetch_one(conn)
        .await?)
}

pub async fn set_role(conn: &mut AnyConnection, organization_id: i64, user_id: i64, role: Role) -> Result<(), AppError> {
    sqlx::query("UPDATE memberships SET role = $1 WHERE organization_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(organization_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_membership(conn: &mut AnyConnection, organization_id: i64, user_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2")
        .bind(organization_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// (organization id, name, role) of every organization `user_id` belongs to, by name.
pub async fn organizations_of(pool: &Pool, user_id: i64) -> Result<Vec<(i64, String, Role)>, AppError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.user_id = $1 ORDER BY o.name, o.id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(|(id, name, r)| Ok((id, name, role(&r)?))).collect()
}

/// Whether the organization has a member with this email.
pub async fn is_member_email(conn: &mut AnyConnection, organization_id: i64, email: &str) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 AND u.email = $2",
    )
    .bind(organization_id)
    .bind(email)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

pub struct NewInvitation<'a> {
    pub organization_id: i64,
    pub email: &'a str,
    pub role: Role,
    pub token_hash: &'a [u8],
    pub link: &'a Sealed,
    pub invited_by: i64,
    pub now: i64,
    pub expires_at: i64,
}

/// Saves an invitation; an earlier pending one to the same address is revoked (its link stops
/// working), so each address has one live link. Returns the new one's id.
pub async fn insert_invitation(conn: &mut AnyConnection, new: &NewInvitation<'_>) -> Result<i64, AppError> {
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1 WHERE organization_id = $2 AND email = $3 \
         AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(new.now)
    .bind(new.organization_id)
    .bind(new.email)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO invitations (organization_id, email, role, token_hash, link_sealed, link_nonce, link_key_id, invited_by, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.organization_id)
    .bind(new.email)
    .bind(new.role.as_str())
    .bind(new.token_hash)
    .bind(&new.link.ciphertext)
    .bind(&new.link.nonce)
    .bind(&new.link.key_id)
    .bind(new.invited_by)
    .bind(new.now)
    .bind(new.expires_at)
    .fetch_one(conn)
    .await?)
}

/// How many invitations of the organization wait for an answer.
pub async fn pending_count(conn: &mut AnyConnection, organization_id: i64, now: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(organization_id)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// (id, email, role, invited by, created, expires) of the organization's pending invitations.
pub async fn pending(pool: &Pool, organization_id: i64, now: i64) -> Result<Vec<(i64, String, Role, String, i64, i64)>, AppError> {
    let rows: Vec<(i64, String, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT i.id, i.email, i.role, u.email, i.created_at, i.expires_at FROM invitations i LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.organization_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id DESC",
    )
    .bind(organization_id)
    .bind(now)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, email, r, by, created, expires)| Ok((id, email, role(&r)?, by.unwrap_or_default(), created, expires)))
        .collect()
}

/// The invited email and sealed link of the organization's invitation `id`, the link erased as
/// it is read: it is shown once, within `window` seconds of the invitation. `Err(NotFound)` for
/// an id not the organization's.
pub async fn take_link(
    conn: &mut AnyConnection,
    organization_id: i64,
    id: i64,
    now: i64,
    window: i64,
) -> Result<Option<(String, Sealed)>, AppError> {
    let row: Option<(String, Option<Vec<u8>>, Option<Vec<u8>>, Option<String>, i64)> = sqlx::query_as(
        "SELECT email, link_sealed, link_nonce, link_key_id, created_at FROM invitations WHERE id = $1 AND organization_id = $2",
    )
    .bind(id)
    .bind(organization_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((email, ciphertext, nonce, key_id, created_at)) = row else {
        return Err(AppError::NotFound("There is no such invitation.".into()));
    };
    sqlx::query("UPDATE invitations SET link_sealed = NULL, link_nonce = NULL, link_key_id = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(match (ciphertext, nonce, key_id) {
        (Some(ciphertext), Some(nonce), Some(key_id)) if now - created_at <= window => {
            Some((email, Sealed { ciphertext, nonce, key_id }))
        }
        _ => None,
    })
}

/// Revokes the organization's pending invitation `id`; returns its (email, role), or None if
/// it is not the organization's or no longer pending.
pub async fn revoke(conn: &mut AnyConnection, organization_id: i64, id: i64, now: i64) -> Result<Option<(String, Role)>, AppError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "UPDATE invitations SET revoked_at = $1, link_sealed = NULL, link_nonce = NULL, link_key_id = NULL \
         WHERE id = $2 AND organization_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING email, role",
    )
    .bind(now)
    .bind(id)
    .bind(organization_id)
    .fetch_optional(conn)
    .await?;
    row.map(|(email, r)| Ok((email, role(&r)?))).transpose()
}

/// An invitation as its link finds it.
pub struct InvitationRow {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
    pub accepted: bool,
    pub revoked: bool,
}

pub async fn invitation_by_token(conn: &mut AnyConnection, token_hash: &[u8]) -> Result<Option<InvitationRow>, AppError> {
    let row: Option<(i64, i64, String, String, String, Option<String>, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT i.id, i.organization_id, o.name, i.email, i.role, u.email, i.expires_at, i.accepted_at, i.revoked_at \
         FROM invitations i JOIN organizations o ON o.id = i.organization_id LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|(id, organization_id, organization_name, email, r, by, expires_at, accepted, revoked)| {
        Ok(InvitationRow {
            id,
            organization_id,
            organization_name,
            email,
            role: role(&r)?,
            invited_by: by.unwrap_or_default(),
            expires_at,
            accepted: accepted.is_some(),
            revoked: revoked.is_some(),
        })
    })
    .transpose()
}

/// Spends invitation `id`, if it is still pending and live; whether it was.
pub async fn spend(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = $1, link_sealed = NULL, link_nonce = NULL, link_key_id = NULL \
         WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The id of the user with this email, if any.
pub async fn user_id_by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(conn).await?)
}

pub async fn rename_organization(conn: &mut AnyConnection, organization_id: i64, name: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE organizations SET name = $1 WHERE id = $2").bind(name).bind(organization_id).execute(conn).await?;
    Ok(())
}

/// The organization's name and how many accounts it holds.
pub async fn organization_summary(conn: &mut AnyConnection, organization_id: i64) -> Result<(String, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT o.name, (SELECT COUNT(*) FROM cloud_accounts a WHERE a.organization_id = o.id) FROM organizations o WHERE o.id = $1",
    )
    .bind(organization_id)
    .fetch_one(conn)
    .await?)
}

/// Deletes the organization and everything it holds (every table refers to it with ON DELETE
/// CASCADE), then its members who belong to no other organization, with their sessions.
/// Returns how many people went with it.
pub async fn delete_organization(conn: &mut AnyConnection, organization_id: i64) -> Result<i64, AppError> {
    let alone: Vec<i64> = sqlx::query_scalar(
        "SELECT m.user_id FROM memberships m WHERE m.organization_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM memberships o WHERE o.user_id = m.user_id AND o.organization_id <> $1)",
    )
    .bind(organization_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM organizations WHERE id = $1").bind(organization_id).execute(&mut *conn).await?;
    for user_id in &alone {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(user_id).execute(&mut *conn).await?;
    }
    Ok(i64::try_from(alone.len()).unwrap_or(i64::MAX))
}
