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
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?.rows_affected())
    }
}

fn backend(err: sqlx::Error) -> Error {
    Error::Backend(err.to_string())
}

fn encode(record: &Record) -> Result<String> {
    serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh id that happens to exist already is drawn again, never overwritten.
        loop {
            let inserted = sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
                .bind(record.id.to_string())
                .bind(encode(record)?)
                .bind(record.expiry_date.unix_timestamp())
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
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(record.expiry_date.unix_timestamp())
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

/// What the session layer reads through: on SQLite (one process owns the database) a bounded
/// cache in front of the table saves a query per request; on PostgreSQL several replicas share
/// the table, and a cache would let one accept a session another has ended, so there is none.
#[derive(Debug, Clone)]
pub enum Sessions {
    Cached(tower_sessions::CachingSessionStore<tower_sessions_moka_store::MokaStore, HashedStore>),
    Direct(HashedStore),
}

pub type HashedStore = crate::auth::session::HashedIds<DbSessionStore>;

/// Sessions kept in memory at most (SQLite); past this the least used are read again.
const CACHE_CAPACITY: u64 = 10_000;

impl Sessions {
    pub fn for_pool(pool: &Pool) -> Self {
        let store = crate::auth::session::HashedIds(DbSessionStore::new(pool.clone()));
        if crate::server::is_postgres(pool) {
            Sessions::Direct(store)
        } else {
            let cache = tower_sessions_moka_store::MokaStore::new(Some(CACHE_CAPACITY));
            Sessions::Cached(tower_sessions::CachingSessionStore::new(cache, store))
        }
    }
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        match self {
            Sessions::Cached(store) => store.create(record).await,
            Sessions::Direct(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        match self {
            Sessions::Cached(store) => store.save(record).await,
            Sessions::Direct(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        match self {
            Sessions::Cached(store) => store.load(id).await,
            Sessions::Direct(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        match self {
            Sessions::Cached(store) => store.delete(id).await,
            Sessions::Direct(store) => store.delete(id).await,
        }
    }
}
