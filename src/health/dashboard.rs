//! Home's health dashboard: how many accounts are connected, warning, failed or have a
//! certificate expiring, those needing attention first with their cause and fix, and each
//! account's last checks as a row of marks (newest right). Server-rendered; no chart library.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::AccountSummary;
use crate::domain::AccountStatus;
use crate::error::AppError;

/// Accounts needing attention listed at most; their count is in the tiles.
#[cfg(feature = "ssr")]
const ATTENTION: i64 = 20;
/// Accounts with a timeline at most (those needing attention first).
#[cfg(feature = "ssr")]
const TIMELINES: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationHealth {
    pub connected: i64,
    pub warning: i64,
    pub failed: i64,
    pub expiring: i64,
    pub attention: Vec<AccountSummary>,
    pub timelines: Vec<Timeline>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub account_id: i64,
    pub name: String,
    pub provider: String,
    pub checks: Vec<CheckMark>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckMark {
    pub status: AccountStatus,
    /// "2026-11-22 05:40 UTC · Scheduled check · Connected · 412 ms"
    pub title: String,
}

#[server(endpoint = "health_overview")]
pub async fn health_overview() -> Result<OrganizationHealth, AppError> {
    use crate::accounts::store::{summaries, Select, CERTIFICATE_WARNING_SECS};

    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let expiring_before = crate::server::now() + CERTIFICATE_WARNING_SECS;
    let (connected, warning, failed, expiring) = super::store::counts(&state.pool, org, expiring_before).await?;
    let attention: Vec<AccountSummary> =
        summaries(&state.pool, org, Select::Attention { expiring_before, limit: ATTENTION }).await?.into_iter().map(|(a, _)| a).collect();
    let attention_ids: Vec<i64> = attention.iter().map(|a| a.id).collect();
    let mut rows = super::store::timelines(&state.pool, org, &attention_ids, TIMELINES).await?;
    // Those needing attention first, in the attention list's order; the others as listed.
    rows.sort_by_key(|row| (attention_ids.iter().position(|id| *id == row.0).unwrap_or(usize::MAX), row.2.clone(), row.1.clone()));
    let timelines = rows
        .into_iter()
        .filter_map(|(account_id, name, provider, kind, recent)| {
            let provider = crate::domain::Provider::parse(&provider)?;
            Some(Timeline {
                account_id,
                name,
                provider: crate::domain::AccountKind::of(provider, &kind).label(),
                checks: crate::accounts::check_store::parse_recent(&recent)
                    .into_iter()
                    .map(|(at, reason, status, duration_ms)| CheckMark {
                        status,
                        title: format!("{} · {} · {} · {duration_ms} ms", crate::server::format_time(at), reason.label(), status.label()),
                    })
                    .collect(),
            })
        })
        .collect();
    Ok(OrganizationHealth { connected, warning, failed, expiring, attention, timelines })
}

/// The dashboard at the top of Home.
#[component]
pub fn HealthDashboard(
    /// For a Viewer: the attention list keeps Re-test, without Edit and Delete.
    #[prop(optional)]
    read_only: bool,
) -> impl IntoView {
    let overview = Resource::new(|| (), |_| health_overview());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => dashboard(overview, read_only).into_any(),
                    Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn dashboard(overview: OrganizationHealth, read_only: bool) -> impl IntoView {
    let tiles = [
        ("Connected", overview.connected, "tile tile-connected"),
        ("Warning", overview.warning, "tile tile-warning"),
        ("Failed", overview.failed, "tile tile-failed"),
        ("Certificate expiring", overview.expiring, "tile tile-expiring"),
    ];
    let attention = overview.attention;
    view! {
        <section class="health" aria-labelledby="health-heading">
            <h2 id="health-heading">"Health"</h2>
            <ul class="tiles">
                {tiles
                    .into_iter()
                    .map(|(label, count, class)| view! {
                        <li class=class><span class="tile-count">{count}</span> <span class="tile-label">{label}</span></li>
                    })
                    .collect_view()}
            </ul>
            {(!attention.is_empty()).then(|| view! {
                <h3>"Needs attention"</h3>
                <p class="muted">"Worst first. Each says what changed and how to fix it; Re-test once it is fixed."</p>
                <crate::integrations::list::AccountList accounts=attention manage=true full_messages=true read_only />
            })}
            <h3>"Recent checks"</h3>
            <p class="muted">"Every account is checked again every few hours. Newest on the right."</p>
            <table class="timelines">
                <thead>
                    <tr><th scope="col">"Account"</th><th scope="col">"Provider"</th><th scope="col">"Last checks"</th></tr>
                </thead>
                <tbody>
                    {overview
                        .timelines
                        .into_iter()
                        .map(|t| view! {
                            <tr>
                                <td>{t.name}</td>
                                <td>{t.provider}</td>
                                <td>
                                    <ol class="timeline" aria-label="Last checks, oldest first">
                                        {t.checks
                                            .into_iter()
                                            .map(|c| {
                                                let class = format!("beat beat-{}", c.status.as_str());
                                                let text = c.title.clone();
                                                view! { <li class=class title=c.title><span class="visually-hidden">{text}</span></li> }
                                            })
                                            .collect_view()}
                                    </ol>
                                </td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
