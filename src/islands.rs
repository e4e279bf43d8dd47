//! The pieces of the portal that run in the browser: Leptos islands. Every page is rendered on
//! the server and works as plain HTML (forms post, links navigate); only these components ship
//! code, and each one adds to HTML that already works without it. An island takes serialisable
//! props (no signals, no context from the page around it), and its `children` stay server HTML.
//! Anything else, however interactive it looks, is not an island: see README, "Islands".
use leptos::prelude::*;

/// An open dialog made modal: focus inside, Tab kept in, and Escape closing it in place: the
/// dialog goes, the page behind is usable again, the address becomes `close` and the focus goes
/// back to what opened it (`[data-opens=opener]`). Without JavaScript the server renders it open
/// over an inert page, and its Close link leads to `close`.
#[island]
pub fn ModalDialog(close: String, opener: String, children: Children) -> impl IntoView {
    let node = NodeRef::<leptos::html::Dialog>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(dialog) = node.get() {
            if !dialog.matches(":modal").unwrap_or(false) {
                dialog.close();
                let _ = dialog.show_modal();
            }
        }
    });
    let keep_tab_inside = move |ev: leptos::ev::KeyboardEvent| {
        #[cfg(feature = "hydrate")]
        browser::keep_tab_inside(node, &ev);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_escape = move |ev: leptos::ev::Event| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        browser::close_in_place(node, &close, &opener);
        #[cfg(not(feature = "hydrate"))]
        let _ = (&close, &opener);
    };
    view! {
        <dialog node_ref=node open=true class="dialog" aria-labelledby="dialog-title" aria-modal="true" on:cancel=on_escape on:keydown=keep_tab_inside>
            {children()}
        </dialog>
    }
}

/// A submit button that says it is working once its form is sent, and cannot be pressed twice.
/// With `progress` (a server function's path, `?`, its form body), it also asks that function
/// every two seconds, while the form is sent, for a sentence saying how the work goes, shown
/// beside it.
#[island]
pub fn Submit(
    #[prop(into)] label: String,
    #[prop(into)] busy: String,
    /// A destructive action: drawn in the danger style.
    #[prop(optional)]
    danger: Option<bool>,
    #[prop(optional_no_strip)]
    progress: Option<String>,
) -> impl IntoView {
    let class = if danger == Some(true) { "btn btn-danger" } else { "btn btn-primary" };
    let (sending, set_sending) = signal(false);
    let (disabled, set_disabled) = signal(false);
    let said = RwSignal::new(None::<String>);
    let watched = progress.is_some();
    #[cfg(feature = "hydrate")]
    if let Some(progress) = progress {
        Effect::new(move |_| {
            if !sending.get() {
                return;
            }
            said.track();
            let progress = progress.clone();
            let _ = set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        let (path, form) = progress.split_once('?').unwrap_or((&progress, ""));
                        said.set(call_server::<Option<String>>(path, form).await.flatten())
                    })
                },
                std::time::Duration::from_secs(2),
            );
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = progress;
    let on_click = move |_| {
        set_sending.set(true);
        // Disabled after the click has sent the form (a button disabled during its own click
        // sends nothing).
        let _ = set_timeout(move || set_disabled.set(true), std::time::Duration::ZERO);
    };
    view! {
        <button type="submit" class=class on:click=on_click disabled=move || disabled.get() aria-busy=move || sending.get().to_string()>
            {move || if sending.get() { busy.clone() } else { label.clone() }}
        </button>
        {watched.then(|| view! {
            // Never an empty text node: the browser drops those, and hydrating would miss it.
            <p class="hint work-progress" role="status" hidden=move || said.with(Option::is_none)>
                {move || said.get().unwrap_or_else(|| " ".to_string())}
            </p>
        })}
    }
}

/// The submit button of a form that deletes something: enabled only once the field `field`
/// holds `expected` exactly (the server checks it again; without JavaScript the button is
/// always enabled and a wrong name comes back as the field's error).
#[island]
pub fn ConfirmByName(expected: String, #[prop(into)] field: String, #[prop(into)] label: String) -> impl IntoView {
    let (typed, set_typed) = signal(String::new());
    #[cfg(feature = "hydrate")]
    browser::on_input_of(&field, move |value| set_typed.set(value));
    #[cfg(not(feature = "hydrate"))]
    let _ = (&field, set_typed);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <button type="submit" class="btn btn-danger" disabled=move || hydrated.get() && typed.get().trim() != expected>
            {label}
        </button>
    }
}

/// A Copy button for `text`.
#[island]
pub fn CopyButton(text: String) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&text);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
        set_copied.set(true);
    };
    view! {
        <button type="button" class="btn btn-small" on:click=copy aria-live="polite">
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// Starts downloading `url` as soon as the page is up (a page a form led back to with a file to
/// fetch; without JavaScript a `<noscript>` refresh does it).
#[island]
pub fn StartDownload(url: String) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::start_download(&url));
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// A filter over the page's rows (`[data-filter]`): those whose text does not contain what is
/// typed are hidden. Without JavaScript the field is not shown and every row is.
#[island]
pub fn RowFilter(#[prop(into)] label: String) -> impl IntoView {
    let on_input = move |ev: leptos::ev::Event| {
        let wanted = event_target_value(&ev).to_lowercase();
        #[cfg(feature = "hydrate")]
        browser::filter_rows(&wanted);
        #[cfg(not(feature = "hydrate"))]
        let _ = wanted;
    };
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <input type="search" class="filter" placeholder=label.clone() aria-label=label hidden=move || !hydrated.get() on:input=on_input />
    }
}

/// Calls the server function at `path` with `form` (urlencoded) and reads its JSON answer; None
/// if it failed. The framework's own client for server functions costs every page about 10 KB
/// of compressed wasm, for the one island that asks the server anything.
#[cfg(feature = "hydrate")]
pub async fn call_server<T: serde::de::DeserializeOwned>(path: &str, form: &str) -> Option<T> {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    let headers = leptos::web_sys::Headers::new().ok()?;
    headers.set("Content-Type", "application/x-www-form-urlencoded").ok()?;
    headers.set("Accept", "application/json").ok()?;
    let init = leptos::web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(form));
    let response: leptos::web_sys::Response =
        JsFuture::from(window().fetch_with_str_and_init(path, &init)).await.ok()?.dyn_into().ok()?;
    if !response.ok() {
        return None;
    }
    let text = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

/// What the islands do to the page, in the browser only.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlElement};

    pub fn keep_tab_inside(node: NodeRef<leptos::html::Dialog>, ev: &leptos::ev::KeyboardEvent) {
        let Some(dialog) = node.get() else { return };
        if ev.key() != "Tab" {
            return;
        }
        let selector = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), textarea, select, summary";
        let Ok(list) = dialog.query_selector_all(selector) else { return };
        let item = |i: u32| list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok());
        let (Some(first), Some(last)) = (item(0), item(list.length().saturating_sub(1))) else { return };
        let active = document().active_element();
        let at = |e: &HtmlElement| active.as_ref().is_some_and(|a| a == e.unchecked_ref::<Element>());
        if ev.shift_key() && at(&first) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && at(&last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }

    pub fn close_in_place(node: NodeRef<leptos::html::Dialog>, close: &str, opener: &str) {
        if let Some(dialog) = node.get() {
            dialog.close();
            dialog.remove();
        }
        if let Ok(Some(shell)) = document().query_selector(".shell") {
            let _ = shell.remove_attribute("inert");
        }
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(close));
        }
        let opener = document().query_selector(&format!("[data-opens=\"{opener}\"]")).ok().flatten();
        if let Some(opener) = opener.and_then(|o| o.dyn_into::<HtmlElement>().ok()) {
            let _ = opener.focus();
        }
    }

    /// Calls `then` with the value of the field `id` each time it changes.
    pub fn on_input_of(id: &str, then: impl Fn(String) + 'static) {
        let Some(input) = document().get_element_by_id(id) else { return };
        let handler = leptos::wasm_bindgen::closure::Closure::<dyn Fn(leptos::web_sys::Event)>::new(move |ev| {
            then(event_target_value(&ev));
        });
        let _ = input.add_event_listener_with_callback("input", handler.as_ref().unchecked_ref());
        // The field lives as long as the page.
        handler.forget();
    }

    pub fn start_download(url: &str) {
        let anchor = document().create_element("a").ok().and_then(|a| a.dyn_into::<leptos::web_sys::HtmlAnchorElement>().ok());
        if let Some(anchor) = anchor {
            anchor.set_href(url);
            anchor.set_download("");
            anchor.click();
        }
    }

    pub fn filter_rows(wanted: &str) {
        let Ok(list) = document().query_selector_all("[data-filter]") else { return };
        for i in 0..list.length() {
            let Some(row) = list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else { continue };
            let text = row.get_attribute("data-filter").unwrap_or_default().to_lowercase();
            row.set_hidden(!wanted.is_empty() && !text.contains(wanted));
        }
    }
}
