//! /audit: the trail as a table, its filters as a plain GET form (so it works without
//! JavaScript and every filtered view has an address), Older, and Download CSV.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{audit_trail, Filters, TrailPage, ACTIONS};

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let map = query.read();
        Filters::from_pairs(Filters::FIELDS.iter().filter_map(|k| map.get_str(k).map(|v| (*k, v))))
    });
    let before = Memo::new(move |_| query.read().get("before"));
    let trail = Resource::new(
        move || (filters.get(), before.get()),
        |(f, before)| audit_trail(f.member, f.action, f.account, f.from, f.to, before),
    );
    view! {
        <Title text="Audit log" />
        <section class="page">
            <h1>"Audit log"</h1>
            <p class="muted">"Who did what in this organization, newest first: members, and Xops itself (scheduled checks, notifications, support). Times are UTC."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let f = filters.get_untracked();
                    match trail.await {
                        Ok(trail) => trail_view(trail, f).into_any(),
                        Err(err) => view! {
                            {filter_form(&f, &[], &[])}
                            <p class="form-error" role="alert">{err.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn filter_form(f: &Filters, members: &[(String, String)], accounts: &[(i64, String)]) -> impl IntoView {
    let option = |value: String, label: String, current: &str| {
        let selected = value == current;
        view! { <option value=value selected=selected>{label}</option> }
    };
    view! {
        <form method="get" action="/audit" class="filters audit-filters">
            <label for="member">"Member"</label>
            <select id="member" name="member">
                <option value="">"Anyone"</option>
                {members.iter().map(|(v, l)| option(v.clone(), l.clone(), &f.member)).collect_view()}
            </select>
            <label for="action">"Action"</label>
            <select id="action" name="action">
                <option value="">"Any"</option>
                {ACTIONS.iter().map(|(v, l)| option(v.to_string(), l.to_string(), &f.action)).collect_view()}
            </select>
            <label for="account">"Account"</label>
            <select id="account" name="account">
                <option value="">"Any"</option>
                {accounts.iter().map(|(id, name)| option(id.to_string(), name.clone(), &f.account)).collect_view()}
            </select>
            <label for="from">"From"</label>
            <input id="from" name="from" type="date" value=f.from.clone() />
            <label for="to">"To"</label>
            <input id="to" name="to" type="date" value=f.to.clone() />
            <button type="submit" class="btn">"Filter"</button>
            <a href="/audit" class="btn btn-small">"Clear"</a>
        </form>
    }
}

fn trail_view(trail: TrailPage, f: Filters) -> impl IntoView {
    let query = f.to_query();
    let csv = if query.is_empty() { "/audit/export.csv".to_string() } else { format!("/audit/export.csv?{query}") };
    let older = trail.older.map(|cursor| {
        let sep = if query.is_empty() { String::new() } else { format!("{query}&") };
        format!("/audit?{sep}before={cursor}")
    });
    view! {
        {filter_form(&f, &trail.members, &trail.accounts)}
        <p class="audit-export"><a href=csv class="btn btn-small" download>"Download CSV"</a>
            <span class="muted">" Every row these filters match, not only this page."</span></p>
        {if trail.rows.is_empty() {
            view! { <p class="muted">"Nothing recorded matches these filters."</p> }.into_any()
        } else {
            view! {
                <table class="audit">
                    <thead><tr>
                        <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                        <th scope="col">"Account"</th><th scope="col">"Detail"</th><th scope="col">"From"</th>
                    </tr></thead>
                    <tbody>
                        {trail.rows.into_iter().map(|r| view! {
                            <tr>
                                <td>{r.when}</td><td>{r.who}</td><td>{r.what}</td>
                                <td>{r.account}</td><td>{r.detail}</td><td><code>{r.from}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {older.map(|href| view! { <nav class="pager" aria-label="Pages"><a href=href class="btn btn-small">"Older"</a></nav> })}
    }
}
