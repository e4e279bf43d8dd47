//! Settings → Notifications: where the organization is told when an account's status changes
//! or a certificate nears expiry (email addresses and webhooks), and how each message fared.
pub mod api_tokens;
#[cfg(feature = "ssr")]
pub mod api_token_store;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{error_of, FieldError, FormError, Notice};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub id: i64,
    pub kind: String,
    pub address: String,
    pub added: String,
    /// "Paused until 2026-12-07 14:00 UTC: …" while a webhook that stopped answering is paused.
    pub paused: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub to: String,
    pub subject: String,
    pub created: String,
    /// "Sent 2026-11-23 10:00 UTC", "Waiting: 2 tries, last: the receiver answered 500", "Gave up: …"
    pub state: String,
    pub delivered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notifications {
    pub targets: Vec<Target>,
    pub deliveries: Vec<Delivery>,
}

#[server(endpoint = "notification_settings")]
pub async fn notification_settings() -> Result<Notifications, AppError> {
    use crate::server::format_time;
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let targets = crate::notify::store::targets(&state.pool, org)
        .await?
        .into_iter()
        .map(|(id, kind, address, created_at, paused_until)| Target {
            id,
            kind,
            address,
            added: format_time(created_at),
            paused: (paused_until > crate::server::now()).then(|| {
                format!(
                    "Paused until {}: it did not answer in time several times in a row. Messages to it wait and are tried again then.",
                    format_time(paused_until)
                )
            }),
        })
        .collect();
    let deliveries = crate::notify::store::recent_deliveries(&state.pool, org, 50)
        .await?
        .into_iter()
        .map(|(_, _, to, subject, created_at, attempts, sent_at, gave_up_at, last_error)| {
            let state = match (sent_at, gave_up_at) {
                (Some(at), _) => format!("Sent {}", format_time(at)),
                (None, Some(_)) => format!("Gave up after {attempts} tries: {last_error}"),
                (None, None) if attempts == 0 => "Waiting to be sent".to_string(),
                (None, None) => format!("Retrying ({attempts} tries so far; last: {last_error})"),
            };
            Delivery { to, subject, created: format_time(created_at), state, delivered: sent_at.is_some() }
        })
        .collect();
    Ok(Notifications { targets, deliveries })
}

#[server(endpoint = "add_notification_email")]
pub async fn add_notification_email(email: String) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let email = crate::domain::Email::parse(&email)?;
    let now = crate::server::now();
    let mut tx = crate::server::begin_write_in(&state.pool, user.organization_id).await?;
    crate::notify::store::add_target(&mut tx, user.organization_id, "email", email.as_str(), None, now).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "add_notification_email", email.as_str()).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/notifications?notice=notification-target-added", false);
    Ok(())
}

/// Adds a webhook with a new secret (32 random bytes), sealed; it is shown once, on the page
/// this leads to (`webhook_secret_once`), never in a URL or a log.
#[server(endpoint = "add_webhook")]
pub async fn add_webhook(url: String) -> Result<(), AppError> {
    use rand::RngCore;
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let url = crate::notify::webhook::parse_url(&url, state.config.webhooks)?;
    // Said now, while the user is here, rather than at the first delivery.
    crate::notify::webhook::allowed_address(&url, state.config.webhooks)
        .await
        .map_err(|why| AppError::invalid(crate::notify::webhook::FIELD, format!("Xops cannot send there: {why}.")))?;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let secret = format!("whsec_{}", secret.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let address = url.to_string();
    let sealed = state.sealer.seal(secret.as_bytes(), &crate::notify::store::secret_context(org, &address))?;
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    let max = crate::notify::deliver::MAX_WEBHOOKS;
    if crate::notify::store::webhook_count(&mut tx, org).await? >= max {
        return Err(AppError::invalid(
            crate::notify::webhook::FIELD,
            format!("An organization can have at most {max} webhooks. Remove one you no longer use first."),
        ));
    }
    let id = crate::notify::store::add_target(&mut tx, org, "webhook", &address, Some(&sealed), crate::server::now()).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "add_webhook", &address).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/settings/notifications?created={id}"), false);
    Ok(())
}

/// A new webhook's secret, once, within ten minutes of its creation; None after that (404 for
/// a webhook that is not the organization's).
#[server(endpoint = "webhook_secret_once")]
pub async fn webhook_secret_once(id: i64) -> Result<Option<String>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    use crate::notify::store::{secret_once, SecretOnce};
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    let found = secret_once(&mut tx, org, id, crate::server::now()).await?;
    tx.commit().await?;
    let (address, sealed) = match found {
        // Another organization's webhook, or none: 404, as for any id that is not yours.
        SecretOnce::NoSuchWebhook => return Err(AppError::NotFound("There is no such webhook.".into())),
        SecretOnce::Spent => return Ok(None),
        SecretOnce::Show(address, sealed) => (address, sealed),
    };
    let secret = state.sealer.open(&sealed, &crate::notify::store::secret_context(org, &address))?;
    Ok(Some(String::from_utf8_lossy(&secret).into_owned()))
}

#[server(endpoint = "remove_notification_target")]
pub async fn remove_notification_target(id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let mut tx = crate::server::begin_write_in(&state.pool, user.organization_id).await?;
    let (kind, address) = crate::notify::store::remove_target(&mut tx, user.organization_id, id).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "remove_notification_target", &format!("{kind} {address}")).await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/notifications?notice=notification-target-removed", false);
    Ok(())
}

/// /settings/notifications
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let add_email = ServerAction::<AddNotificationEmail>::new();
    let add_hook = ServerAction::<AddWebhook>::new();
    let remove = ServerAction::<RemoveNotificationTarget>::new();
    let (email_error, hook_error, remove_error) = (error_of(add_email), error_of(add_hook), error_of(remove));
    let settings = Resource::new(
        move || (add_email.version().get(), add_hook.version().get(), remove.version().get()),
        |_| notification_settings(),
    );
    let query = use_query_map();
    let created = move || query.read().get("created").and_then(|id| id.parse::<i64>().ok());
    let secret = Resource::new(created, |id| async move {
        match id {
            Some(id) => webhook_secret_once(id).await,
            None => Ok(None),
        }
    });
    let workspace: crate::accounts::workspace::WorkspaceResource = expect_context();
    view! {
        <Title text="Notifications" />
        <section class="page">
            <h1>"Notifications"</h1>
            <Notice />
            <p class="muted">"When an account's status changes, or a certificate comes within 30, 14, 7 or 1 days of expiry, \
                each address and webhook below gets one message."</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    secret.await.ok().flatten().map(|secret| view! {
                        <div class="panel secret-once" role="status">
                            <h2>"Webhook added: copy its signing secret now"</h2>
                            <p>"It is shown this once. Each message carries " <code>"X-Xops-Signature: sha256=<hex>"</code>
                                ", the HMAC-SHA256 of the request body under this secret: compute it and compare before trusting a message."</p>
                            <p><code class="secret">{secret}</code></p>
                        </div>
                    })
                })}
            </Transition>
            <FormError error=remove_error />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let settings = match settings.await {
                        Ok(s) => s,
                        Err(err) => return view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    };
                    // Adding and removing targets is for Admins and Owners; a Viewer reads them.
                    let may_change = workspace.may_change().await;
                    let (emails, hooks): (Vec<Target>, Vec<Target>) = settings.targets.into_iter().partition(|t| t.kind == "email");
                    view! {
                        <div class="panel">
                            <h2>"Email addresses"</h2>
                            {target_list(emails, remove, "No email address yet.", may_change)}
                            {may_change.then(|| view! { <ActionForm action=add_email attr:class="inline-form">
                                <label for="email">"Email address"</label>
                                <input id="email" name="email" type="email" required autocomplete="email" />
                                <button type="submit" class="btn" disabled=move || add_email.pending().get()>"Add address"</button>
                            </ActionForm> })}
                            <FieldError error=email_error field="email" />
                        </div>
                        <div class="panel">
                            <h2>"Webhooks"</h2>
                            <p class="muted">"A JSON POST per message, its text in " <code>"text"</code>
                                " (a Slack incoming webhook posts it as is), signed with the webhook's own secret. https only."</p>
                            {target_list(hooks, remove, "No webhook yet.", may_change)}
                            {may_change.then(|| view! { <ActionForm action=add_hook attr:class="inline-form">
                                <label for="url">"Webhook URL"</label>
                                <input id="url" name="url" type="url" required placeholder="https://hooks.example.com/xops" spellcheck="false" />
                                <button type="submit" class="btn" disabled=move || add_hook.pending().get()>"Add webhook"</button>
                            </ActionForm> })}
                            <FieldError error=hook_error field="url" />
                        </div>
                        <div class="panel">
                            <h2>"Recent messages"</h2>
                            {if settings.deliveries.is_empty() {
                                view! { <p class="muted">"Nothing sent yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="deliveries">
                                        <thead><tr><th scope="col">"When"</th><th scope="col">"To"</th><th scope="col">"Message"</th><th scope="col">"Delivery"</th></tr></thead>
                                        <tbody>
                                            {settings.deliveries.into_iter().map(|d| view! {
                                                <tr>
                                                    <td>{d.created}</td>
                                                    <td>{d.to}</td>
                                                    <td>{d.subject}</td>
                                                    <td><span class=if d.delivered { "status status-connected" } else { "status status-warning" }>{d.state}</span></td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        </div>
                    }
                        .into_any()
                })}
            </Transition>
        </section>
    }
}

fn target_list(targets: Vec<Target>, remove: ServerAction<RemoveNotificationTarget>, empty: &'static str, may_change: bool) -> impl IntoView {
    if targets.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    if !may_change {
        return view! {
            <ul class="targets">
                {targets.into_iter().map(|t| view! {
                    <li><code>{t.address}</code> <span class="muted">" added " {t.added}</span> " " {t.paused.map(|why| view! { <span class="status status-warning">{why}</span> })}</li>
                }).collect_view()}
            </ul>
        }
        .into_any();
    }
    view! {
        <ActionForm action=remove>
            <ul class="targets">
                {targets.into_iter().map(|t| view! {
                    <li>
                        <code>{t.address.clone()}</code> <span class="muted">" added " {t.added}</span> " "
                        {t.paused.map(|why| view! { <span class="status status-warning">{why}</span> " " })}
                        <button type="submit" name="id" value=t.id class="btn btn-small btn-danger"
                            aria-label=format!("Remove {}", t.address)>"Remove"</button>
                    </li>
                }).collect_view()}
            </ul>
        </ActionForm>
    }
    .into_any()
}
