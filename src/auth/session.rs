//! The signed-in user, kept in a tower-sessions session: started (with a new id) at sign-in,
//! ended by sign-out, by inactivity or by its absolute lifetime.
use std::net::SocketAddr;

use tower_sessions::Session;

use crate::error::AppError;
use crate::server::{now, AppState};

pub const USER_ID: &str = "user_id";
/// The organization the user works in now (of those they belong to).
const ORGANIZATION_ID: &str = "organization_id";
/// The user's session epoch at sign-in: a changed password moves it on and ends the session.
pub const EPOCH: &str = "epoch";
pub const SIGNED_IN_AT: &str = "signed_in_at";
pub const LAST_SEEN: &str = "last_seen";
/// A random name for the session, shown to its user (Your account → Sessions): never its id.
pub const HANDLE: &str = "handle";
/// The browser's User-Agent and the client's address at sign-in, for the same list.
pub const USER_AGENT: &str = "user_agent";
pub const ADDR: &str = "addr";
/// The account chosen in the Select account dropdown.
pub const CURRENT_ACCOUNT: &str = "current_account_id";
/// A sign-in between its password and its second factor: the user, their epoch, and when.
const PENDING_USER: &str = "pending_user_id";
const PENDING_EPOCH: &str = "pending_epoch";
const PENDING_AT: &str = "pending_at";
/// How long the second step of a sign-in may take.
const PENDING_SECS: i64 = 5 * 60;
/// When this session last gave a second factor (a step-up counts it fresh for a while).
const SECOND_FACTOR_AT: &str = "second_factor_at";

/// Activity is written back at most this often (or a quarter of the idle timeout, if that is
/// shorter), so that reading pages is not a write each time.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub email: String,
    /// Their role in `organization_id`.
    pub role: crate::domain::Role,
    /// How many organizations they belong to.
    pub organizations: i64,
    /// `organization_id` requires a second factor of every member.
    pub second_factor_required: bool,
    /// It does, and they have none yet: they may only add one.
    pub must_enrol: bool,
}

impl SessionUser {
    /// This user, acting from the address of the request being answered, as the audit log names them.
    pub async fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor {
            organization_id: Some(self.organization_id),
            user_id: Some(self.user_id),
            who: self.email.clone(),
            addr: client_addr().await,
        }
    }
}

pub fn internal(err: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %err, "session store error");
    AppError::Internal
}

/// The session of the request a server function is answering.
pub async fn extract() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        tracing::error!(error = %err, "no session layer around server functions");
        AppError::Internal
    })
}

/// The client's address, for throttling and the audit log: the TCP peer, or behind a trusted
/// proxy the client it names (`crate::net::client_ip`).
pub async fn client_addr() -> String {
    let (Some(parts), Ok(state)) = (leptos::prelude::use_context::<axum::http::request::Parts>(), crate::server::state())
    else {
        return String::new();
    };
    let Some(peer) = parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() else {
        return String::new();
    };
    crate::net::client_ip(peer.0.ip(), &parts.headers, &state.config.trusted_proxies).to_string()
}

/// Starts a signed-in session under a fresh id (so an id planted before sign-in is worthless),
/// working in `organization_id`, in the user's session epoch `epoch`.
pub async fn start(session: &Session, user_id: i64, organization_id: i64, epoch: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.clear().await;
    let now = now();
    session.insert(USER_ID, user_id).await.map_err(internal)?;
    session.insert(EPOCH, epoch).await.map_err(internal)?;
    session.insert(ORGANIZATION_ID, organization_id).await.map_err(internal)?;
    session.insert(SIGNED_IN_AT, now).await.map_err(internal)?;
    session.insert(LAST_SEEN, now).await.map_err(internal)?;
    session.insert(HANDLE, new_handle()).await.map_err(internal)?;
    let user_agent = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::USER_AGENT)?.to_str().ok().map(|ua| ua.chars().take(400).collect::<String>()))
        .unwrap_or_default();
    session.insert(USER_AGENT, user_agent).await.map_err(internal)?;
    session.insert(ADDR, client_addr().await).await.map_err(internal)?;
    Ok(())
}

fn new_handle() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// This session's handle ("" for one started before handles were kept).
pub async fn handle(session: &Session) -> Result<String, AppError> {
    Ok(session.get::<String>(HANDLE).await.map_err(internal)?.unwrap_or_default())
}

/// The session epoch this session signed in at.
pub async fn epoch(session: &Session) -> Result<i64, AppError> {
    Ok(session.get::<i64>(EPOCH).await.map_err(internal)?.unwrap_or(0))
}

/// Starts the second step of a sign-in whose password was right, under a fresh id: nobody is
/// signed in yet.
pub async fn start_pending(session: &Session, user_id: i64, epoch: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.clear().await;
    session.insert(PENDING_USER, user_id).await.map_err(internal)?;
    session.insert(PENDING_EPOCH, epoch).await.map_err(internal)?;
    session.insert(PENDING_AT, now()).await.map_err(internal)?;
    Ok(())
}

/// The user (and epoch) whose password was right in the last five minutes, in this session.
pub async fn pending(session: &Session) -> Result<Option<(i64, i64)>, AppError> {
    let user = session.get::<i64>(PENDING_USER).await.map_err(internal)?;
    let epoch = session.get::<i64>(PENDING_EPOCH).await.map_err(internal)?;
    let at = session.get::<i64>(PENDING_AT).await.map_err(internal)?.unwrap_or(0);
    Ok(user.zip(epoch).filter(|_| now() - at <= PENDING_SECS))
}

/// Notes that this session gave a second factor just now.
pub async fn mark_second_factor(session: &Session) -> Result<(), AppError> {
    session.insert(SECOND_FACTOR_AT, now()).await.map_err(internal)
}

/// Whether this session gave a second factor recently enough that a step-up need not ask again.
pub async fn second_factor_fresh(session: &Session, state: &AppState) -> Result<bool, AppError> {
    let at = session.get::<i64>(SECOND_FACTOR_AT).await.map_err(internal)?;
    let fresh = i64::try_from(state.config.second_factor_fresh.as_secs()).unwrap_or(i64::MAX);
    Ok(at.is_some_and(|at| now() - at < fresh))
}

/// The signed-in user, or None when there is none or the session has run out.
pub async fn current(session: &Session, state: &AppState) -> Result<Option<SessionUser>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID).await.map_err(internal)? else {
        return Ok(None);
    };
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT).await.map_err(internal)?.unwrap_or(0);
    let last_seen = session.get::<i64>(LAST_SEEN).await.map_err(internal)?.unwrap_or(0);
    let now = now();
    let max_age = i64::try_from(state.config.session_max_age.as_secs()).unwrap_or(i64::MAX);
    let idle = i64::try_from(state.config.session_idle.as_secs()).unwrap_or(i64::MAX);
    if is_expired(signed_in_at, last_seen, now, max_age, idle) {
        session.flush().await.map_err(internal)?;
        return Ok(None);
    }
    let chosen = session.get::<i64>(ORGANIZATION_ID).await.map_err(internal)?.unwrap_or(0);
    // Read on every request, not kept in the session: a member removed (or demoted) on any
    // replica loses the organization (or the role) at their next request.
    let epoch = session.get::<i64>(EPOCH).await.map_err(internal)?.unwrap_or(0);
    let handle = handle(session).await?;
    let member = super::store::session_user(&state.pool, user_id, chosen, &handle).await?;
    // They belong to no organization any more (or the user is gone), or their password changed
    // since this session signed in.
    let Some(member) = member.filter(|m| m.session_epoch == epoch) else {
        session.flush().await.map_err(internal)?;
        return Ok(None);
    };
    if member.organization_id != chosen {
        // Removed from the organization they were in: they go on in another of theirs, and
        // whatever they had chosen there (an account) does not follow them.
        session.remove_value(CURRENT_ACCOUNT).await.map_err(internal)?;
        session.insert(ORGANIZATION_ID, member.organization_id).await.map_err(internal)?;
    }
    let role = crate::domain::Role::parse(&member.role).map_err(|_| AppError::Internal)?;
    // Often enough that a short idle timeout still sees an active user as active.
    if now - last_seen >= TOUCH_EVERY_SECS.min(idle / 4) {
        // A write is what tower-sessions counts as activity: it pushes the idle expiry on.
        session.insert(LAST_SEEN, now).await.map_err(internal)?;
    }
    Ok(Some(SessionUser {
        user_id,
        organization_id: member.organization_id,
        organization_name: member.organization_name,
        email: member.email,
        role,
        organizations: member.organizations,
        second_factor_required: member.second_factor_required,
        must_enrol: member.second_factor_required && !member.has_second_factor,
    }))
}

/// Works in `organization_id` from now on (the caller checked the membership); what was
/// chosen in the previous organization is forgotten.
pub async fn switch_organization(session: &Session, organization_id: i64) -> Result<(), AppError> {
    session.remove_value(CURRENT_ACCOUNT).await.map_err(internal)?;
    session.insert(ORGANIZATION_ID, organization_id).await.map_err(internal)?;
    Ok(())
}

/// When a session signed in at `signed_in_at` runs out whatever its activity (what an ended
/// session's record is kept until).
pub fn absolute_expiry(state: &AppState, signed_in_at: i64) -> i64 {
    signed_in_at.saturating_add(i64::try_from(state.config.session_max_age.as_secs()).unwrap_or(i64::MAX / 2))
}

/// Whether a session signed in at `signed_in_at` and last active at `last_seen` has run out.
pub fn is_expired(signed_in_at: i64, last_seen: i64, now: i64, max_age: i64, idle: i64) -> bool {
    now - signed_in_at > max_age || now - last_seen > idle
}

/// The signed-in user of the request a server function is answering, or 401. While a page
/// renders, the page guard has already found the user (see `guard.rs`): no second lookup.
pub async fn require_user() -> Result<(AppState, Session, SessionUser), AppError> {
    let state = crate::server::state()?;
    let session = extract().await?;
    let checked = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionUser>().cloned());
    let user = match checked {
        Some(user) => user,
        None => current(&session, &state).await?.ok_or(AppError::Unauthorized)?,
    };
    Ok((state, session, user))
}

/// A session store that keeps each session under a hash of its id: the id is the bearer
/// credential in the cookie, and a copy of the database (a backup, a read replica) must not be
/// enough to take over live sessions. Ids are 128 random bits, so a plain SHA-256 suffices.
#[derive(Debug, Clone)]
pub struct HashedIds<S>(pub S);

fn stored_id(id: &tower_sessions::session::Id) -> tower_sessions::session::Id {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(id.0.to_le_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    tower_sessions::session::Id(i128::from_le_bytes(bytes))
}

#[async_trait::async_trait]
impl<S: tower_sessions::SessionStore> tower_sessions::SessionStore for HashedIds<S> {
    async fn create(&self, record: &mut tower_sessions::session::Record) -> tower_sessions::session_store::Result<()> {
        while self.load(&record.id).await?.is_some() {
            record.id = tower_sessions::session::Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &tower_sessions::session::Record) -> tower_sessions::session_store::Result<()> {
        let mut stored = record.clone();
        stored.id = stored_id(&record.id);
        self.0.save(&stored).await
    }

    async fn load(
        &self,
        id: &tower_sessions::session::Id,
    ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>> {
        Ok(self.0.load(&stored_id(id)).await?.map(|mut record| {
            record.id = *id;
            record
        }))
    }

    async fn delete(&self, id: &tower_sessions::session::Id) -> tower_sessions::session_store::Result<()> {
        self.0.delete(&stored_id(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_on_idleness_or_age() {
        let (idle, max) = (30 * 60, 12 * 3600);
        assert!(!is_expired(0, 0, 30 * 60, max, idle));
        assert!(is_expired(0, 0, 30 * 60 + 1, max, idle), "idle too long");
        assert!(!is_expired(0, 12 * 3600 - 10, 12 * 3600, max, idle));
        assert!(is_expired(0, 12 * 3600, 12 * 3600 + 1, max, idle), "active, but past the absolute lifetime");
    }
}
