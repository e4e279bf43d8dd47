//! Small pieces every form and page uses: errors beside fields, the submit button with its
//! pending state, and the notice a redirect carries.
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;

/// The error of an action's last result, for `FieldError` and `FormError`.
pub fn error_of<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The message that belongs beside one field.
#[component]
pub fn FieldError(error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    move || {
        error.get().and_then(|e| e.message_for(field)).map(|m| {
            view! { <p class="field-error" id=format!("{field}-error") role="alert">{m}</p> }
        })
    }
}

/// The message that belongs to the form as a whole.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || error.get().and_then(|e| e.form_message()).map(|m| view! { <p class="form-error" role="alert">{m}</p> })
}

/// A submit button that says it is working while its action runs.
#[component]
pub fn Submit(pending: Signal<bool>, label: &'static str, busy: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class="btn btn-primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

/// What the user typed into `field`, as a refused form's redirect carries it back (JavaScript off).
pub fn typed(field: &'static str) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let query = use_query_map();
    move || query.read().get(field).unwrap_or_default()
}

/// The confirmation a redirect carries as `?notice=<key>`. Only known keys are shown, so a
/// crafted link cannot put words in the portal's mouth.
#[component]
pub fn Notice() -> impl IntoView {
    let query = use_query_map();
    move || {
        query.read().get("notice").and_then(|key| {
            let class = if key.ends_with("-warning") { "notice notice-warning" } else { "notice" };
            notice_text(&key).map(|text| view! { <p class=class role="status">{text}</p> })
        })
    }
}

pub fn notice_text(key: &str) -> Option<&'static str> {
    if let Some(provider) = key.strip_prefix("linked-").and_then(crate::domain::Provider::parse) {
        return Some(provider.linked_notice());
    }
    Some(match key {
        "signed-out" => "You have been signed out.",
        "linked-warning" => "Account connected, with a warning: see its status below for what to fix.",
        "renamed" => "Account name updated",
        "deleted" => "Account has been deleted.",
        "retested" => "Connection re-tested: the status below is current.",
        "subscriptions-updated" => "Subscriptions updated.",
        "subscriptions-refreshed" => "The list of subscriptions was read from Azure again.",
        "support-sent" => {
            "Your support request has been submitted. Our support team will review it and get back to you."
        }
        "request-closed" => "The request is closed.",
        "requested-account-deleted" => "The account has been deleted and the request closed.",
        "session-ended" => "Your session has ended. Please sign in again.",
        _ => return None,
    })
}
