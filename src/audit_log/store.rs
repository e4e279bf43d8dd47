//! The SQL of the audit page: a page of the organization's trail, newest first (by time, then
//! id), under whichever filters are set, from where the previous page ended; each filter has its
//! own index in that order, so a page is one range of one index however long the trail.
use crate::error::AppError;
use crate::server::Pool;

/// What the trail is filtered by; `None` is "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub organization_id: i64,
    pub action: Option<String>,
    pub account_id: Option<i64>,
    pub member: Option<Member>,
    /// Unix seconds: from (inclusive) and until (exclusive).
    pub from: Option<i64>,
    pub until: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Member {
    User(i64),
    /// The portal itself: scheduled checks, notifications, support.
    Xops,
}

/// Where a page ended: its last row's time and id (`1767312000.42` in the Older link).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub at: i64,
    pub id: i64,
}

impl Cursor {
    pub fn parse(text: &str) -> Option<Cursor> {
        let (at, id) = text.split_once('.')?;
        Some(Cursor { at: at.parse().ok()?, id: id.parse().ok()? })
    }

    pub fn to_param(self) -> String {
        format!("{}.{}", self.at, self.id)
    }
}

/// One row: (id, created at, actor, action, account name, detail, client address).
pub type Row = (i64, i64, String, String, String, String, String);

enum Value {
    Int(i64),
    Text(String),
}

/// Up to `limit` rows after `after` (the last row of the previous page), newest first.
pub async fn page(pool: &Pool, query: &Query, after: Option<Cursor>, limit: i64) -> Result<Vec<Row>, AppError> {
    let mut sql = String::from(
        "SELECT id, created_at, actor, action, account_name, detail, client_addr FROM audit_log WHERE organization_id = $1",
    );
    let mut values = vec![Value::Int(query.organization_id)];
    // Appends ` AND condition`, each `?` in it numbered for the next of `given`.
    let mut and = |condition: &str, given: Vec<Value>| {
        let mut parts = condition.split('?');
        sql.push_str(" AND ");
        sql.push_str(parts.next().unwrap_or_default());
        for (part, value) in parts.zip(given) {
            values.push(value);
            sql.push_str(&format!("${}{part}", values.len()));
        }
    };
    if let Some(action) = &query.action {
        and("action = ?", vec![Value::Text(action.clone())]);
    }
    if let Some(account) = query.account_id {
        and("account_id = ?", vec![Value::Int(account)]);
    }
    match query.member {
        Some(Member::User(user)) => and("user_id = ?", vec![Value::Int(user)]),
        Some(Member::Xops) => and("user_id IS NULL", vec![]),
        None => {}
    }
    if let Some(from) = query.from {
        and("created_at >= ?", vec![Value::Int(from)]);
    }
    if let Some(until) = query.until {
        and("created_at < ?", vec![Value::Int(until)]);
    }
    if let Some(after) = after {
        // Older than the previous page's last row: earlier, or as early with a smaller id.
        and("(created_at, id) < (?, ?)", vec![Value::Int(after.at), Value::Int(after.id)]);
    }
    values.push(Value::Int(limit));
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT ${}", values.len()));
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for value in values {
        q = match value {
            Value::Int(v) => q.bind(v),
            Value::Text(v) => q.bind(v),
        };
    }
    Ok(q.fetch_all(pool).await?)
}

/// (id, name) of the organization's accounts, for the filter (by name; a deleted account is found by its rows).
pub async fn accounts_named(pool: &Pool, organization_id: i64) -> Result<Vec<(i64, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name FROM cloud_accounts WHERE organization_id = $1 ORDER BY name, id LIMIT 1000",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?)
}

/// Writes `rows` audit rows for the organization, ending at `now`, 30 s apart: each of `actions`
/// in turn, by its first member and by Xops in turn, about its first account on every fifth
/// (the benchmark's trail, a thousand rows per transaction).
pub async fn seed(pool: &Pool, organization_id: i64, rows: i64, now: i64, actions: &[&str]) -> Result<(), AppError> {
    let member: Option<(i64, String)> = sqlx::query_as(
        "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1 ORDER BY u.id LIMIT 1",
    )
    .bind(organization_id)
    .fetch_optional(pool)
    .await?;
    let (user_id, email) = member.ok_or_else(|| AppError::NotFound("The organization has no member.".into()))?;
    let account: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM cloud_accounts WHERE organization_id = $1 ORDER BY id LIMIT 1")
            .bind(organization_id)
            .fetch_optional(pool)
            .await?;
    let (account_id, account_name) = account.unwrap_or((0, String::new()));
    let mut done = 0;
    while done < rows {
        let batch = (rows - done).min(1000);
        let mut tx = crate::server::begin_write(pool).await?;
        for i in done..done + batch {
            let by_member = i % 2 == 0;
            let about = i % 5 == 0 && account_id != 0;
            sqlx::query(
                "INSERT INTO audit_log (organization_id, user_id, actor, action, detail, client_addr, created_at, account_id, account_name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(organization_id)
            .bind(by_member.then_some(user_id))
            .bind(if by_member { email.as_str() } else { "Xops scheduled check" })
            .bind(actions[(i as usize) % actions.len()])
            .bind(format!("benchmark row {i}"))
            .bind(if by_member { "192.0.2.10" } else { "" })
            .bind(now - (rows - i) * 30)
            .bind(about.then_some(account_id))
            .bind(if about { account_name.as_str() } else { "" })
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        done += batch;
    }
    Ok(())
}
