//! `/invite/{token}`: an invitation link, showing who invited you to what and how to accept.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use crate::{
    auth::{functions::current_user, UserSummary},
    components::{
        address::percent_encode,
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
    org::{
        functions::{show_invitation, AcceptInvitation},
        InvitationDetails,
    },
};

fn token() -> String {
    use_params_map().read().get("token").unwrap_or_default()
}

/// An invitation link: who invited you to what, and how to accept.
#[component]
pub fn InvitePage() -> impl IntoView {
    let details = Resource::new(token, show_invitation);
    let user = Resource::new(|| (), |_| current_user());
    let accept = ServerAction::<AcceptInvitation>::new();
    view! {
        <PrivateMeta title="Invitation"/>
        <section class="container narrow">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match details.await {
                        Ok(d) => d,
                        Err(e) => return view! { <h1>"Invitation"</h1><p role="alert">{e.to_string()}</p> }.into_any(),
                    };
                    let heading = format!("Join {}", d.org_name);
                    let intro = format!("{} invited {} to join {} as {}.", d.invited_by, d.email, d.org_name, d.role.label());
                    let user = user.await;
                    view! {
                        <h1>{heading}</h1>
                        <p>{intro}</p>
                        <HowToAccept details=d user accept/>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// Accepting needs the invited address signed in: a button for them, a way there for anyone else.
#[component]
fn HowToAccept(
    details: InvitationDetails,
    user: Result<Option<UserSummary>, crate::error::AppError>,
    accept: ServerAction<AcceptInvitation>,
) -> impl IntoView {
    let d = details;
    let here = format!("/invite/{}", token());
    match user {
        Ok(Some(u)) if u.email.eq_ignore_ascii_case(&d.email) => {
            let accept_error = action_error(accept);
            view! {
                <ActionForm action=accept attr:class="stack">
                    <CsrfField/>
                    <input type="hidden" name="token" value=token()/>
                    <FormError error=accept_error fields=&[]/>
                    <button type="submit" class="button primary">"Accept invitation"</button>
                </ActionForm>
            }
            .into_any()
        }
        Ok(Some(u)) => view! {
            <p role="alert">{format!("You are signed in as {}. Sign out, then sign in as {} to accept.", u.email, d.email)}</p>
            <p><A href="/account">"Your account"</A></p>
        }
        .into_any(),
        _ => view! {
            <p>"Sign in with " <strong>{d.email.clone()}</strong> " to accept, or create an account with that address first."</p>
            <p class="row-actions">
                <a class="button primary" href=format!("/sign-in?next={}", percent_encode(&here))>"Sign in"</a>
                <a class="button" href=format!("/sign-up?email={}", percent_encode(&d.email))>"Create an account"</a>
            </p>
        }
        .into_any(),
    }
}
