use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::{SignIn, SignUp};
use crate::ui::{error_of, typed, FieldError, FormError, Notice, Submit};

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = error_of(action);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand-mark">"Xops 360"</p>
                <h1>"Log in to the Platform"</h1>
                <Notice />
                <ActionForm action=action attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="next" value=next />
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required value=typed("email") />
                    <FieldError error field="email" />
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required />
                    <FieldError error field="password" />
                    <FormError error />
                    <Submit pending=action.pending().into() label="Sign in" busy="Signing in…" />
                </ActionForm>
                <p class="auth-switch">"New to Xops 360? " <A href="/signup">"Create an account"</A></p>
            </div>
        </main>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = error_of(action);
    view! {
        <Title text="Create your account" />
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand-mark">"Xops 360"</p>
                <h1>"Create your account"</h1>
                <p class="muted">"This creates your organization in Xops 360, with you as its first user."</p>
                <ActionForm action=action attr:class="form" attr:novalidate=true>
                    <label for="organization">"Organization name"</label>
                    <input id="organization" name="organization" type="text" autocomplete="organization" maxlength="100" required value=typed("organization") />
                    <FieldError error field="organization" />
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required value=typed("email") />
                    <FieldError error field="email" />
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required />
                    <p class="hint">"8 to 128 characters. A long passphrase is best."</p>
                    <FieldError error field="password" />
                    <FormError error />
                    <Submit pending=action.pending().into() label="Create account" busy="Creating your account…" />
                </ActionForm>
                <p class="auth-switch">"Already have an account? " <A href="/signin">"Sign in"</A></p>
            </div>
        </main>
    }
}
