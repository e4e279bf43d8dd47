//! The SQL of signing up and in: users and their organizations, sign-up links (their tokens
//! as hashes), and the counts of failed sign-ins and sign-ups that throttling reads.
use sqlx::AnyConnection;

use crate::domain::{Email, OrganizationName, Role};
use crate::error::{AppError, OnUniqueViolation};
use crate::server::Pool;

/// (id, password hash) of the user with this email.
pub async fn user_by_email(pool: &Pool, email: &str) -> Result<Option<(i64, String)>, AppError> {
    Ok(sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1").bind(email).fetch_optional(pool).await?)
}

/// Whether an account has this email.
pub async fn is_registered(conn: &mut AnyConnection, email: &str) -> Result<bool, AppError> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_optional(conn).await?;
    Ok(id.is_some())
}

/// The signed-in user `user_id` in their organization `chosen`, or, if they are no longer a
/// member there, in the first organization they still belong to; None when they belong to none.
pub struct MemberRow {
    pub organization_id: i64,
    pub organization_name: String,
    pub email: String,
    pub role: String,
    /// How many organizations the user belongs to (the profile menu offers a switch past one).
    pub organizations: i64,
    /// Sessions signed in at an earlier epoch are over: the password changed since.
    pub session_epoch: i64,
    /// The organization requires a second factor of every member.
    pub second_factor_required: bool,
    /// The user has a second factor.
    pub has_second_factor: bool,
}

/// The user of a session and the organization they work in (`chosen`, or else their first), or
/// None if they belong to none, or the session (`handle`) was signed out from another.
pub async fn session_user(pool: &Pool, user_id: i64, chosen: i64, handle: &str) -> Result<Option<MemberRow>, AppError> {
    let row: Option<(i64, String, String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT o.id, o.name, u.email, m.role, (SELECT COUNT(*) FROM memberships n WHERE n.user_id = u.id), u.session_epoch, \
         o.require_second_factor, (SELECT COUNT(*) FROM authenticators a WHERE a.user_id = u.id AND a.confirmed_at IS NOT NULL) \
         + (SELECT COUNT(*) FROM passkeys p WHERE p.user_id = u.id) \
         FROM users u JOIN memberships m ON m.user_id = u.id JOIN organizations o ON o.id = m.organization_id \
         WHERE u.id = $1 AND NOT EXISTS (SELECT 1 FROM ended_sessions e WHERE e.handle = $3) ORDER BY CASE WHEN m.organization_id = $2 THEN 0 ELSE 1 END, m.created_at, m.organization_id LIMIT 1",
    )
    .bind(user_id)
    .bind(chosen)
    .bind(handle)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(organization_id, organization_name, email, role, organizations, session_epoch, required, factors)| MemberRow {
        organization_id,
        organization_name,
        email,
        role,
        organizations,
        session_epoch,
        second_factor_required: required != 0,
        has_second_factor: factors > 0,
    }))
}

/// Notes a successful sign-in (Members shows it).
pub async fn record_sign_in(pool: &Pool, user_id: i64, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2").bind(now).bind(user_id).execute(pool).await?;
    Ok(())
}

/// The organization's External ID (what its AWS roles require).
pub async fn external_id(pool: &Pool, organization_id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT external_id FROM organizations WHERE id = $1").bind(organization_id).fetch_one(pool).await?)
}

/// Inserts an organization (with its External ID) and its first user, its Owner; returns their ids.
pub async fn insert_organization(
    conn: &mut AnyConnection,
    organization: &OrganizationName,
    external_id: &str,
    email: &Email,
    password_hash: &str,
    now: i64,
) -> Result<(i64, i64), AppError> {
    let org_id: i64 =
        sqlx::query_scalar("INSERT INTO organizations (name, external_id, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(organization.as_str())
            .bind(external_id)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
    let user_id = insert_user(conn, email, "", password_hash, now).await?;
    insert_membership(conn, org_id, user_id, Role::Owner, now).await?;
    Ok((org_id, user_id))
}

/// Inserts a user (who belongs to no organization yet); returns their id.
pub async fn insert_user(conn: &mut AnyConnection, email: &Email, name: &str, password_hash: &str, now: i64) -> Result<i64, AppError> {
    sqlx::query_scalar("INSERT INTO users (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(email.as_str())
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .on_unique_violation(|| AppError::conflict(Email::FIELD, "An account with this email already exists. Sign in instead."))
}

/// Makes `user_id` a member of `organization_id` with `role`.
pub async fn insert_membership(conn: &mut AnyConnection, organization_id: i64, user_id: i64, role: Role, now: i64) -> Result<(), AppError> {
    sqlx::query("INSERT INTO memberships (organization_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(organization_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .execute(conn)
        .await
        .on_unique_violation(|| AppError::Refused("You are already a member of this organization.".into()))?;
    Ok(())
}

/// Saves a sign-up link: the hash of its token, never the token.
pub async fn insert_sign_up_request(
    conn: &mut AnyConnection,
    token_hash: &[u8],
    email: &str,
    organization: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sign_up_requests (token_hash, email, organization_name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(email)
    .bind(organization)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// (email, organization name) of the live sign-up link whose token hashes to `token_hash`.
pub async fn pending_sign_up(pool: &Pool, token_hash: &[u8], now: i64) -> Result<Option<(String, String)>, AppError> {
    Ok(sqlx::query_as("SELECT email, organization_name FROM sign_up_requests WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?)
}

/// Spends every sign-up link of `email`.
pub async fn delete_sign_up_requests(conn: &mut AnyConnection, email: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sign_up_requests WHERE email = $1").bind(email).execute(conn).await?;
    Ok(())
}

/// Which of a failed sign-in's keys a count is of.
#[derive(Clone, Copy)]
pub enum FailuresOf {
    Email,
    ClientAddr,
}

/// The time of the `nth` most recent failure (0: the latest) of `value` since `since`.
pub async fn nth_failure(conn: &mut AnyConnection, of: FailuresOf, value: &str, since: i64, nth: i64) -> Result<Option<i64>, AppError> {
    let column = match of {
        FailuresOf::Email => "email",
        FailuresOf::ClientAddr => "client_addr",
    };
    let sql = format!(
        "SELECT attempted_at FROM failed_sign_ins WHERE {column} = $1 AND attempted_at > $2 \
         ORDER BY attempted_at DESC LIMIT 1 OFFSET $3"
    );
    Ok(sqlx::query_scalar(&sql).bind(value).bind(since).bind(nth).fetch_optional(conn).await?)
}

/// Records an attempt as failed (until it is released or forgiven), forgetting those older
/// than `forget_before`; returns its id.
pub async fn insert_failure(conn: &mut AnyConnection, email: &str, addr: &str, now: i64, forget_before: i64) -> Result<i64, AppError> {
    sqlx::query("DELETE FROM failed_sign_ins WHERE attempted_at <= $1").bind(forget_before).execute(&mut *conn).await?;
    Ok(sqlx::query_scalar("INSERT INTO failed_sign_ins (email, client_addr, attempted_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(email)
        .bind(addr)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?)
}

/// Forgets the failure `id`.
pub async fn delete_failure(pool: &Pool, id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM failed_sign_ins WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}

/// Forgets every failure of `email`.
pub async fn delete_failures_of(pool: &Pool, email: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM failed_sign_ins WHERE email = $1").bind(email).execute(pool).await?;
    Ok(())
}
/// The time of the `nth` most recent request counted in `table` (0: the latest) from `addr`,
/// after forgetting those older than `forget_before`. `table` is one of the throttle's own
/// (`throttle::Hourly::table`), never input.
pub async fn nth_counted(
    conn: &mut AnyConnection,
    table: &'static str,
    addr: &str,
    nth: i64,
    forget_before: i64,
) -> Result<Option<i64>, AppError> {
    sqlx::query(&format!("DELETE FROM {table} WHERE created_at <= $1")).bind(forget_before).execute(&mut *conn).await?;
    Ok(sqlx::query_scalar(&format!("SELECT created_at FROM {table} WHERE client_addr = $1 ORDER BY created_at DESC LIMIT 1 OFFSET $2"))
        .bind(addr)
        .bind(nth)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Counts a request from `addr` in `table`.
pub async fn insert_counted(conn: &mut AnyConnection, table: &'static str, addr: &str, now: i64) -> Result<(), AppError> {
    sqlx::query(&format!("INSERT INTO {table} (client_addr, created_at) VALUES ($1, $2)")).bind(addr).bind(now).execute(conn).await?;
    Ok(())
}

/// The password hash of user `user_id`.
pub async fn password_hash_of(pool: &Pool, user_id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(user_id).fetch_one(pool).await?)
}

/// Sets a user's password and moves their session epoch on, which ends every session of
/// theirs; returns the new epoch.
pub async fn set_password(conn: &mut AnyConnection, user_id: i64, password_hash: &str) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2 RETURNING session_epoch",
    )
    .bind(password_hash)
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}

/// Saves a password reset link for `user_id`: the hash of its token, never the token.
pub async fn insert_reset(conn: &mut AnyConnection, token_hash: &[u8], user_id: i64, now: i64, expires_at: i64) -> Result<(), AppError> {
    sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// (user id, email) of the live, unused reset link whose token hashes to `token_hash`.
pub async fn pending_reset(conn: &mut AnyConnection, token_hash: &[u8], now: i64) -> Result<Option<(i64, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.email FROM password_resets r JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = $1 AND r.expires_at > $2 AND r.used_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Spends every reset link of `user_id` (the one used, and any other still out).
pub async fn spend_resets(conn: &mut AnyConnection, user_id: i64, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
