//! Sign-up, sign-in, email verification and the account page.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{components::A, hooks::use_query_map};

use crate::auth::functions::{
    current_user, dev_mailbox, list_sessions, ChangeEmail, ChangePassword, ConfirmEmailChange,
    DeleteAccount, EndSession, ForgotPassword, ResendVerification, ResetPassword, SignIn, SignOut,
    SignUp, VerifyEmail,
};
use crate::components::forms::{action_error, CsrfField, FormError};
use crate::domain::{EmailAddress, NewPassword, PersonName};

#[component]
pub(crate) fn PrivateMeta(title: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Ops Intel")/>
        <Meta name="robots" content="noindex"/>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // The browser runs the same rules as the server, for feedback as the user types.
    let name_hint = move || {
        let n = name.get();
        (!n.is_empty())
            .then(|| PersonName::parse(&n).err().map(|e| e.to_string()))
            .flatten()
    };
    let email_hint = move || {
        let e = email.get();
        (!e.is_empty())
            .then(|| EmailAddress::parse(&e).err().map(|e| e.to_string()))
            .flatten()
    };
    let password_hint = move || {
        let p = password.get();
        if p.is_empty() {
            return None;
        }
        let e = EmailAddress::parse(&email.get())
            .unwrap_or_else(|_| EmailAddress::parse("x@x.invalid").expect("valid"));
        NewPassword::parse(&p, &e).err().map(|e| e.to_string())
    };
    // An invitation link passes the invited address along.
    let invited_email = use_query_map()
        .read_untracked()
        .get("email")
        .unwrap_or_default();
    let field_error = move |field: &'static str, hint: Option<String>| {
        error.get().and_then(|e| e.for_field(field)).or(hint)
    };

    view! {
        <PrivateMeta title="Create your account"/>
        <section class="container narrow">
            <h1>"Create your account"</h1>
            <ActionForm action attr:class="stack" attr:novalidate=true>
                <CsrfField/>
                <div class="field">
                    <label for="name">"Your name"</label>
                    <input id="name" name="name" type="text" autocomplete="name" required
                        aria-describedby="name-error"
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p id="name-error" class="field-error" aria-live="polite">{move || field_error("name", name_hint())}</p>
                </div>
                <div class="field">
                    <label for="email">"Email address"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required
                        aria-describedby="email-error" value=invited_email
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                    <p id="email-error" class="field-error" aria-live="polite">{move || field_error("email", email_hint())}</p>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required
                        aria-describedby="password-help password-error"
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                    <p id="password-help" class="muted">"At least 10 characters. A few unrelated words make a strong one."</p>
                    <p id="password-error" class="field-error" aria-live="polite">{move || field_error("password", password_hint())}</p>
                </div>
                <FormError error fields=&["name", "email", "password"]/>
                <button type="submit" class="button primary">"Create account"</button>
            </ActionForm>
            <p>"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <PrivateMeta title="Check your email"/>
        <section class="container narrow">
            <h1>"Check your email"</h1>
            <Show
                when=move || use_query_map().read().get("reset").is_some()
                fallback=|| view! {
                    <p>"If the address you gave can receive a new account, we have sent it a link to \
                        confirm it. The link expires in 24 hours."</p>
                }
            >
                <p>"If the address you gave has an account, we have sent it a link to choose a new \
                    password. The link expires in an hour."</p>
            </Show>
            <p><A href="/sign-in">"Sign in"</A></p>
        </section>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action);
    let verified = move || use_query_map().read().get("verified").is_some();
    let reset = move || use_query_map().read().get("reset").is_some();
    view! {
        <PrivateMeta title="Sign in"/>
        <section class="container narrow">
            <h1>"Sign in"</h1>
            <Show when=verified>
                <p class="notice" role="status">"Your email address is confirmed. Sign in to continue."</p>
            </Show>
            <Show when=reset>
                <p class="notice" role="status">"Your password is changed and every session was signed out. \
                    Sign in with your new password."</p>
            </Show>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="next" value=move || use_query_map().read().get("next").unwrap_or_default()/>
                <div class="field">
                    <label for="email">"Email address"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required/>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                </div>
                <FormError error fields=&[]/>
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p>"New to Ops Intel? " <A href="/sign-up">"Create an account"</A></p>
        </section>
    }
}

/// A link from an email lands here; confirming is a POST, because a GET must never change state.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let error = action_error(action);
    let token = move || use_query_map().read().get("token").unwrap_or_default();
    view! {
        <PrivateMeta title="Confirm your email address"/>
        <section class="container narrow">
            <h1>"Confirm your email address"</h1>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <FormError error fields=&[]/>
                <button type="submit" class="button primary">"Confirm my email address"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let sign_out = ServerAction::<SignOut>::new();
    let resend = ServerAction::<ResendVerification>::new();
    let resend_error = action_error(resend);
    let resent = move || matches!(resend.value().get(), Some(Ok(())));
    view! {
        <PrivateMeta title="Your account"/>
        <section class="container narrow">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) if !u.verified => view! {
                            <h1>"Verify your email address"</h1>
                            <p>"We sent a link to " <strong>{u.email.clone()}</strong>
                               ". Open it to start using Ops Intel."</p>
                            <ActionForm action=resend attr:class="stack">
                                <CsrfField/>
                                <FormError error=resend_error fields=&[]/>
                                <Show when=resent>
                                    <p role="status">"A new link is on its way."</p>
                                </Show>
                                <button type="submit" class="button">"Send a new link"</button>
                            </ActionForm>
                            <SignOutButton action=sign_out/>
                        }.into_any(),
                        Ok(Some(u)) => view! {
                            <h1>"Your account"</h1>
                            <dl class="facts">
                                <dt>"Name"</dt><dd>{u.name.clone()}</dd>
                                <dt>"Email"</dt><dd>{u.email.clone()}</dd>
                            </dl>
                            <SignOutButton action=sign_out/>
                            <ChangePasswordForm/>
                            <ChangeEmailForm/>
                            <SessionsList/>
                            <DeleteAccountForm/>
                        }.into_any(),
                        Ok(None) => view! {
                            <h1>"Your account"</h1>
                            <p>"You are not signed in. " <A href="/sign-in">"Sign in"</A></p>
                        }.into_any(),
                        Err(e) => view! { <h1>"Your account"</h1><p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = action_error(action);
    view! {
        <PrivateMeta title="Reset your password"/>
        <section class="container narrow">
            <h1>"Reset your password"</h1>
            <p>"Enter your account's email address and we will send you a link to choose a new password."</p>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <div class="field">
                    <label for="email">"Email address"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required/>
                    <p class="field-error">{move || error.get().and_then(|e| e.for_field("email"))}</p>
                </div>
                <FormError error fields=&["email"]/>
                <button type="submit" class="button primary">"Send me a link"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    let token = move || use_query_map().read().get("token").unwrap_or_default();
    view! {
        <PrivateMeta title="Choose a new password"/>
        <section class="container narrow">
            <h1>"Choose a new password"</h1>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <div class="field">
                    <label for="password">"New password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required
                        aria-describedby="password-error"/>
                    <p id="password-error" class="field-error">{move || error.get().and_then(|e| e.for_field("password"))}</p>
                </div>
                <FormError error fields=&["password"]/>
                <button type="submit" class="button primary">"Set new password"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action);
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <h2>"Change your password"</h2>
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="current_password">"Current password"</label>
                <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                <p class="field-error">{move || error.get().and_then(|e| e.for_field("current_password"))}</p>
            </div>
            <div class="field">
                <label for="new_password">"New password"</label>
                <input id="new_password" name="new_password" type="password" autocomplete="new-password" required/>
                <p class="field-error">{move || error.get().and_then(|e| e.for_field("new_password"))}</p>
            </div>
            <FormError error fields=&["current_password", "new_password"]/>
            <Show when=done>
                <p role="status">"Password changed. Your other sessions were signed out."</p>
            </Show>
            <button type="submit" class="button">"Change password"</button>
        </ActionForm>
    }
}

#[component]
fn ChangeEmailForm() -> impl IntoView {
    let action = ServerAction::<ChangeEmail>::new();
    let error = action_error(action);
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <h2>"Change your email address"</h2>
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="new_email">"New email address"</label>
                <input id="new_email" name="new_email" type="email" autocomplete="email" required/>
                <p class="field-error">{move || error.get().and_then(|e| e.for_field("new_email"))}</p>
            </div>
            <div class="field">
                <label for="email_password">"Your password"</label>
                <input id="email_password" name="password" type="password" autocomplete="current-password" required/>
                <p class="field-error">{move || error.get().and_then(|e| e.for_field("password"))}</p>
            </div>
            <FormError error fields=&["new_email", "password"]/>
            <Show when=done>
                <p role="status">"We sent a link to the new address. Your email changes when you open it."</p>
            </Show>
            <button type="submit" class="button">"Change email address"</button>
        </ActionForm>
    }
}

#[component]
fn DeleteAccountForm() -> impl IntoView {
    let action = ServerAction::<DeleteAccount>::new();
    let error = action_error(action);
    view! {
        <h2>"Delete your account"</h2>
        <p>"This deletes your account and signs you out everywhere. It cannot be undone."</p>
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="delete_password">"Your password"</label>
                <input id="delete_password" name="password" type="password" autocomplete="current-password" required/>
                <p class="field-error">{move || error.get().and_then(|e| e.for_field("password"))}</p>
            </div>
            <FormError error fields=&["password"]/>
            <button type="submit" class="button danger">"Delete my account"</button>
        </ActionForm>
    }
}

#[component]
pub fn ConfirmEmailChangePage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailChange>::new();
    let error = action_error(action);
    let token = move || use_query_map().read().get("token").unwrap_or_default();
    view! {
        <PrivateMeta title="Confirm your new email address"/>
        <section class="container narrow">
            <h1>"Confirm your new email address"</h1>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <FormError error fields=&[]/>
                <button type="submit" class="button primary">"Confirm my new address"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn SessionsList() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(move || end.version().get(), |_| list_sessions());
    let error = action_error(end);
    view! {
        <h2>"Where you are signed in"</h2>
        <FormError error fields=&[]/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Ok(list) => view! {
                        <ul class="sessions">
                            {list.into_iter().map(|s| view! {
                                <li class="card" data-current=s.current.to_string()>
                                    <strong>{s.device}</strong>
                                    {s.current.then_some(view! { " " <span class="badge">"This device"</span> })}
                                    <p class="muted">{s.ip} " · last seen " {s.last_seen}</p>
                                    {(!s.current).then(|| view! {
                                        <ActionForm action=end>
                                            <CsrfField/>
                                            <input type="hidden" name="id" value=s.id.clone()/>
                                            <button type="submit" class="button">"Sign out this session"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <ActionForm action=end attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="id" value="others"/>
            <button type="submit" class="button">"Sign out all other sessions"</button>
        </ActionForm>
    }
}

#[component]
fn SignOutButton(action: ServerAction<SignOut>) -> impl IntoView {
    view! {
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <button type="submit" class="button">"Sign out"</button>
        </ActionForm>
    }
}

/// Development only: the emails the app would have sent, with their links.
#[component]
pub fn DevMailboxPage() -> impl IntoView {
    let emails = Resource::new(|| (), |_| dev_mailbox());
    view! {
        <PrivateMeta title="Development mailbox"/>
        <section class="container">
            <h1>"Development mailbox"</h1>
            <p class="muted">"Emails are kept here instead of being sent, because no SendGrid key is configured."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match emails.await {
                        Ok(list) if list.is_empty() => view! { <p>"No emails yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ol class="mailbox">
                                {list.into_iter().map(|m| view! {
                                    <li class="card">
                                        <h2>{m.subject}</h2>
                                        <p class="muted">"To " {m.to} " · " {m.created_at}</p>
                                        <EmailBody text=m.text_body/>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Plain text with its http(s) links made clickable; everything is rendered as text, never HTML.
#[component]
fn EmailBody(text: String) -> impl IntoView {
    let lines = text
        .lines()
        .map(|line| {
            let words = line
                .split(' ')
                .map(|w| {
                    if w.starts_with("http://") || w.starts_with("https://") {
                        view! { <a href=w.to_string()>{w.to_string()}</a>" " }.into_any()
                    } else {
                        view! { {format!("{w} ")} }.into_any()
                    }
                })
                .collect_view();
            view! { <span class="line">{words}</span><br/> }
        })
        .collect_view();
    view! { <p class="email-body">{lines}</p> }
}
