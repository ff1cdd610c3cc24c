//! Organisation pages: the list and creation form, and under `/o/{slug}/` the shell with the
//! switcher, members and invitations, settings and the audit log. What each page offers comes
//! from the same roles matrix the server enforces.

use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, Redirect, A},
    hooks::{use_location, use_params_map, use_query_map},
};

use crate::{
    components::{
        address::{percent_encode, query_string},
        forms::{action_error, CsrfField, FormError},
        problem::{set_status, LoadProblem},
    },
    domain::Slug,
    org::{
        functions::{
            current_org, list_invitations, list_members, list_organisations, AcceptInvitation,
            ChangeRole, CreateOrganisation, DeleteOrganisation, ExportAuditCsv, InviteMember,
            LeaveOrganisation, RemoveMember, ResendInvitation, RevokeInvitation, TransferOwnership,
            UpdateSettings,
        },
        AuditPage as AuditEntries, MemberInfo, OrgContext,
    },
    pages::auth::PrivateMeta,
    roles::{Permission, Role},
};

#[component]
pub fn OrganisationsPage() -> impl IntoView {
    let create = ServerAction::<CreateOrganisation>::new();
    let error = action_error(create);
    let orgs = Resource::new(|| (), |_| list_organisations());
    let name = RwSignal::new(String::new());
    let slug_hint = move || {
        let n = name.get();
        (!n.trim().is_empty())
            .then(|| format!("Leave empty to use /o/{}", Slug::derive(&n).as_str()))
    };
    let deleted = move || use_query_map().read().get("deleted").is_some();
    view! {
        <PrivateMeta title="Your organisations"/>
        <section class="container narrow">
            <Show when=deleted>
                <p class="notice" role="status">"The organisation and everything in it was deleted."</p>
            </Show>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match orgs.await {
                        Ok(list) => view! {
                            <h1>"Your organisations"</h1>
                            {if list.is_empty() {
                                view! { <p>"You do not belong to an organisation yet. Create one below, or ask a colleague to invite you."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="org-list">
                                        {list.into_iter().map(|o| view! {
                                            <li class="card">
                                                <A href=format!("/o/{}/members", o.slug)>{o.name}</A>
                                                " " <span class="badge">{o.role.label()}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Transition>
            <h2>"Create an organisation"</h2>
            <ActionForm action=create attr:class="stack">
                <CsrfField/>
                <div class="field">
                    <label for="org-name">"Name"</label>
                    <input id="org-name" name="name" type="text" required maxlength="100"
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p class="field-error">{move || error.get().and_then(|e| e.for_field("name"))}</p>
                </div>
                <div class="field">
                    <label for="org-slug">"Address (optional)"</label>
                    <input id="org-slug" name="slug" type="text" maxlength="40" aria-describedby="org-slug-help"/>
                    <p id="org-slug-help" class="muted">{move || slug_hint().unwrap_or_else(|| "Lowercase letters, digits and hyphens.".into())}</p>
                    <p class="field-error">{move || error.get().and_then(|e| e.for_field("slug"))}</p>
                </div>
                <FormError error fields=&["name", "slug"]/>
                <button type="submit" class="button primary">"Create organisation"</button>
            </ActionForm>
        </section>
    }
}

fn slug_param() -> String {
    use_params_map().read().get("slug").unwrap_or_default()
}

/// The frame of every organisation page. It resolves the organisation (redirecting an old slug
/// to the current one) and provides [`OrgContext`] to the page inside.
#[component]
pub fn OrgShell() -> impl IntoView {
    let ctx = Resource::new(slug_param, current_org);
    let orgs = Resource::new(|| (), |_| list_organisations());
    view! {
        <PrivateMeta title="Organisation"/>
        <section class="container">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match ctx.await {
                        Ok(ctx) if ctx.slug != slug_param() => {
                            let path = use_location().pathname.get_untracked();
                            let rest = path.splitn(4, '/').nth(3).unwrap_or("members").to_string();
                            view! { <Redirect path=format!("/o/{}/{rest}", ctx.slug)/> }.into_any()
                        }
                        Ok(ctx) => {
                            provide_context(ctx.clone());
                            let others = orgs.await.unwrap_or_default();
                            view! {
                                <header class="org-header">
                                    <details class="switcher">
                                        <summary><strong>{ctx.name.clone()}</strong> " " <span class="badge">{ctx.role.label()}</span></summary>
                                        <nav aria-label="Organisations">
                                            <ul>
                                                {others.into_iter().map(|o| view! {
                                                    <li><a href=format!("/o/{}/members", o.slug)>{o.name}</a></li>
                                                }).collect_view()}
                                                <li><A href="/o">"All organisations"</A></li>
                                            </ul>
                                        </nav>
                                    </details>
                                    <nav aria-label="Organisation" class="tabs">
                                        <A href=format!("/o/{}/dashboard", ctx.slug)>"Dashboard"</A>
                                        <A href=format!("/o/{}/issues", ctx.slug)>"Issues"</A>
                                        <A href=format!("/o/{}/board", ctx.slug)>"Board"</A>
                                        <A href=format!("/o/{}/businesses", ctx.slug)>"Businesses"</A>
                                        <A href=format!("/o/{}/members", ctx.slug)>"Members"</A>
                                        {ctx.role.allows(Permission::Settings).then(|| view! {
                                            <A href=format!("/o/{}/settings", ctx.slug)>"Settings"</A>
                                        })}
                                        {ctx.role.allows(Permission::AuditExport).then(|| view! {
                                            <A href=format!("/o/{}/audit", ctx.slug)>"Audit log"</A>
                                        })}
                                    </nav>
                                </header>
                                <Outlet/>
                            }.into_any()
                        }
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/o/{slug}` itself: the issues, the page people open every morning.
#[component]
pub fn OrgHome() -> impl IntoView {
    view! { <Redirect path=format!("/o/{}/issues", slug_param())/> }
}

fn org() -> OrgContext {
    expect_context::<OrgContext>()
}

/// The roles `role` may give someone, most powerful first.
fn grantable_roles(role: Role) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| role.can_grant(*r))
        .collect()
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
                <input type="hidden" name="user_id" value=user_id/>
                <label class="visually-hidden" for=select_id.clone()>{role_label}</label>
                <RoleSelect id=select_id roles selected=Some(member.role)/>
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

#[component]
fn RoleSelect(id: String, roles: Vec<Role>, selected: Option<Role>) -> impl IntoView {
    view! {
        <select id=id name="role">
            {roles.into_iter().map(|r| view! {
                <option value=r.as_str() selected=Some(r) == selected>{r.label()}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn MembersPage() -> impl IntoView {
    let ctx = org();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let leave = ServerAction::<LeaveOrganisation>::new();
    let invite = ServerAction::<InviteMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
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
    let invite_error = action_error(invite);
    let invitation_error = Signal::derive(move || {
        action_error(resend)
            .get()
            .or_else(|| action_error(revoke).get())
    });
    let invited = move || matches!(invite.value().get(), Some(Ok(())));
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
                        Ok(list) => view! {
                            <table class="table">
                                <caption class="visually-hidden">"Members and their roles"</caption>
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Actions"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|m| {
                                        let manage = can_manage(&ctx, &m);
                                        let row = (m.email.clone(), m.name.clone(), m.email.clone(), m.role.label());
                                        view! {
                                            <tr data-email=row.0>
                                                <td>{row.1}</td>
                                                <td>{row.2}</td>
                                                <td>{row.3}</td>
                                                <td>{manage.then(|| view! { <MemberActions ctx=ctx.clone() member=m change remove/> })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
        {can_invite.then(|| {
            let roles = grantable_roles(ctx.role);
            let slug = ctx.slug.clone();
            view! {
                <h2>"Invite someone"</h2>
                <ActionForm action=invite attr:class="stack">
                    <CsrfField/>
                    <input type="hidden" name="slug" value=slug/>
                    <div class="field">
                        <label for="invite-email">"Email address"</label>
                        <input id="invite-email" name="email" type="email" required/>
                        <p class="field-error">{move || invite_error.get().and_then(|e| e.for_field("email"))}</p>
                    </div>
                    <div class="field">
                        <label for="invite-role">"Role"</label>
                        <RoleSelect id="invite-role".into() roles selected=None/>
                    </div>
                    <FormError error=invite_error fields=&["email"]/>
                    <Show when=invited>
                        <p role="status">"Invitation sent. The link works for 7 days."</p>
                    </Show>
                    <button type="submit" class="button primary">"Send invitation"</button>
                </ActionForm>
                <h2>"Pending invitations"</h2>
                <FormError error=invitation_error fields=&[]/>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match invitations.await {
                            Ok(list) if list.is_empty() => view! { <p class="muted">"No invitations waiting."</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="invitations">
                                    {list.into_iter().map(|i| {
                                        let (slug_a, slug_b) = (org().slug, org().slug);
                                        let id_a = i.id.clone();
                                        view! {
                                            <li class="card" data-email=i.email.clone()>
                                                <strong>{i.email.clone()}</strong> " · " {i.role.label()}
                                                <p class="muted">
                                                    "Invited by " {i.invited_by} " · sent " {i.sent} " · "
                                                    {if i.expired { format!("expired {}", i.expires) } else { format!("expires {}", i.expires) }}
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
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            }
        })}
        {(ctx.role != Role::Owner).then(|| view! {
            <h2>"Leave this organisation"</h2>
            <ActionForm action=leave attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="slug" value=leave_slug/>
                <button type="submit" class="button danger">"Leave organisation"</button>
            </ActionForm>
        })}
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let ctx = org();
    if !ctx.role.allows(Permission::Settings) {
        set_status(http::StatusCode::FORBIDDEN);
        return view! {
            <h1>"Settings"</h1>
            <p role="alert">{format!("Your role ({}) does not allow you to {}.", ctx.role.label(), Permission::Settings.describe())}</p>
        }
        .into_any();
    }
    let update = ServerAction::<UpdateSettings>::new();
    let update_error = action_error(update);
    let saved = move || use_query_map().read().get("saved").is_some();
    view! {
        <h1>"Settings"</h1>
        <Show when=saved>
            <p class="notice" role="status">"Settings saved."</p>
        </Show>
        <ActionForm action=update attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=ctx.slug.clone()/>
            <div class="field">
                <label for="settings-name">"Name"</label>
                <input id="settings-name" name="name" type="text" required maxlength="100" value=ctx.name.clone()/>
                <p class="field-error">{move || update_error.get().and_then(|e| e.for_field("name"))}</p>
            </div>
            <div class="field">
                <label for="settings-slug">"Address"</label>
                <input id="settings-slug" name="new_slug" type="text" required maxlength="40" value=ctx.slug.clone()
                    aria-describedby="settings-slug-help"/>
                <p id="settings-slug-help" class="muted">"Links to the old address keep working."</p>
                <p class="field-error">{move || update_error.get().and_then(|e| e.for_field("new_slug"))}</p>
            </div>
            <FormError error=update_error fields=&["name", "new_slug"]/>
            <button type="submit" class="button primary">"Save settings"</button>
        </ActionForm>
        {ctx.role.allows(Permission::OwnOrganisation).then(|| view! { <OwnerSettings/> })}
    }
    .into_any()
}

/// Transfer and deletion: the Owner's alone.
#[component]
fn OwnerSettings() -> impl IntoView {
    let ctx = org();
    let transfer = ServerAction::<TransferOwnership>::new();
    let transfer_error = action_error(transfer);
    let delete = ServerAction::<DeleteOrganisation>::new();
    let delete_error = action_error(delete);
    let slug = ctx.slug.clone();
    let members = Resource::new(|| (), move |_| list_members(slug.clone()));
    let me = ctx.user_id.clone();
    let (transfer_slug, delete_slug, confirm_label) = (
        ctx.slug.clone(),
        ctx.slug.clone(),
        format!("Type {} to confirm", ctx.slug),
    );
    view! {
        <h2>"Transfer ownership"</h2>
        <p>"The new Owner gets every permission; you become an Admin."</p>
        <ActionForm action=transfer attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=transfer_slug/>
            <div class="field">
                <label for="transfer-to">"New Owner"</label>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || {
                        let me = me.clone();
                        Suspend::new(async move {
                            let list = members.await.unwrap_or_default();
                            view! {
                                <select id="transfer-to" name="user_id" required>
                                    {list.into_iter().filter(|m| m.user_id != me).map(|m| view! {
                                        <option value=m.user_id>{format!("{} ({})", m.name, m.email)}</option>
                                    }).collect_view()}
                                </select>
                            }
                        })
                    }}
                </Transition>
            </div>
            <label class="check"><input type="checkbox" name="understood" required/> " I understand I will no longer be the Owner."</label>
            <FormError error=transfer_error fields=&[]/>
            <button type="submit" class="button">"Transfer ownership"</button>
        </ActionForm>
        <h2>"Delete this organisation"</h2>
        <p>"This deletes the organisation and everything in it for every member. It cannot be undone."</p>
        <ActionForm action=delete attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=delete_slug/>
            <div class="field">
                <label for="delete-confirm">{confirm_label}</label>
                <input id="delete-confirm" name="confirm" type="text" required autocomplete="off"/>
                <p class="field-error">{move || delete_error.get().and_then(|e| e.for_field("confirm"))}</p>
            </div>
            <FormError error=delete_error fields=&["confirm"]/>
            <button type="submit" class="button danger">"Delete organisation"</button>
        </ActionForm>
    }
}

/// The audit log: filters in the address (so a filtered view can be shared), pages of 50, export.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let ctx = org();
    if !ctx.role.allows(Permission::AuditExport) {
        set_status(http::StatusCode::FORBIDDEN);
        return view! {
            <h1>"Audit log"</h1>
            <p role="alert">{format!("Your role ({}) does not allow you to {}.", ctx.role.label(), Permission::AuditExport.describe())}</p>
        }
        .into_any();
    }
    let query = use_query_map();
    let q = move |k: &str| query.read().get(k).unwrap_or_default();
    let slug = ctx.slug.clone();
    let entries = Resource::new(
        move || (q("action"), q("actor"), q("from"), q("to"), q("before")),
        move |(action, actor, from, to, before)| {
            crate::org::functions::audit_log(
                slug.clone(),
                action,
                actor,
                from,
                to,
                before.parse().ok(),
            )
        },
    );
    let export = ServerAction::<ExportAuditCsv>::new();
    let export_error = action_error(export);
    let download = move || {
        export
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|csv| format!("data:text/csv;charset=utf-8,{}", percent_encode(&csv)))
    };
    let slug = ctx.slug.clone();
    view! {
        <h1>"Audit log"</h1>
        <form method="get" class="filters" role="search" aria-label="Filter the audit log">
            <div class="field">
                <label for="f-action">"Action"</label>
                <input id="f-action" name="action" type="text" placeholder="member, invitation.created…" value=q("action")/>
            </div>
            <div class="field">
                <label for="f-actor">"Actor email"</label>
                <input id="f-actor" name="actor" type="text" value=q("actor")/>
            </div>
            <div class="field">
                <label for="f-from">"From"</label>
                <input id="f-from" name="from" type="date" value=q("from")/>
            </div>
            <div class="field">
                <label for="f-to">"To"</label>
                <input id="f-to" name="to" type="date" value=q("to")/>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </form>
        <ActionForm action=export attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="action" value=q("action")/>
            <input type="hidden" name="actor" value=q("actor")/>
            <input type="hidden" name="from" value=q("from")/>
            <input type="hidden" name="to" value=q("to")/>
            <button type="submit" class="button">"Export CSV"</button>
        </ActionForm>
        {move || download().map(|href| view! {
            <p role="status"><a href=href download="audit-log.csv">"Download audit-log.csv"</a></p>
        })}
        <FormError error=export_error fields=&[]/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(AuditEntries { entries, .. }) if entries.is_empty() => view! { <p>"No entries match."</p> }.into_any(),
                    Ok(AuditEntries { entries, next }) => view! {
                        <table class="table audit">
                            <caption class="visually-hidden">"Audit log entries, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"Time"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                                <th scope="col">"What happened"</th><th scope="col">"From"</th>
                            </tr></thead>
                            <tbody>
                                {entries.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{e.at}</td>
                                        <td>{e.actor}</td>
                                        <td><code>{e.action}</code></td>
                                        <td>{e.summary}</td>
                                        <td title=e.user_agent>{e.ip}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {next.map(|id| {
                            let mut params: Vec<(String, String)> = ["action", "actor", "from", "to"]
                                .into_iter()
                                .map(|k| (k.to_string(), q(k)))
                                .collect();
                            params.push(("before".into(), id.to_string()));
                            let href = query_string(&params);
                            view! { <p><a href=href>"Older entries"</a></p> }
                        })}
                    }.into_any(),
                    Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// An invitation link: who invited you to what, and how to accept.
#[component]
pub fn InvitePage() -> impl IntoView {
    let token = move || use_params_map().read().get("token").unwrap_or_default();
    let details = Resource::new(token, crate::org::functions::show_invitation);
    let user = Resource::new(|| (), |_| crate::auth::functions::current_user());
    let accept = ServerAction::<AcceptInvitation>::new();
    let accept_error = action_error(accept);
    view! {
        <PrivateMeta title="Invitation"/>
        <section class="container narrow">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match details.await {
                        Ok(d) => d,
                        Err(e) => return view! { <h1>"Invitation"</h1><p role="alert">{e.to_string()}</p> }.into_any(),
                    };
                    let here = format!("/invite/{}", token());
                    let heading = format!("Join {}", d.org_name);
                    let intro = format!("{} invited {} to join {} as {}.", d.invited_by, d.email, d.org_name, d.role.label());
                    let body = match user.await {
                        Ok(Some(u)) if u.email.eq_ignore_ascii_case(&d.email) => view! {
                            <ActionForm action=accept attr:class="stack">
                                <CsrfField/>
                                <input type="hidden" name="token" value=token()/>
                                <FormError error=accept_error fields=&[]/>
                                <button type="submit" class="button primary">"Accept invitation"</button>
                            </ActionForm>
                        }.into_any(),
                        Ok(Some(u)) => view! {
                            <p role="alert">{format!("You are signed in as {}. Sign out, then sign in as {} to accept.", u.email, d.email)}</p>
                            <p><A href="/account">"Your account"</A></p>
                        }.into_any(),
                        _ => view! {
                            <p>"Sign in with " <strong>{d.email.clone()}</strong> " to accept, or create an account with that address first."</p>
                            <p class="row-actions">
                                <a class="button primary" href=format!("/sign-in?next={}", percent_encode(&here))>"Sign in"</a>
                                <a class="button" href=format!("/sign-up?email={}", percent_encode(&d.email))>"Create an account"</a>
                            </p>
                        }.into_any(),
                    };
                    view! { <h1>{heading}</h1><p>{intro}</p>{body} }.into_any()
                })}
            </Transition>
        </section>
    }
}
