//! Organization settings → API tokens (Owners and Admins): a name, a scope (read, or write:
//! read plus link, rename, delete, re-test, subscriptions, organization runs), an expiry, and
//! optionally the networks it may be used from. Shown once as `xops_<random>`; only its hash
//! is kept, with a visible prefix. Revoking takes effect at the token's next request, on every
//! replica (it is looked up on every request).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{error_of, FieldError, FormError, Notice, Submit};

/// At most this many live tokens per organization.
pub const MAX_TOKENS: i64 = 50;
/// How long a new token can be shown (once).
#[cfg(feature = "ssr")]
const SHOWN_FOR_SECS: i64 = 10 * 60;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The token's first characters (`xops_1a2b3c4d`), to tell tokens apart.
    pub prefix: String,
    pub scope: String,
    pub allowed_networks: String,
    pub created_by: String,
    pub created: String,
    /// "Never", or the date.
    pub expires: String,
    /// "Never", or when and from where.
    pub last_used: String,
}

#[server(endpoint = "api_tokens")]
pub async fn api_tokens() -> Result<Vec<ApiToken>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    // The page renders this on the server too, where no HTTP gate stands in front.
    if !user.role.includes(crate::domain::Role::Admin) {
        return Err(AppError::Forbidden("Only an Admin or Owner can manage API tokens. Ask one in your organization.".into()));
    }
    use crate::server::format_time;
    Ok(super::api_token_store::tokens(&state.pool, user.organization_id)
        .await?
        .into_iter()
        .map(|(id, name, prefix, scope, allowed_networks, created_by, created, expires, used_at, used_from)| ApiToken {
            id,
            name,
            prefix,
            scope,
            allowed_networks,
            created_by,
            created: format_time(created),
            expires: expires.map(format_time).unwrap_or_else(|| "Never".into()),
            last_used: match (used_at, used_from) {
                (Some(at), Some(from)) if !from.is_empty() => format!("{} from {from}", format_time(at)),
                (Some(at), _) => format_time(at),
                _ => "Never".into(),
            },
        })
        .collect())
}

/// Makes a token; it is shown once on the page this leads to (`api_token_once`).
#[server(endpoint = "create_api_token")]
pub async fn create_api_token(name: String, scope: String, expires_in_days: String, allowed_networks: String) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "Name the token (up to 60 characters), say \"Terraform in CI\"."));
    }
    if scope != "read" && scope != "write" {
        return Err(AppError::invalid("scope", "Choose Read, or Write."));
    }
    let days: Option<i64> = match expires_in_days.as_str() {
        "30" => Some(30),
        "90" => Some(90),
        "365" => Some(365),
        "never" => None,
        _ => return Err(AppError::invalid("expires_in_days", "Choose when the token expires: 30, 90 or 365 days, or never.")),
    };
    let networks: Vec<&str> = allowed_networks.split([',', '\n', '\r', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect();
    for network in &networks {
        crate::net::Cidr::parse(network)
            .map_err(|why| AppError::invalid("allowed_networks", format!("{why}. Give addresses or CIDR blocks, one per line.")))?;
    }
    let (secret, prefix) = new_secret();
    let now = crate::server::now();
    let shown = state.sealer.seal(secret.as_bytes(), &secret_context(user.organization_id))?;
    let mut tx = crate::server::begin_write_in(&state.pool, user.organization_id).await?;
    if super::api_token_store::live_count(&mut tx, user.organization_id).await? >= MAX_TOKENS {
        return Err(AppError::invalid("name", format!("An organization can have at most {MAX_TOKENS} tokens. Revoke one you no longer use first.")));
    }
    let token = super::api_token_store::NewToken {
        organization_id: user.organization_id,
        created_by: user.user_id,
        name,
        prefix: &prefix,
        hash: &crate::crypto::sha256(secret.as_bytes()),
        scope: &scope,
        allowed_networks: &networks.join(", "),
        expires_at: days.map(|d| now + d * 86_400),
        now,
    };
    let id = super::api_token_store::insert(&mut tx, &token, &shown).await?;
    let detail = format!("\"{name}\" ({prefix}…), {scope}, expires {}", days.map(|d| format!("in {d} days")).unwrap_or_else(|| "never".into()));
    crate::audit::write(&mut *tx, &user.actor().await, "api_token_created", &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/settings/api-tokens?created={id}"), false);
    Ok(())
}

/// A new token's secret, once, within ten minutes of its making; None after that.
#[server(endpoint = "api_token_once")]
pub async fn api_token_once(id: i64) -> Result<Option<String>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    if !user.role.includes(crate::domain::Role::Admin) {
        return Ok(None);
    }
    let since = crate::server::now() - SHOWN_FOR_SECS;
    let mut tx = crate::server::begin_write_in(&state.pool, user.organization_id).await?;
    let taken = super::api_token_store::take_secret(&mut tx, user.organization_id, id, since).await?;
    tx.commit().await?;
    // Another organization's token, or none: 404, as for any id that is not yours.
    let Some(taken) = taken else {
        return Err(AppError::NotFound("There is no such token.".into()));
    };
    let Some(sealed) = taken else {
        return Ok(None);
    };
    let secret = state.sealer.open(&sealed, &secret_context(user.organization_id))?;
    Ok(Some(String::from_utf8_lossy(&secret).into_owned()))
}

#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let mut tx = crate::server::begin_write_in(&state.pool, user.organization_id).await?;
    let Some(name) = super::api_token_store::revoke(&mut tx, user.organization_id, id, crate::server::now()).await? else {
        return Err(AppError::NotFound("There is no such token (it may have been revoked already).".into()));
    };
    crate::audit::write(&mut *tx, &user.actor().await, "api_token_revoked", &format!("\"{name}\"")).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/api-tokens?notice=api-token-revoked", false);
    Ok(())
}

/// `xops_` and 256 random bits in hex; and its prefix, `xops_` and the first 8 of those.
#[cfg(feature = "ssr")]
fn new_secret() -> (String, String) {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let prefix = format!("xops_{}", &hex[..8]);
    (format!("xops_{hex}"), prefix)
}

#[cfg(feature = "ssr")]
fn secret_context(organization_id: i64) -> Vec<u8> {
    format!("xops api token; organization {organization_id}").into_bytes()
}

/// /settings/api-tokens: the tokens and a form for a new one, for Owners and Admins.
#[component]
pub fn ApiTokensPage() -> impl IntoView {
    // Spent by being shown: asked once per page, here, not inside what may render again.
    let query = use_query_map();
    let created = move || query.read().get("created").and_then(|id| id.parse::<i64>().ok());
    let shown = Resource::new(created, |id| async move {
        match id {
            Some(id) => api_token_once(id).await,
            None => Ok(None),
        }
    });
    view! {
        <Title text="API tokens" />
        <section class="page">
            <h1>"API tokens"</h1>
            <Notice />
            {crate::accounts::workspace::with_workspace(move |ws| {
                if ws.role.includes(crate::domain::Role::Admin) {
                    view! { <TokensAndForm shown /> }.into_any()
                } else {
                    view! { <p>{format!("Only an Admin or Owner can manage API tokens; your role is {}.", ws.role.label())}</p> }.into_any()
                }
            })}
        </section>
    }
}

#[component]
fn TokensAndForm(shown: Resource<Result<Option<String>, AppError>>) -> impl IntoView {
    let tokens = Resource::new(|| (), |_| api_tokens());
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let (create_error, revoke_error) = (error_of(create), error_of(revoke));
    view! {
            <p class="muted">"Tokens let your automation (Terraform, a pipeline) use the Xops API as your organization. A token can do no more than the person who made it, and stops working if they leave. "
                <a href="/settings/api-tokens/reference">"API reference"</a></p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    shown.await.ok().flatten().map(|secret| {
                        let copy = secret.clone();
                        view! {
                            <div class="notice notice-warning secret-once" role="status">
                                <p><strong>"Copy the token now. It is shown only this once."</strong></p>
                                <code class="secret">{secret}</code>
                                <crate::islands::CopyButton text=copy />
                            </div>
                        }
                    })
                })}
            </Transition>
            <FormError error=revoke_error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let list = match tokens.await {
                        Ok(list) => list,
                        Err(err) => return view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    };
                    if list.is_empty() {
                        return view! { <p class="muted">"No token yet."</p> }.into_any();
                    }
                    view! {
                        <table class="listing">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Token"</th><th scope="col">"Scope"</th><th scope="col">"Networks"</th>
                                <th scope="col">"Created by"</th><th scope="col">"Expires"</th><th scope="col">"Last used"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let label = format!("Revoke token {}", t.name);
                                    let row = t.name.clone();
                                    view! {
                                        <tr data-token=row>
                                            <td>{t.name}</td><td><code>{format!("{}…", t.prefix)}</code></td><td>{t.scope}</td>
                                            <td>{if t.allowed_networks.is_empty() { "Any".to_string() } else { t.allowed_networks }}</td>
                                            <td>{format!("{} on {}", t.created_by, t.created)}</td><td>{t.expires}</td><td>{t.last_used}</td>
                                            <td>
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="id" value=t.id />
                                                    <button type="submit" class="btn btn-small btn-danger" aria-label=label>"Revoke"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
            </Transition>
            <div class="panel">
                <h2>"New token"</h2>
                <ActionForm action=create attr:class="form" attr:novalidate=true>
                    <label for="token-name">"Name"</label>
                    <input id="token-name" name="name" type="text" maxlength="60" required placeholder="Terraform in CI" />
                    <FieldError error=create_error field="name" />
                    <label for="token-scope">"Scope"</label>
                    <select id="token-scope" name="scope">
                        <option value="read">"Read: lists, accounts, health"</option>
                        <option value="write">"Write: read, and link, rename, delete, re-test, subscriptions, organization runs"</option>
                    </select>
                    <FieldError error=create_error field="scope" />
                    <label for="token-expiry">"Expires"</label>
                    <select id="token-expiry" name="expires_in_days">
                        <option value="30">"In 30 days"</option>
                        <option value="90" selected>"In 90 days"</option>
                        <option value="365">"In 365 days"</option>
                        <option value="never">"Never"</option>
                    </select>
                    <FieldError error=create_error field="expires_in_days" />
                    <label for="token-networks">"Allowed networks (optional)"</label>
                    <textarea id="token-networks" name="allowed_networks" rows="2" placeholder="203.0.113.0/24"></textarea>
                    <p class="hint">"Addresses or CIDR blocks, one per line. Empty: any network."</p>
                    <FieldError error=create_error field="allowed_networks" />
                    <FormError error=create_error />
                    <Submit label="Create token" busy="Creating…" />
                </ActionForm>
            </div>
    }
}
