//! The HTML shell, the routes, and the page that answers unknown paths.
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::MetaTags;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::accounts::dialogs::{DeleteDialog, RenameDialog};
use crate::auth::{ConfirmSignUpPage, SignInPage, SignUpPage, SignUpSentPage};
use crate::home::HomePage;
use crate::integrations::aws::pages::{AccountTypeDialog, AwsPage, EksPage, LinkAwsPage};
use crate::integrations::microsoft::pages::{AzurePage, LinkMicrosoftPage, MicrosoftPage, SubscriptionsPage};
use crate::integrations::IntegrationsPage;
use crate::layout::SignedInLayout;
use crate::integrations::selection::SelectPlatformPage;
use crate::support::inbox::SupportInboxPage;
use crate::support::SupportPage;
use crate::ui::DialogRequest;

#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link id="xops-css" rel="stylesheet" href=stylesheet_href(&options) />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The stylesheet's address, with its content hash when the build wrote hash.txt beside the
/// binary. Read once: leptos_meta's HashedStylesheet reads that file on every page.
#[cfg(feature = "ssr")]
fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| std::env::current_exe().ok()?.parent().map(|dir| dir.join(options.hash_file.as_ref())))
            .flatten()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .and_then(|hashes| {
                hashes.lines().find_map(|line| Some(line.strip_prefix("css:")?.trim().to_string()))
            });
        let name = match hash {
            Some(hash) => format!("{}.{hash}", options.output_name),
            None => options.output_name.to_string(),
        };
        format!("/{}/{name}.css", options.site_pkg_dir)
    })
}

/// Pages allow only scripts carrying this response's nonce (the hydration script) and our own files.
#[cfg(feature = "ssr")]
fn set_page_csp() {
    use axum::http::{header, HeaderValue};
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&crate::server::page_csp(nonce.as_inner())) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| format!("{page} · Xops 360") text="Xops 360" />
        // Async rendering: every page arrives whole, so it works without JavaScript.
        <Router>
            <Routes fallback=crate::ui::PageNotFound>
                <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                <Route path=path!("/signin/verify") view=crate::auth::VerifySignInPage ssr=SsrMode::Async />
                <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async />
                <Route path=path!("/signup/sent") view=SignUpSentPage ssr=SsrMode::Async />
                <Route path=path!("/signup/confirm/:token") view=ConfirmSignUpPage ssr=SsrMode::Async />
                <Route path=path!("/invite/:token") view=crate::teams::InvitationPage ssr=SsrMode::Async />
                <Route path=path!("/forgot-password") view=crate::auth::ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("/forgot-password/sent") view=crate::auth::ForgotPasswordSentPage ssr=SsrMode::Async />
                <Route path=path!("/reset-password/:token") view=crate::auth::ResetPasswordPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=|| view! { <SignedInLayout dialogs=OpenDialog /> } ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/select-platform") view=SelectPlatformPage ssr=SsrMode::Async />
                    <Route path=path!("/integrations") view=IntegrationsPage ssr=SsrMode::Async />
                    <Route path=path!("/integrations/aws") view=AwsPage ssr=SsrMode::Async />
                    <Route path=path!("/integrations/aws/link/:kind") view=LinkAwsPage ssr=SsrMode::Async />
                    <Route path=path!("/integrations/eks") view=EksPage ssr=SsrMode::Async />
                    <Route path=path!("/integrations/azure") view=AzurePage ssr=SsrMode::Async />
                    <Route path=path!("/integrations/microsoft") view=MicrosoftPage ssr=SsrMode::Async />
                    <Route path=path!("/integrations/microsoft/:service") view=LinkMicrosoftPage ssr=SsrMode::Async />
                    <Route path=path!("/accounts/:id/subscriptions") view=SubscriptionsPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/notifications") view=crate::settings::NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("/accounts/:id/organization") view=crate::integrations::aws::organization::pages::OrganizationPage ssr=SsrMode::Async />
                    <Route path=path!("/accounts/:id/certificate") view=crate::integrations::microsoft::renewal::RenewCertificatePage ssr=SsrMode::Async />
                    <Route path=path!("/support") view=SupportPage ssr=SsrMode::Async />
                    <Route path=path!("/members") view=crate::teams::MembersPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=crate::audit_log::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=crate::auth::recovery::YourAccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/security") view=crate::auth::SecurityPage ssr=SsrMode::Async />
                    <Route path=path!("/account/sessions") view=crate::auth::sessions::SessionsPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/organization") view=crate::teams::OrganizationSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-tokens") view=crate::settings::api_tokens::ApiTokensPage ssr=SsrMode::Async />
                    <Route path=path!("/settings/api-tokens/reference") view=crate::api::reference::ApiReferencePage ssr=SsrMode::Async />
                    <Route path=path!("/organizations") view=crate::teams::OrganizationsPage ssr=SsrMode::Async />
                </ParentRoute>
                // Operators work across organizations: their own frame, not a customer's.
                <Route path=path!("/support/inbox") view=SupportInboxPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

/// The dialog the address asks for, on top of whichever signed-in page it is.
#[component]
fn OpenDialog() -> impl IntoView {
    let request = crate::ui::requested_dialog();
    move || {
        request.get().map(|request| match request {
            DialogRequest::Rename(id) => view! { <RenameDialog account_id=id /> }.into_any(),
            DialogRequest::Delete(id) => view! { <DeleteDialog account_id=id /> }.into_any(),
            DialogRequest::AccountType => view! { <AccountTypeDialog /> }.into_any(),
        })
    }
}
