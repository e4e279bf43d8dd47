//! The database: SQLite (the embedded default) or PostgreSQL, chosen by the URL's scheme, behind
//! one pool type. The SQL is written once for both (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`); the few places where the engines differ say so here.
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Executor};

pub type Db = sqlx::Any;
pub type Pool = sqlx::AnyPool;

/// Whether the pool is on PostgreSQL (else SQLite).
pub fn is_postgres(pool: &Pool) -> bool {
    // The scheme alone: this runs for every write, and the whole URL would be a new String.
    matches!(pool.connect_options().database_url.scheme(), "postgres" | "postgresql")
}

use crate::config::is_postgres_url;

/// Opens and migrates the database. SQLite: the file is created if missing, in WAL mode so
/// readers never wait for the writer, with a busy timeout so writers queue instead of failing
/// and foreign keys enforced. PostgreSQL: the database must exist; the pool keeps up to
/// `postgres_pool_size` connections (`XOPS_DATABASE_POOL_SIZE`).
pub async fn connect(database_url: &str, postgres_pool_size: u32) -> Result<Pool, Box<dyn std::error::Error>> {
    sqlx::any::install_default_drivers();
    if is_postgres_url(database_url) {
        let pool = AnyPoolOptions::new()
            .max_connections(postgres_pool_size)
            .acquire_timeout(Duration::from_secs(10))
            .connect(database_url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        return Ok(pool);
    }
    // WAL is a property of the file: set once, here, with the file's creation.
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    if let Some(dir) = std::path::Path::new(options.get_filename()).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let mut first = options.connect().await?;
    first.execute("SELECT 1").await?;
    drop(first);
    let pool = AnyPoolOptions::new()
        // Each connection is a thread: on a small machine more of them mostly add context switches.
        .max_connections(4)
        // A connection is a file in this process, not a peer that can go away: pinging it before
        // every query only cost a round trip to its thread (~7% of a page's CPU here).
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        // Per connection (the URL cannot say it): commits wait for the WAL, not for the disk.
        .after_connect(|conn, _| Box::pin(async move { conn.execute(SQLITE_SESSION_PRAGMAS).await.map(|_| ()) }))
        .connect(database_url)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

const SQLITE_SESSION_PRAGMAS: &str = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000";

/// Begins a transaction that writes. On SQLite it takes the write lock at once (waiting up to
/// the busy timeout): a deferred transaction that reads first can fail its later write at once
/// with "database is locked" when another writer committed in between (WAL's stale snapshot).
/// On PostgreSQL the same guarantee comes from transaction-scoped advisory locks: writers take
/// turns, so what a write checks before it writes (a limit, a free name) still holds when it
/// commits, as on SQLite. This one excludes every other write: for what spans organizations
/// (a person's sign-up, their memberships, the jobs). A write within one organization takes
/// `begin_write_in`, which waits only for that organization's writes and for these.
pub async fn begin_write(pool: &Pool) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    if is_postgres(pool) {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut *tx).await?;
        Ok(tx)
    } else {
        pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// Begins a transaction that writes within organization `organization_id` only: what it checks
/// before it writes (a free name, a limit, an account not linked yet) is that organization's.
/// On PostgreSQL it waits for that organization's writes and for `begin_write`'s, not for other
/// organizations' (the lock of all writes, taken shared, and the organization's, exclusive).
/// SQLite has one writer at a time whatever the key.
pub async fn begin_write_in(pool: &Pool, organization_id: i64) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    if is_postgres(pool) {
        let mut tx = pool.begin().await?;
        // One round trip for both, in this order everywhere: the shared lock first.
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1), pg_advisory_xact_lock($2, $3)")
            .bind(WRITE_LOCK)
            .bind(ORGANIZATION_LOCKS)
            // Organization ids are a sequence: an id past i32 shares a key with another (they
            // then take turns, as all writes did before).
            .bind(organization_id as i32)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    } else {
        pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// The advisory lock key of `begin_write` ("xops" in ASCII).
const WRITE_LOCK: i64 = 0x786f_7073;
/// The first half of the two-part keys of `begin_write_in`'s locks (PostgreSQL keeps two-part
/// keys apart from one-part ones): "xorg" in ASCII.
const ORGANIZATION_LOCKS: i32 = 0x786f_7267;
