use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::sign_up::{sign_up_link, ConfirmSignUp, SignUp, LINK_HOURS};
use super::SignIn;
use crate::error::AppError;
use crate::ui::{AuthCard, error_of, typed, FieldError, FormError, Notice, Submit};

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = error_of(action);
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in" />
        <AuthCard>
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
                <Submit label="Sign in" busy="Signing in…" />
            </ActionForm>
            <super::security_pages::PasskeySignIn />
            <p class="auth-switch"><A href="/forgot-password">"Forgot password?"</A></p>
            <p class="auth-switch">"New to Xops 360? " <A href="/signup">"Create an account"</A></p>
        </AuthCard>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = error_of(action);
    view! {
        <Title text="Create your account" />
        <AuthCard>
            <h1>"Create your account"</h1>
            <p class="muted">"This creates your organization in Xops 360, with you as its first user. We send a link to your email address to confirm it; you choose your password there."</p>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <label for="organization">"Organization name"</label>
                <input id="organization" name="organization" type="text" autocomplete="organization" maxlength="100" required value=typed("organization") />
                <FieldError error field="organization" />
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" required value=typed("email") />
                <FieldError error field="email" />
                <FormError error />
                <Submit label="Create account" busy="Sending the link…" />
            </ActionForm>
            <p class="auth-switch">"Already have an account? " <A href="/signin">"Sign in"</A></p>
        </AuthCard>
    }
}

/// Where sign-up lands, whatever the address: the same words whether or not it has an account.
#[component]
pub fn SignUpSentPage() -> impl IntoView {
    view! {
        <Title text="Check your inbox" />
        <AuthCard>
            <h1>"Check your inbox"</h1>
            <p role="status">"We have sent a message to the address you gave. Open the link in it to choose your password and finish creating your account."</p>
            <p class="muted">{format!("The link works for {LINK_HOURS} hours. Nothing arrived within a few minutes? Look in your spam folder, or sign up again.")}</p>
            <p class="auth-switch">"Already have an account? " <A href="/signin">"Sign in"</A></p>
        </AuthCard>
    }
}

/// The sign-up link's page: the password is chosen here, by whoever holds the mailbox.
#[component]
pub fn ConfirmSignUpPage() -> impl IntoView {
    let action = ServerAction::<ConfirmSignUp>::new();
    let error = error_of(action);
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let pending = Resource::new(token, sign_up_link);
    view! {
        <Title text="Choose your password" />
        <AuthCard>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(sign_up) => view! {
                            <h1>"Choose your password"</h1>
                            <p class="muted">{format!("You are creating the organization \"{}\" as {}.", sign_up.organization, sign_up.email)}</p>
                            <ActionForm action=action attr:class="form" attr:novalidate=true>
                                <input type="hidden" name="token" value=token />
                                <input type="email" name="email" autocomplete="username" value=sign_up.email hidden />
                                <label for="password">"Password"</label>
                                <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required />
                                <p class="hint">"8 to 128 characters. A long passphrase is best."</p>
                                <FieldError error field="password" />
                                <FieldError error field="token" />
                                <FormError error />
                                <Submit label="Create account" busy="Creating your account…" />
                            </ActionForm>
                        }.into_any(),
                        Err(AppError::NotFound(_)) => view! {
                            <h1>"This link no longer works"</h1>
                            <p role="alert">"It has expired or was already used."</p>
                            <p class="auth-switch"><A href="/signup">"Sign up again"</A>" or "<A href="/signin">"sign in"</A></p>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// /forgot-password: the address to mail a reset link to.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<super::recovery::ForgotPassword>::new();
    let error = error_of(action);
    view! {
        <Title text="Forgot password" />
        <AuthCard>
            <h1>"Forgot password"</h1>
            <p class="muted">"We mail a link to choose a new password to this address, if it has an account."</p>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required value=typed("email") />
                <FieldError error field="email" />
                <FormError error />
                <Submit label="Send the link" busy="Sending…" />
            </ActionForm>
            <p class="auth-switch"><A href="/signin">"Back to sign in"</A></p>
        </AuthCard>
    }
}

/// Where Forgot password lands, whatever the address: the same words either way.
#[component]
pub fn ForgotPasswordSentPage() -> impl IntoView {
    view! {
        <Title text="Check your inbox" />
        <AuthCard>
            <h1>"Check your inbox"</h1>
            <p role="status">{format!(
                "If the address has an account, a link to choose a new password is on its way. It works once, for {} minutes.",
                super::recovery::RESET_MINUTES
            )}</p>
            <p class="auth-switch"><A href="/signin">"Back to sign in"</A></p>
        </AuthCard>
    }
}

/// /reset-password/:token, the mailed link: a new password for whoever holds the mailbox.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<super::recovery::ResetPassword>::new();
    let error = error_of(action);
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let email = Resource::new(token, super::recovery::reset_link);
    view! {
        <Title text="Choose a new password" />
        <AuthCard>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match email.await {
                        Ok(email) => view! {
                            <h1>"Choose a new password"</h1>
                            <p class="muted">{format!("For {email}. Every session of the account ends; you sign in again.")}</p>
                            <ActionForm action=action attr:class="form" attr:novalidate=true>
                                <input type="hidden" name="token" value=token />
                                <input type="email" name="email" autocomplete="username" value=email hidden />
                                <label for="password">"New password"</label>
                                <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required />
                                <p class="hint">"8 to 128 characters. A long passphrase is best."</p>
                                <FieldError error field="password" />
                                <FieldError error field="token" />
                                <FormError error />
                                <Submit label="Set password" busy="Saving…" />
                            </ActionForm>
                        }.into_any(),
                        Err(err) => view! {
                            <h1>"This link no longer works"</h1>
                            <p role="alert">{err.to_string()}</p>
                            <p class="auth-switch"><A href="/forgot-password">"Ask for a new link"</A></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}
