//! The frame of every signed-in page: side navigation, the Select account dropdown at the top
//! right, and the profile menu at the bottom left.
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

use crate::accounts::workspace::{load_workspace, SelectAccount, Workspace, WorkspaceResource};
use crate::auth::SignOut;
use crate::error::AppError;

/// `dialogs`: the dialog the address asks for, if any; while one is open the page behind it is
/// inert (also without JavaScript, where the dialog is not modal).
#[component]
pub fn SignedInLayout(#[prop(into)] dialogs: ViewFn) -> impl IntoView {
    let dialog_open = crate::ui::requested_dialog();
    let select = ServerAction::<SelectAccount>::new();
    let sign_out = ServerAction::<SignOut>::new();
    // Read again at every navigation to another page, so no page shows accounts as they were
    // when an earlier page loaded (another person may have renamed or deleted one since).
    let pathname = leptos_router::hooks::use_location().pathname;
    let resource = Resource::new(move || (select.version().get(), pathname.get()), |_| load_workspace());
    provide_context(WorkspaceResource(resource));
    // The section a page belongs to is marked in the side panel, sub-pages included.
    let section = move |home: bool| {
        let path = pathname.get();
        let in_home = path == "/";
        (in_home == home && (home || is_integrations_page(&path))).then_some("page")
    };

    let with_workspace = move |render: fn(Workspace, Menus) -> AnyView| {
        move || {
            Suspend::new(async move {
                match resource.await {
                    Ok(ws) => render(ws, Menus { select, sign_out }),
                    // The session ran out while the page was open: back to sign-in.
                    Err(AppError::Unauthorized) => {
                        view! { <Redirect path="/signin?notice=session-ended" /> }.into_any()
                    }
                    Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                }
            })
        }
    };

    view! {
        <div class="shell" inert=move || dialog_open.get().is_some()>
            <aside class="sidenav">
                <A href="/" attr:class="brand">
                    "Xops 360"
                </A>
                <nav aria-label="Main">
                    <ul>
                        <li>
                            <a href="/" aria-current=move || section(true)>
                                "Home"
                            </a>
                        </li>
                        <li>
                            <a href="/integrations" aria-current=move || section(false)>"Integrations"</a>
                        </li>
                    </ul>
                </nav>
                <Transition fallback=|| ()>{with_workspace(profile_menu)}</Transition>
            </aside>
            <div class="main">
                <header class="topbar">
                    <Transition fallback=|| ()>{with_workspace(account_selector)}</Transition>
                </header>
                <main class="content">
                    <Outlet />
                </main>
            </div>
        </div>
        {dialogs.run()}
    }
}

/// Pages under Integrations in the side panel: the cards, link pages, an account's own pages
/// (subscriptions, certificate, organization) and the selection page.
fn is_integrations_page(path: &str) -> bool {
    ["/integrations", "/accounts/", crate::onboarding::landing::SELECT_PLATFORM_PATH].iter().any(|prefix| path.starts_with(prefix))
}

/// What the two menus need from the layout.
#[derive(Clone, Copy)]
struct Menus {
    select: ServerAction<SelectAccount>,
    sign_out: ServerAction<SignOut>,
}

/// Accounts listed in the Select account dropdown; the rest are a click away in Integrations
/// (a menu of hundreds helps nobody, and every page would carry it).
pub const DROPDOWN_ACCOUNTS: usize = 20;

fn account_selector(ws: Workspace, menus: Menus) -> AnyView {
    let Menus { select, .. } = menus;
    let current = ws.current_account().map(|a| a.name.clone());
    let current_id = ws.current_account_id;
    let may_change = ws.may_change();
    // The first accounts, and the current one wherever it is.
    let listed: Vec<_> = ws
        .accounts
        .iter()
        .enumerate()
        .filter(|(i, a)| *i < DROPDOWN_ACCOUNTS || Some(a.id) == current_id)
        .map(|(_, a)| a.clone())
        .collect();
    let more = ws.total_accounts() - i64::try_from(listed.len()).unwrap_or(0);
    // The layout stays as pages change: where the flow begins follows the address.
    let location = leptos_router::hooks::use_location();
    let add_href = move || {
        crate::onboarding::landing::select_platform_href(&crate::ui::page_address(&location.pathname.get(), &location.query.get()))
    };
    view! {
        <details class="dropdown account-selector">
            <summary>
                <span class="dropdown-label">"Select account"</span>
                <span class="dropdown-value">{current.unwrap_or_else(|| "No account yet".into())}</span>
            </summary>
            <div class="menu menu-right">
                // One form: the chosen button sends its account_id (a form per account made
                // the page several times slower to render with many accounts).
                <ActionForm action=select>
                    <ul class="menu-list">
                        {listed
                            .into_iter()
                            .map(|account| {
                                let is_current = Some(account.id) == current_id;
                                view! {
                                    <li>
                                        <button
                                            type="submit"
                                            name="account_id"
                                            value=account.id
                                            class="menu-item"
                                            aria-current=is_current.then_some("true")
                                        >
                                            <span class="check">{if is_current { "✓" } else { "" }}</span>
                                            <span>{account.name}</span>
                                            <span class="muted">{account.provider.label()}</span>
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </ActionForm>
                {(more > 0).then(|| view! {
                    <A href="/integrations" attr:class="menu-item muted">{format!("{more} more accounts in Integrations")}</A>
                })}
                {may_change.then(|| view! {
                    <A href=add_href attr:class="menu-item menu-add">
                        "Add Cloud Account"
                    </A>
                })}
            </div>
        </details>
    }
    .into_any()
}

fn profile_menu(ws: Workspace, menus: Menus) -> AnyView {
    let Menus { sign_out, .. } = menus;
    let reads_audit = ws.may_change();
    let initial = ws.email.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    view! {
        <details class="dropdown profile-menu">
            <summary>
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="profile-email">{ws.email.clone()}</span>
            </summary>
            <div class="menu menu-up">
                <p class="menu-heading">{ws.email}<br /><span class="muted">{ws.organization}</span></p>
                <A href="/integrations" attr:class="menu-item">"Accounts"</A>
                <A href="/settings/notifications" attr:class="menu-item">"Notifications"</A>
                <A href="/account" attr:class="menu-item">"Your account"</A>
                <A href="/settings/organization" attr:class="menu-item">"Organization settings"</A>
                <A href="/members" attr:class="menu-item">"Members"</A>
                {reads_audit.then(|| view! { <A href="/audit" attr:class="menu-item">"Audit log"</A> })}
                {reads_audit.then(|| view! { <A href="/settings/api-tokens" attr:class="menu-item">"API tokens"</A> })}
                {(ws.organizations > 1).then(|| view! { <A href="/organizations" attr:class="menu-item">"Switch organization"</A> })}
                <A href="/support" attr:class="menu-item">"Support"</A>
                {ws.is_operator.then(|| view! { <A href="/support/inbox" attr:class="menu-item">"Support inbox"</A> })}
                <ActionForm action=sign_out>
                    <button type="submit" class="menu-item">"Sign out"</button>
                </ActionForm>
            </div>
        </details>
    }
    .into_any()
}
