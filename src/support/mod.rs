//! Support requests: Subject and Description, stored per organization, mailed to the support
//! team through the outbox, listed with their delivery, audit-logged. Operators answer them in
//! the support inbox (`inbox.rs`).
pub mod inbox;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{error_of, FieldError, FormError, Notice, Submit};

pub const SUBJECT_MAX: usize = 150;
pub const DESCRIPTION_MAX: usize = 5000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupportRequest {
    pub id: i64,
    pub subject: String,
    pub status: String,
    pub created: String,
    pub author: String,
    /// Whether the mail to the support team went out.
    pub delivery: String,
}

/// Checks a subject (one line) and description (lines allowed) and returns them trimmed.
pub fn validate(subject: &str, description: &str) -> Result<(String, String), AppError> {
    let subject = subject.trim();
    let description = description.trim();
    if subject.is_empty() {
        return Err(AppError::invalid("subject", "Enter a subject."));
    }
    if subject.chars().count() > SUBJECT_MAX {
        return Err(AppError::invalid("subject", format!("Use at most {SUBJECT_MAX} characters for the subject.")));
    }
    if subject.chars().any(char::is_control) {
        return Err(AppError::invalid("subject", "Use a single line of text for the subject."));
    }
    if description.is_empty() {
        return Err(AppError::invalid("description", "Describe your request."));
    }
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(AppError::invalid(
            "description",
            format!("Use at most {DESCRIPTION_MAX} characters for the description."),
        ));
    }
    if description.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::invalid("description", "The description contains characters that cannot be shown."));
    }
    Ok((subject.to_string(), description.to_string()))
}

/// Stores the request and mails it to the support team (reply-to: the requester), in one
/// transaction with its audit row; the outbox delivers it, retrying while the mail server is down.
/// `account_id`: the account the request is about (the prefilled management-account deletion).
#[server(endpoint = "create_support_request")]
pub async fn create_support_request(
    subject: String,
    description: String,
    account_id: Option<i64>,
) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let (subject, description) = validate(&subject, &description)?;
    if let Some(account_id) = account_id {
        crate::accounts::find(&state.pool, user.organization_id, account_id).await?;
    }
    let now = crate::server::now();
    let actor = user.actor().await;
    let letter = crate::mail::transport::Letter {
        to: state.config.mail.support_address.clone(),
        reply_to: Some(user.email.clone()),
        subject: format!("[Xops 360 support] {subject}"),
        body: format!(
            "From: {} (organization \"{}\", id {})\nSent: {}\n\n{description}\n",
            user.email,
            user.organization_name,
            user.organization_id,
            crate::server::format_time(now)
        ),
    };
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let mail_id = crate::mail::outbox::enqueue(&mut tx, &state.sealer, crate::mail::outbox::SUPPORT_REQUEST, &letter, now).await?;
    let request = store::NewRequest {
        organization_id: user.organization_id,
        user_id: user.user_id,
        subject: &subject,
        description: &description,
        mail_id,
        account_id,
        created_at: now,
    };
    store::insert(&mut tx, &request).await?;
    crate::audit::write(&mut *tx, &actor, "support_request", &format!("subject \"{subject}\"")).await?;
    tx.commit().await?;
    state.mail_wake.notify_one();
    leptos_axum::redirect("/support?notice=support-sent", false);
    Ok(())
}

#[server(endpoint = "support_requests")]
pub async fn support_requests() -> Result<Vec<SupportRequest>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let rows = store::requests(&state.pool, Some(user.organization_id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| SupportRequest {
            id: r.id,
            subject: r.subject,
            status: r.status,
            created: crate::server::format_time(r.created_at),
            author: r.author.unwrap_or_default(),
            delivery: delivery_text(r.mail_id, r.sent_at),
        })
        .collect())
}

/// Whether a request's mail to the support team went out, in words.
#[cfg(feature = "ssr")]
fn delivery_text(mail_id: Option<i64>, sent_at: Option<i64>) -> String {
    match (mail_id, sent_at) {
        (None, _) => "Stored only (sent before mail existed)".into(),
        (Some(_), Some(at)) => format!("Sent to support {}", crate::server::format_time(at)),
        (Some(_), None) => "Waiting to be sent: the mail server did not take it yet, it is tried again".into(),
    }
}

/// The prefilled request for deleting an AWS management account.
fn deletion_request(d: &crate::accounts::AccountDetails) -> (String, String) {
    let s = &d.summary;
    let subject = format!("AWS Management account deletion: {} ({})", s.name, s.external_account_id);
    let mut description = format!(
        "Please delete the AWS Management account \"{}\" (AWS account {}, role {}) from Xops 360.\n\nReason for deletion: ",
        s.name, s.external_account_id, d.role_arn
    );
    if d.dependent_accounts > 0 {
        description.push_str(&format!(
            "\n\nNote: this management account still has {} linked account(s) in Xops 360.",
            d.dependent_accounts
        ));
    }
    (subject, description)
}

#[component]
pub fn SupportPage() -> impl IntoView {
    let action = ServerAction::<CreateSupportRequest>::new();
    let error = error_of(action);
    let query = use_query_map();
    let account_id = move || query.read().get("account_id").and_then(|id| id.parse::<i64>().ok());
    let prefill = Resource::new(account_id, |id| async move {
        match id {
            Some(id) => crate::accounts::load_account_details(id).await.ok().map(|d| deletion_request(&d)),
            None => None,
        }
    });
    let requests = Resource::new(move || action.version().get(), |_| support_requests());
    let crate::accounts::workspace::WorkspaceResource(workspace) = expect_context();
    view! {
        <Title text="Support" />
        <section class="page">
            <h1>"Support"</h1>
            <Notice />
            <p class="lead">"Tell our support team what you need. For an AWS Management account deletion, say so in the subject and give the account's details and the reason in the description."</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let (subject, description) = prefill.await.unwrap_or_default();
                    // Asking support for changes is for Admins and Owners; a Viewer reads the requests.
                    match workspace.await {
                        Ok(ws) if !ws.may_change() => return crate::accounts::workspace::changers_only("ask support for changes", ws.role),
                        _ => {}
                    }
                    view! {
                        <ActionForm action attr:class="form panel narrow" attr:novalidate=true>
                            {account_id().map(|id| view! { <input type="hidden" name="account_id" value=id /> })}
                            <label for="subject">"Subject"</label>
                            <input id="subject" name="subject" type="text" maxlength=SUBJECT_MAX required value=subject />
                            <FieldError error field="subject" />
                            <label for="description">"Description"</label>
                            <textarea id="description" name="description" rows="8" maxlength=DESCRIPTION_MAX required>{description}</textarea>
                            <FieldError error field="description" />
                            <FormError error />
                            <Submit label="Submit Request" busy="Submitting…" />
                        </ActionForm>
                    }.into_any()
                })}
            </Transition>
            <h2>"Your organization's requests"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match requests.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No support requests yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="accounts">
                                <thead><tr><th scope="col">"Subject"</th><th scope="col">"Status"</th><th scope="col">"Submitted"</th><th scope="col">"By"</th><th scope="col">"Delivery"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|r| view! {
                                        <tr><td>{r.subject}</td><td class="capitalize">{r.status}</td><td>{r.created}</td><td>{r.author}</td><td>{r.delivery}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_and_description_are_required_and_bounded() {
        assert_eq!(validate(" ", "x").map_err(|e| e.field().map(String::from)), Err(Some("subject".into())));
        assert_eq!(validate("Hi", "").map_err(|e| e.field().map(String::from)), Err(Some("description".into())));
        assert!(validate(&"s".repeat(SUBJECT_MAX + 1), "x").is_err());
        assert!(validate("s", &"d".repeat(DESCRIPTION_MAX + 1)).is_err());
        assert!(validate("a\nb", "x").is_err());
        assert!(validate("s", "bell\u{7}").is_err());
        assert_eq!(validate(" Delete ", "line one\nline two "), Ok(("Delete".into(), "line one\nline two".into())));
    }
}
