//! `/o/{slug}/members`: the members and their roles, invitations for those who may invite, and
//! leaving the organisation.

use leptos::prelude::*;

use super::{
    grantable_roles,
    invitations::{InviteForm, PendingInvitations},
    org, RoleSelect,
};
use crate::{
    components::forms::{action_error, CsrfField, FormError},
    org::{
        functions::{
            list_invitations, list_members, ChangeRole, InviteMember, LeaveOrganisation,
            RemoveMember, ResendInvitation, RevokeInvitation,
        },
        MemberInfo, OrgContext,
    },
    roles::{Permission, Role},
};

#[component]
pub fn MembersPage() -> impl IntoView {
    let ctx = org();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let leave = ServerAction::<LeaveOrganisation>::new();
    let invite = ServerAction::<InviteMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    // Each list reloads after any action that changes it.
    let slug = ctx.slug.clone();
    let members = Resource::new(
        move || (change.version().get(), remove.version().get()),
        move |_| list_members(slug.clone()),
    );
    let slug = ctx.slug.clone();
    let can_invite = ctx.role.allows(Permission::InviteMembers);
    let invitations = Resource::new(
        move || {
            (
                invite.version().get(),
                resend.version().get(),
                revoke.version().get(),
            )
        },
        move |_| {
            let slug = slug.clone();
            async move {
                if can_invite {
                    list_invitations(slug).await
                } else {
                    Ok(Vec::new())
                }
            }
        },
    );
    let member_error = Signal::derive(move || {
        action_error(change)
            .get()
            .or_else(|| action_error(remove).get())
            .or_else(|| action_error(leave).get())
    });
    let ctx_rows = ctx.clone();
    let leave_slug = ctx.slug.clone();
    view! {
        <h1>"Members"</h1>
        <FormError error=member_error fields=&[]/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let ctx = ctx_rows.clone();
                Suspend::new(async move {
                    match members.await {
                        Ok(list) => view! { <MemberTable ctx list change remove/> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
        {can_invite.then(|| view! {
            <InviteForm ctx=ctx.clone() invite/>
            <PendingInvitations invitations resend revoke/>
        })}
        {(ctx.role != Role::Owner).then(|| view! { <LeaveForm slug=leave_slug action=leave/> })}
    }
}

#[component]
fn MemberTable(
    ctx: OrgContext,
    list: Vec<MemberInfo>,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    view! {
        <table class="table">
            <caption class="visually-hidden">"Members and their roles"</caption>
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Two-factor"</th><th scope="col">"Actions"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|m| {
                    let manage = can_manage(&ctx, &m);
                    let row = (m.email.clone(), m.name.clone(), m.email.clone(), m.role.label());
                    let two_factor = if m.two_factor { "On" } else { "Off" };
                    view! {
                        <tr data-email=row.0>
                            <td>{row.1}</td>
                            <td>{row.2}</td>
                            <td>{row.3}</td>
                            <td data-testid="two-factor">{two_factor}</td>
                            <td>{manage.then(|| view! { <MemberActions ctx=ctx.clone() member=m change remove/> })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Whether the viewer may change or remove this member: the matrix, and never the Owner or oneself.
fn can_manage(ctx: &OrgContext, member: &MemberInfo) -> bool {
    ctx.role.allows(Permission::InviteMembers)
        && member.role != Role::Owner
        && member.user_id != ctx.user_id
        && (member.role != Role::Admin || ctx.role.allows(Permission::ManageAdmins))
}

/// Change the role of, or remove, one member.
#[component]
fn MemberActions(
    ctx: OrgContext,
    member: MemberInfo,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let select_id = format!("role-{}", member.user_id);
    let (slug, user_id) = (ctx.slug.clone(), member.user_id.clone());
    let roles = grantable_roles(ctx.role);
    let (role_label, remove_label) = (
        format!("Role for {}", member.name),
        format!("Remove {}", member.name),
    );
    view! {
        <div class="row-actions">
            <ActionForm action=change attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="form[user_id]" value=user_id/>
                <label class="visually-hidden" for=select_id.clone()>{role_label}</label>
                <RoleSelect id=select_id name="form[role]" roles selected=Some(member.role)/>
                <button type="submit" class="button">"Change role"</button>
            </ActionForm>
            <ActionForm action=remove attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="slug" value=ctx.slug/>
                <input type="hidden" name="user_id" value=member.user_id/>
                <button type="submit" class="button danger" aria-label=remove_label>"Remove"</button>
            </ActionForm>
        </div>
    }
}

/// Anyone but the Owner may leave; the Owner transfers ownership first.
#[component]
fn LeaveForm(slug: String, action: ServerAction<LeaveOrganisation>) -> impl IntoView {
    view! {
        <h2>"Leave this organisation"</h2>
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <button type="submit" class="button danger">"Leave organisation"</button>
        </ActionForm>
    }
}
