//! The SQL of support requests: each organization's own, and the operators' inbox of all.
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::server::Pool;

/// A request as the pages list it.
pub struct StoredRequest {
    pub id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub author: Option<String>,
    pub subject: String,
    pub description: String,
    pub status: String,
    pub created_at: i64,
    pub mail_id: Option<i64>,
    /// When its mail to the support team went out.
    pub sent_at: Option<i64>,
    /// The account it asks to delete, if any.
    pub account_id: Option<i64>,
}

type Row = (i64, i64, String, Option<String>, String, String, String, i64, Option<i64>, Option<i64>, Option<i64>);

/// The newest 200 requests: of one organization, or (None) of all, for the inbox.
pub async fn requests(pool: &Pool, organization_id: Option<i64>) -> Result<Vec<StoredRequest>, AppError> {
    const SELECT: &str = "SELECT r.id, r.organization_id, o.name, u.email, r.subject, r.description, r.status, r.created_at, \
         r.mail_id, m.sent_at, r.account_id FROM support_requests r JOIN organizations o ON o.id = r.organization_id \
         LEFT JOIN users u ON u.id = r.user_id LEFT JOIN outbox_mail m ON m.id = r.mail_id";
    let rows: Vec<Row> = match organization_id {
        Some(org) => {
            sqlx::query_as(&format!("{SELECT} WHERE r.organization_id = $1 ORDER BY r.id DESC LIMIT 200"))
                .bind(org)
                .fetch_all(pool)
                .await?
        }
        None => sqlx::query_as(&format!("{SELECT} ORDER BY r.id DESC LIMIT 200")).fetch_all(pool).await?,
    };
    Ok(rows
        .into_iter()
        .map(|(id, organization_id, organization, author, subject, description, status, created_at, mail_id, sent_at, account_id)| {
            StoredRequest {
                id,
                organization_id,
                organization,
                author,
                subject,
                description,
                status,
                created_at,
                mail_id,
                sent_at,
                account_id,
            }
        })
        .collect())
}

/// A new request, with the id of its mail to the support team.
pub struct NewRequest<'a> {
    pub organization_id: i64,
    pub user_id: i64,
    pub subject: &'a str,
    pub description: &'a str,
    pub mail_id: i64,
    pub account_id: Option<i64>,
    pub created_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, new: &NewRequest<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO support_requests (organization_id, user_id, subject, description, created_at, mail_id, account_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new.organization_id)
    .bind(new.user_id)
    .bind(new.subject)
    .bind(new.description)
    .bind(new.created_at)
    .bind(new.mail_id)
    .bind(new.account_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// (organization, account, status) of request `request_id`.
pub async fn request(pool: &Pool, request_id: i64) -> Result<Option<(i64, Option<i64>, String)>, AppError> {
    Ok(sqlx::query_as("SELECT organization_id, account_id, status FROM support_requests WHERE id = $1")
        .bind(request_id)
        .fetch_optional(pool)
        .await?)
}

/// Closes request `request_id`, by `operator`.
pub async fn close(conn: &mut AnyConnection, request_id: i64, operator: &str, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE support_requests SET status = 'closed', closed_at = $1, closed_by = $2 WHERE id = $3")
        .bind(now)
        .bind(operator)
        .bind(request_id)
        .execute(conn)
        .await?;
    Ok(())
}
