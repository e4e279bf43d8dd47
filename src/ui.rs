//! Small pieces every form and page uses: errors beside fields, the submit button with its
//! pending state, and the notice a redirect carries.
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

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

pub use crate::islands::Submit;

/// The frame of the pages one reaches signed out (sign-in, sign-up, links from mails): the
/// brand above a card in the middle of the page.
#[component]
pub fn AuthCard(children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand-mark">"Xops 360"</p>
                {children()}
            </div>
        </main>
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
            // Green is for what the user just did; what merely informs is neutral.
            let class = match key.as_str() {
                "signed-out" | "session-ended" => "notice notice-info",
                key if key.ends_with("-warning") => "notice notice-warning",
                _ => "notice",
            };
            let text = notice_text(&key).map(str::to_string).or_else(|| counted_notice(&key))?;
            Some(view! { <p class=class role="status">{text}</p> })
        })
    }
}

/// Notices that carry a number (`recovery-code-used-9`).
fn counted_notice(key: &str) -> Option<String> {
    let left: u32 = key.strip_prefix("recovery-code-used-")?.parse().ok()?;
    let codes = if left == 1 { "code" } else { "codes" };
    let advice = if left <= 3 { " Make new ones under Your account → Security." } else { "" };
    Some(format!("Signed in with a recovery code. It is spent: {left} recovery {codes} left.{advice}"))
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
        "organization-read" => "The organization was read from AWS: the tree below is current.",
        "organization-linking" => "Linking started: its progress is below. You can leave this page; the run goes on.",
        "exclusion-saved" => "Saved: exclusions apply to Link accounts and to the sync.",
        "auto-link-saved" => "Saved: it applies from the next sync.",
        "notification-target-added" => "Added: it gets the next notification.",
        "notification-target-removed" => "Removed: it gets no more notifications.",
        "password-changed" => "Password changed. Your other sessions have ended.",
        "password-reset" => "Password changed. Sign in with the new one.",
        "authenticator-added" => "Authenticator added: from now on, Xops 360 asks for its code after your password.",
        "authenticator-removed" => "Authenticator removed, with your recovery codes. Your other sessions have ended.",
        "recovery-codes-regenerated" => "New recovery codes made: the old ones no longer work.",
        "passkey-added" => "Passkey added: use it after your password, or to sign in with no password.",
        "passkey-removed" => "Passkey removed. Your other sessions have ended.",
        "api-token-revoked" => "Token revoked: its next request is refused.",
        "session-signed-out" => "Signed out: that browser must sign in again.",
        "signed-out-elsewhere" => "Every other browser signed in to your account has been signed out.",
        "second-factor-policy-saved" => "Saved: it applies to every member from their next click.",
        "organization-renamed" => "Organization renamed.",
        "organization-deleted" => "The organization and everything it held have been deleted.",
        "invitation-revoked" => "Invitation revoked: its link no longer works.",
        "role-changed" => "Role changed: it applies from their next click.",
        "left-organization" => "You have left the organization.",
        "member-removed" => "Removed: they no longer reach this organization.",
        "certificate-made" => {
            "New certificate generated and downloading. Upload it to the same app registration, then Verify and switch."
        }
        "subject-made" => "New federated credential values made. Add them to the app registration, then Verify and switch.",
        "federated-switched" => {
            "Xops now signs in through the federated credential; any certificate and its private key were deleted. You can delete the old certificate or credential from the app registration."
        }
        "certificate-switched" => {
            "The new certificate is in use and the old key was deleted. You can now delete the old certificate from the app registration."
        }
        _ => return None,
    })
}

/// A dialog a page can show on top of itself. Each has its own address (`?dialog=…`), so the
/// server renders the page with the dialog open when JavaScript is off, and a link opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogRequest {
    Rename(i64),
    Delete(i64),
    /// The guide's "Select AWS Account Type", before the link form.
    AccountType,
}

impl DialogRequest {
    pub fn from_query(query: &ParamsMap) -> Option<Self> {
        let account = || query.get("account").and_then(|id| id.parse::<i64>().ok());
        match query.get("dialog")?.as_str() {
            "rename" => account().map(Self::Rename),
            "delete" => account().map(Self::Delete),
            "account-type" => Some(Self::AccountType),
            _ => None,
        }
    }

    /// The query that opens it, also the key its opening links carry (`data-opens`).
    pub fn query(self) -> String {
        match self {
            Self::Rename(id) => format!("dialog=rename&account={id}"),
            Self::Delete(id) => format!("dialog=delete&account={id}"),
            Self::AccountType => "dialog=account-type".into(),
        }
    }

    /// Its address on top of the page at `here` (a `page_address`).
    pub fn href(self, here: &str) -> String {
        let separator = if here.contains('?') { '&' } else { '?' };
        format!("{here}{separator}{}", self.query())
    }
}

/// The current page's address without dialog or notice: where Close and a finished dialog
/// lead. Only the list's page number is kept.
pub fn page_address(path: &str, query: &ParamsMap) -> String {
    match query.get("page").and_then(|p| p.parse::<u32>().ok()).filter(|p| *p > 1) {
        Some(page) => format!("{path}?page={page}"),
        None => path.to_string(),
    }
}

/// `page_address` of the page being rendered.
pub fn here() -> String {
    let location = leptos_router::hooks::use_location();
    page_address(&location.pathname.get_untracked(), &location.query.get_untracked())
}

/// The dialog the address asks for, if any.
pub fn requested_dialog() -> Memo<Option<DialogRequest>> {
    let query = use_query_map();
    Memo::new(move |_| DialogRequest::from_query(&query.read()))
}

/// A window on top of the page. Rendered open by the server (the layout makes the page behind
/// inert); in the browser it is a modal `<dialog>` (the `ModalDialog` island: focus inside, Tab
/// kept in, Escape closes it and gives focus back to what opened it).
#[component]
pub fn Dialog(request: DialogRequest, title: String, children: Children) -> impl IntoView {
    let close = here();
    view! {
        <crate::islands::ModalDialog close=close.clone() opener=request.query()>
            <header class="dialog-head">
                <h2 id="dialog-title">{title}</h2>
                <a href=close data-noscroll="true" class="dialog-close" aria-label="Close">"×"</a>
            </header>
            <div class="dialog-body">{children()}</div>
        </crate::islands::ModalDialog>
    }
}

/// Where a card's Add Account leads: the account-type dialog on top of the page at `here` when
/// the card asks the type first, else the card's own page with its form.
pub fn add_account_href(card: crate::domain::Card, here: &str) -> String {
    if card.asks_account_type() {
        DialogRequest::AccountType.href(here)
    } else {
        card.href()
    }
}

/// A link that opens `request` on top of the page at `here`.
pub fn dialog_link(request: DialogRequest, here: &str, label: &'static str, class: &'static str) -> impl IntoView {
    view! { <a href=request.href(here) data-opens=request.query() data-noscroll="true" class=class>{label}</a> }
}

/// "Page not found", with a 404 status when rendered on the server: routes that do not exist,
/// and pages a user may not know exist (the support inbox for a customer).
#[component]
pub fn PageNotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p>"There is no page at this address."</p>
                <leptos_router::components::A href="/">"Go to Home"</leptos_router::components::A>
            </div>
        </main>
    }
}
