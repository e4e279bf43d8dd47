//! Your account → Sessions: every browser signed in to your account (browser and system, from
//! where, since when, last seen), each with Sign out, and Sign out everywhere else. Both take
//! effect on every replica at the next request (an ended session's handle is checked with the
//! user on every request; the others' epoch moves on).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{error_of, FormError, Notice, Submit};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedIn {
    /// What names the session to its user (never its id).
    pub handle: String,
    /// "Chrome on Linux".
    pub browser: String,
    pub address: String,
    pub signed_in: String,
    pub last_seen: String,
    pub this_browser: bool,
}

#[server(endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<SignedIn>, AppError> {
    let (state, session, user) = super::session::require_user().await?;
    let mine = super::session::handle(&session).await?;
    let mut sessions: Vec<SignedIn> = live_sessions(&state, &session, user.user_id)
        .await?
        .into_iter()
        .map(|s| SignedIn {
            this_browser: s.handle == mine,
            handle: s.handle,
            browser: describe(&s.user_agent),
            address: if s.addr.is_empty() { "Unknown".into() } else { s.addr },
            signed_in: crate::server::format_time(s.signed_in_at),
            last_seen: crate::server::format_time(s.last_seen),
        })
        .collect();
    // This browser first, then the most recently seen.
    sessions.sort_by(|a, b| b.this_browser.cmp(&a.this_browser).then(b.last_seen.cmp(&a.last_seen)));
    Ok(sessions)
}

/// Signs out one of your other sessions.
#[server(endpoint = "end_session")]
pub async fn end_session(handle: String) -> Result<(), AppError> {
    let (state, session, user) = super::session::require_user().await?;
    let found = live_sessions(&state, &session, user.user_id).await?.into_iter().find(|s| s.handle == handle);
    // Another user's session, an ended one, or none: the same answer.
    let Some(found) = found else {
        return Err(AppError::NotFound("There is no such session of yours (it may have ended already).".into()));
    };
    if super::session::handle(&session).await? == handle {
        return Err(AppError::Refused("That is this browser: use Sign out in the profile menu.".into()));
    }
    let expires_at = super::session::absolute_expiry(&state, found.signed_in_at);
    let mut tx = crate::server::begin_write(&state.pool).await?;
    super::session_store::end_session(&mut tx, &handle, user.user_id, expires_at).await?;
    let detail = format!("{} from {}", describe(&found.user_agent), found.addr);
    crate::audit::write(&mut *tx, &user.actor().await, "session_ended", &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect("/account/sessions?notice=session-signed-out", false);
    Ok(())
}

/// Signs out every session of yours but this one.
#[server(endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<(), AppError> {
    let (state, session, user) = super::session::require_user().await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let epoch = super::factor_store::end_sessions(&mut tx, user.user_id).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "signed_out_elsewhere", "").await?;
    tx.commit().await?;
    super::session::start(&session, user.user_id, user.organization_id, epoch).await?;
    leptos_axum::redirect("/account/sessions?notice=signed-out-elsewhere", false);
    Ok(())
}

/// A session as stored: its handle and what was noted at sign-in.
#[cfg(feature = "ssr")]
struct Stored {
    handle: String,
    user_agent: String,
    addr: String,
    signed_in_at: i64,
    last_seen: i64,
}

/// The user's sessions that still let them in: of their current epoch, not ended, not expired.
#[cfg(feature = "ssr")]
async fn live_sessions(state: &crate::server::AppState, session: &tower_sessions::Session, user_id: i64) -> Result<Vec<Stored>, AppError> {
    let epoch = super::session::epoch(session).await?;
    let now = crate::server::now();
    let (records, ended) = super::session_store::sessions_of(&state.pool, user_id, now).await?;
    let max_age = i64::try_from(state.config.session_max_age.as_secs()).unwrap_or(i64::MAX);
    let idle = i64::try_from(state.config.session_idle.as_secs()).unwrap_or(i64::MAX);
    Ok(records
        .iter()
        .filter_map(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .filter_map(|record| {
            let data = record.get("data")?;
            let number = |key: &str| data.get(key).and_then(serde_json::Value::as_i64);
            let text = |key: &str| data.get(key).and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
            let stored = Stored {
                handle: text(super::session::HANDLE),
                user_agent: text(super::session::USER_AGENT),
                addr: text(super::session::ADDR),
                signed_in_at: number(super::session::SIGNED_IN_AT)?,
                last_seen: number(super::session::LAST_SEEN)?,
            };
            let live = number(super::session::EPOCH) == Some(epoch)
                && !stored.handle.is_empty()
                && !ended.contains(&stored.handle)
                && !super::session::is_expired(stored.signed_in_at, stored.last_seen, now, max_age, idle);
            live.then_some(stored)
        })
        .collect())
}

/// "Chrome on Linux", from a User-Agent.
#[cfg(feature = "ssr")]
pub fn describe(user_agent: &str) -> String {
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let known = |s: &str| !s.is_empty() && s != "UNKNOWN";
    match parsed {
        Some(p) if known(p.name) && known(p.os) => format!("{} on {}", p.name, p.os),
        Some(p) if known(p.name) => p.name.to_string(),
        _ => "An unknown browser".to_string(),
    }
}

/// /account/sessions
#[component]
pub fn SessionsPage() -> impl IntoView {
    let sessions = Resource::new(|| (), |_| my_sessions());
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let (end_error, others_error) = (error_of(end), error_of(end_others));
    view! {
        <Title text="Sessions" />
        <section class="page">
            <h1>"Sessions"</h1>
            <Notice />
            <p class="muted">"Every browser signed in to your account. Sign out any you do not recognise, then change your password."</p>
            <FormError error=end_error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let sessions = match sessions.await {
                        Ok(sessions) => sessions,
                        Err(err) => return view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    };
                    let others = sessions.iter().filter(|s| !s.this_browser).count();
                    let rows = sessions.into_iter().map(|s| {
                        let label = format!("Sign out {} from {}", s.browser, s.address);
                        let handle = s.handle.clone();
                        let action = if s.this_browser {
                            view! { <strong>"This browser"</strong> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=end attr:class="inline-form">
                                    <input type="hidden" name="handle" value=handle />
                                    <button type="submit" class="btn btn-small" aria-label=label>"Sign out"</button>
                                </ActionForm>
                            }.into_any()
                        };
                        view! {
                            <tr data-session=s.handle>
                                <td>{s.browser}</td><td>{s.address}</td><td>{s.signed_in}</td><td>{s.last_seen}</td><td>{action}</td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <table class="listing">
                            <thead><tr>
                                <th scope="col">"Browser"</th><th scope="col">"Address"</th><th scope="col">"Signed in"</th>
                                <th scope="col">"Last seen"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                        {(others > 0).then(|| view! {
                            <ActionForm action=end_others attr:class="form">
                                <FormError error=others_error />
                                <Submit label="Sign out everywhere else" busy="Signing out…" />
                            </ActionForm>
                        })}
                    }.into_any()
                })}
            </Transition>
            <p><A href="/account">"Back to Your account"</A></p>
        </section>
    }
}
