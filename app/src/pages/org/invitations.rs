//! The members page's invitations: sending one, and the ones still waiting.

use leptos::prelude::*;

use super::{grantable_roles, org, RoleSelect};
use crate::{
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
        moment::When,
    },
    error::AppError,
    org::{
        functions::{InviteMember, ResendInvitation, RevokeInvitation},
        InvitationInfo, OrgContext,
    },
};

#[component]
pub(super) fn InviteForm(ctx: OrgContext, invite: ServerAction<InviteMember>) -> impl IntoView {
    let invite_error = action_error(invite);
    let invited = move || matches!(invite.value().get(), Some(Ok(())));
    let roles = grantable_roles(ctx.role);
    view! {
        <h2>"Invite someone"</h2>
        <ActionForm action=invite attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=ctx.slug/>
            <div class="field">
                <label for="invite-email">"Email address"</label>
                <input id="invite-email" name="form[email]" type="email" required/>
                <FieldError error=invite_error field="email"/>
            </div>
            <div class="field">
                <label for="invite-role">"Role"</label>
                <RoleSelect id="invite-role".into() name="form[role]" roles selected=None/>
            </div>
            <FormError error=invite_error fields=&["email"]/>
            <Show when=invited>
                <p role="status">"Invitation sent. The link works for 7 days."</p>
            </Show>
            <button type="submit" class="button primary">"Send invitation"</button>
        </ActionForm>
    }
}

#[component]
pub(super) fn PendingInvitations(
    invitations: Resource<Result<Vec<InvitationInfo>, AppError>>,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let invitation_error = Signal::derive(move || {
        action_error(resend)
            .get()
            .or_else(|| action_error(revoke).get())
    });
    view! {
        <h2>"Pending invitations"</h2>
        <FormError error=invitation_error fields=&[]/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match invitations.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No invitations waiting."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="invitations">
                            {list.into_iter().map(|invitation| view! {
                                <PendingInvitation invitation resend revoke/>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PendingInvitation(
    invitation: InvitationInfo,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let i = invitation;
    let (slug_a, slug_b) = (org().slug, org().slug);
    let id_a = i.id.clone();
    view! {
        <li class="card" data-email=i.email.clone()>
            <strong>{i.email.clone()}</strong> " · " {i.role.label()}
            <p class="muted">
                "Invited by " {i.invited_by} " · sent " <When at=i.sent/> " · "
                {if i.expired { "expired " } else { "expires " }} <When at=i.expires/>
            </p>
            <div class="row-actions">
                <ActionForm action=resend attr:class="inline">
                    <CsrfField/>
                    <input type="hidden" name="slug" value=slug_a/>
                    <input type="hidden" name="invitation_id" value=id_a/>
                    <button type="submit" class="button">"Resend"</button>
                </ActionForm>
                <ActionForm action=revoke attr:class="inline">
                    <CsrfField/>
                    <input type="hidden" name="slug" value=slug_b/>
                    <input type="hidden" name="invitation_id" value=i.id/>
                    <button type="submit" class="button danger">"Revoke"</button>
                </ActionForm>
            </div>
        </li>
    }
}
