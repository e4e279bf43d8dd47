//! Sessions in the portal's own database, whichever engine it is: one table, the same SQL, and
//! the record as JSON. (`HashedIds` in front of it keeps the cookie's id out of the table.)
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

use crate::server::Pool;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    pool: Pool,
}

impl DbSessionStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Removes the sessions whose expiry has passed; returns how many.
    pub async fn delete_expired(&self, now: i64) -> std::result::Result<u64, sqlx::Error> {
        sqlx::query("DELETE FROM ended_sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?.rows_affected())
    }
}

/// The records (JSON) of `user_id`'s unexpired sessions, and the handles of their sessions
/// signed out from another (Your account → Sessions).
pub async fn sessions_of(pool: &Pool, user_id: i64, now: i64) -> std::result::Result<(Vec<String>, Vec<String>), crate::error::AppError> {
    let records = sqlx::query_scalar("SELECT data FROM sessions WHERE user_id = $1 AND expires_at > $2")
        .bind(user_id)
        .bind(now)
        .fetch_all(pool)
        .await?;
    let ended = sqlx::query_scalar("SELECT handle FROM ended_sessions WHERE user_id = $1").bind(user_id).fetch_all(pool).await?;
    Ok((records, ended))
}

/// Ends the session named `handle` of `user_id`: refused from its next request on, on every
/// replica and whatever caches it (the handle is checked with the user on each request). Kept
/// until `expires_at`, when the session would have run out anyway.
pub async fn end_session(
    conn: &mut sqlx::AnyConnection,
    handle: &str,
    user_id: i64,
    expires_at: i64,
) -> std::result::Result<(), crate::error::AppError> {
    sqlx::query("INSERT INTO ended_sessions (handle, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (handle) DO NOTHING")
        .bind(handle)
        .bind(user_id)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

fn backend(err: sqlx::Error) -> Error {
    Error::Backend(err.to_string())
}

/// The signed-in user a session belongs to, kept beside it so that a user's sessions can be
/// found (and removed with the user's last organization).
fn user_of(record: &Record) -> Option<i64> {
    record.data.get(crate::auth::session::USER_ID).and_then(serde_json::Value::as_i64)
}

fn encode(record: &Record) -> Result<String> {
    serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh id that happens to exist already is drawn again, never overwritten.
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
                .bind(record.id.to_string())
                .bind(encode(record)?)
                .bind(record.expiry_date.unix_timestamp())
                .bind(user_of(record))
                .execute(&self.pool)
                .await
                .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at, user_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, user_id = excluded.user_id",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
        .bind(user_of(record))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = crate::server::now();
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id.to_string())
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        data.map(|data| serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))).transpose()
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).execute(&self.pool).await.map_err(backend)?;
        Ok(())
    }
}

/// What the session layer reads through. SQLite: one process owns the database, so a bounded
/// cache in front of the table saves a query per request. PostgreSQL: several replicas share the
/// table; by default there is no cache (a cache would let one replica accept a session another
/// has ended); `XOPS_SESSION_CACHE=notify` keeps one that NOTIFY empties (`NotifiedCache`).
#[derive(Debug, Clone)]
pub enum Sessions {
    Cached(tower_sessions::CachingSessionStore<tower_sessions_moka_store::MokaStore, HashedStore>),
    Direct(HashedStore),
    Notified(crate::auth::session::HashedIds<NotifiedCache>),
}

pub type HashedStore = crate::auth::session::HashedIds<DbSessionStore>;

/// Sessions kept in memory at most; past this the least used are read again.
const CACHE_CAPACITY: u64 = 10_000;

impl Sessions {
    pub fn for_pool(pool: &Pool, cache: crate::config::SessionCache) -> Self {
        let store = DbSessionStore::new(pool.clone());
        if !crate::server::is_postgres(pool) {
            let cache = tower_sessions_moka_store::MokaStore::new(Some(CACHE_CAPACITY));
            return Sessions::Cached(tower_sessions::CachingSessionStore::new(cache, crate::auth::session::HashedIds(store)));
        }
        match cache {
            crate::config::SessionCache::None => Sessions::Direct(crate::auth::session::HashedIds(store)),
            crate::config::SessionCache::Notify => Sessions::Notified(crate::auth::session::HashedIds(NotifiedCache::start(store))),
        }
    }
}

macro_rules! each_store {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Sessions::Cached($store) => $call,
            Sessions::Direct($store) => $call,
            Sessions::Notified($store) => $call,
        }
    };
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        each_store!(self, store => store.create(record).await)
    }

    async fn save(&self, record: &Record) -> Result<()> {
        each_store!(self, store => store.save(record).await)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        each_store!(self, store => store.load(id).await)
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        each_store!(self, store => store.delete(id).await)
    }
}

/// The channel a trigger on `sessions` notifies with the stored id of each updated or deleted
/// row (migrations/postgres, `sessions_changed`).
const CHANNEL: &str = "xops_sessions";

/// A per-replica cache of sessions on PostgreSQL, kept honest by LISTEN/NOTIFY: every update or
/// delete of a session row, by any replica or by hand, notifies its id and each replica drops it.
/// The cache serves only while the listening connection is up; when it drops, the cache is
/// emptied and every read goes to the table until listening resumes. What it cannot close is
/// the delivery delay: between a sign-out's commit on one replica and the NOTIFY reaching
/// another (about a millisecond on one network), the other still accepts the cookie.
#[derive(Debug, Clone)]
pub struct NotifiedCache {
    store: DbSessionStore,
    shared: std::sync::Arc<Listening>,
}

#[derive(Debug)]
struct Listening {
    records: moka::future::Cache<String, Record>,
    /// Whether the listening connection is up (else the cache is bypassed).
    live: std::sync::atomic::AtomicBool,
    /// Counts invalidations: a read from the table is cached only if none came in while it ran,
    /// so a row read just before another replica deleted it is not kept.
    epoch: std::sync::atomic::AtomicU64,
}

impl Listening {
    async fn forget_all(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.records.invalidate_all();
    }

    async fn forget(&self, stored_id: &str) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.records.invalidate(stored_id).await;
    }
}

impl NotifiedCache {
    fn start(store: DbSessionStore) -> Self {
        let shared = std::sync::Arc::new(Listening {
            // A backstop: nothing stays longer than a minute even if a notification were lost.
            records: moka::future::Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(std::time::Duration::from_secs(60))
                .build(),
            live: std::sync::atomic::AtomicBool::new(false),
            epoch: std::sync::atomic::AtomicU64::new(0),
        });
        tokio::spawn(listen_forever(store.pool.connect_options().database_url.to_string(), shared.clone()));
        Self { store, shared }
    }
}

async fn listen_forever(url: String, shared: std::sync::Arc<Listening>) {
    use std::sync::atomic::Ordering;
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    // Whatever changed while nobody listened is unknown: start empty.
                    shared.forget_all().await;
                    shared.live.store(true, Ordering::SeqCst);
                    // `try_recv` answers None when the connection is lost.
                    while let Ok(Some(notification)) = listener.try_recv().await {
                        shared.forget(notification.payload()).await;
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot listen for session changes; sessions are read from the database"),
            },
            Err(err) => tracing::warn!(error = %err, "cannot listen for session changes; sessions are read from the database"),
        }
        shared.live.store(false, Ordering::SeqCst);
        shared.forget_all().await;
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for NotifiedCache {
    async fn create(&self, record: &mut Record) -> Result<()> {
        self.store.create(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.store.save(record).await?;
        self.shared.forget(&record.id.to_string()).await;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        use std::sync::atomic::Ordering;
        let key = id.to_string();
        let live = self.shared.live.load(Ordering::SeqCst);
        if live {
            if let Some(record) = self.shared.records.get(&key).await {
                if record.expiry_date > time::OffsetDateTime::now_utc() {
                    return Ok(Some(record));
                }
            }
        }
        let epoch = self.shared.epoch.load(Ordering::SeqCst);
        let record = self.store.load(id).await?;
        if let Some(record) = &record {
            if live && self.shared.epoch.load(Ordering::SeqCst) == epoch {
                self.shared.records.insert(key, record.clone()).await;
            }
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.delete(id).await?;
        self.shared.forget(&id.to_string()).await;
        Ok(())
    }
}
