//! `/o/{slug}/settings`: the organisation's name and address, two-factor rule, inbox address and
//! AI, and for the Owner, transferring ownership and deleting the organisation.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{ai::AiPanel, export::ExportPanel, org, NotAllowed};
use crate::{
    components::{
        confirm_identity::ConfirmIdentity,
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
        time_zone::{zones_resource, TimeZoneSelect},
    },
    org::functions::{
        list_members, DeleteOrganisation, SetTwoFactorRule, TransferOwnership, UpdateSettings,
    },
    roles::Permission,
    work::inbox::{get_inbound_address, RegenerateInboundAddress},
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let ctx = org();
    if !ctx.role.allows(Permission::Settings) {
        return view! { <NotAllowed title="Settings" role=ctx.role permission=Permission::Settings/> }
            .into_any();
    }
    let update = ServerAction::<UpdateSettings>::new();
    let update_error = action_error(update);
    let zones = zones_resource();
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
                <input id="settings-name" name="form[name]" type="text" required maxlength="100" value=ctx.name.clone()/>
                <FieldError error=update_error field="name"/>
            </div>
            <div class="field">
                <label for="settings-slug">"Address"</label>
                <input id="settings-slug" name="form[new_slug]" type="text" required maxlength="40" value=ctx.slug.clone()
                    aria-describedby="settings-slug-help"/>
                <p id="settings-slug-help" class="muted">"Links to the old address keep working."</p>
                <FieldError error=update_error field="new_slug"/>
            </div>
            <div class="field">
                <label for="settings-time-zone">"Time zone"</label>
                <TimeZoneSelect zones id="settings-time-zone" name="form[time_zone]" selected=ctx.time_zone.clone()/>
                <p id="settings-time-zone-help" class="muted">"Where the organisation's days begin and end: an issue is overdue once its due date has passed here."</p>
                <FieldError error=update_error field="time_zone"/>
            </div>
            <FormError error=update_error fields=&["name", "new_slug", "time_zone"]/>
            <button type="submit" class="button primary">"Save settings"</button>
        </ActionForm>
        <TwoFactorRuleForm/>
        <InboundAddressPanel/>
        <AiPanel/>
        <ExportPanel/>
        {ctx.role.allows(Permission::OwnOrganisation).then(|| view! {
            <TransferOwnershipForm/>
            <DeleteOrganisationForm/>
        })}
    }
    .into_any()
}

/// Whether every member must sign in with two-factor. Members without it are sent to set it up
/// before they see anything of the organisation.
#[component]
fn TwoFactorRuleForm() -> impl IntoView {
    let ctx = org();
    let rule = ServerAction::<SetTwoFactorRule>::new();
    let rule_error = action_error(rule);
    // What the organisation requires now: as loaded, then as last saved.
    let required = move || match rule.value().get() {
        Some(Ok(())) => rule.input().get().map(|i| i.form.required),
        _ => None,
    };
    let loaded = ctx.require_two_factor;
    let now = move || required().unwrap_or(loaded);
    view! {
        <h2>"Two-factor sign-in"</h2>
        <p data-testid="two-factor-rule">{move || if now() {
            "Every member must sign in with two-factor. Members without it are asked to set it up first."
        } else {
            "Members may sign in with a password alone."
        }}</p>
        <ActionForm action=rule attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=ctx.slug/>
            <input type="hidden" name="form[required]" value=move || (!now()).to_string()/>
            <FormError error=rule_error fields=&[]/>
            <button type="submit" class="button">{move || if now() {
                "Stop requiring two-factor sign-in"
            } else {
                "Require two-factor sign-in for every member"
            }}</button>
        </ActionForm>
    }
}

/// Where customer email reaches the inbox, how to send it there, and making a new address
/// when the old one gets spam (the old one stops receiving at once).
#[component]
fn InboundAddressPanel() -> impl IntoView {
    let ctx = org();
    let regenerate = ServerAction::<RegenerateInboundAddress>::new();
    let error = action_error(regenerate);
    let slug = ctx.slug.clone();
    let address = Resource::new(
        move || regenerate.version().get(),
        move |_| get_inbound_address(slug.clone()),
    );
    view! {
        <h2>"Inbox address"</h2>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                address.await.ok().map(|a| view! {
                    <p>"Customer email sent or forwarded to this address arrives in the inbox:"</p>
                    <p><code data-testid="inbound-address">{a.address}</code></p>
                })
            })}
        </Transition>
        <p class="muted">"To bring a shared mailbox (such as hello@ your domain) into the inbox, set it to forward every message to this address: in Google Workspace, Gmail's settings under Forwarding; in Microsoft 365, a mail flow rule or the mailbox's forwarding. Answers from the inbox come back to the same conversation."</p>
        <ActionForm action=regenerate attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=ctx.slug/>
            <FormError error fields=&[]/>
            <button type="submit" class="button" disabled=move || regenerate.pending().get()>"Make a new address (the current one stops receiving)"</button>
        </ActionForm>
    }
}

/// Handing the organisation to another member: the Owner's alone.
#[component]
fn TransferOwnershipForm() -> impl IntoView {
    let ctx = org();
    let transfer = ServerAction::<TransferOwnership>::new();
    let transfer_error = action_error(transfer);
    let slug = ctx.slug.clone();
    let members = Resource::new(|| (), move |_| list_members(slug.clone()));
    let me = ctx.user_id.clone();
    view! {
        <h2>"Transfer ownership"</h2>
        <p>"The new Owner gets every permission; you become an Admin."</p>
        <ActionForm action=transfer attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=ctx.slug/>
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
        <ConfirmIdentity error=transfer_error id="transfer-confirm"/>
    }
}

/// Deleting the organisation, after typing its slug: the Owner's alone.
#[component]
fn DeleteOrganisationForm() -> impl IntoView {
    let ctx = org();
    let delete = ServerAction::<DeleteOrganisation>::new();
    let delete_error = action_error(delete);
    let confirm_label = format!("Type {} to confirm", ctx.slug);
    view! {
        <h2>"Delete this organisation"</h2>
        <p>"This deletes the organisation and everything in it for every member. It cannot be undone."</p>
        <ActionForm action=delete attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=ctx.slug/>
            <div class="field">
                <label for="delete-confirm">{confirm_label}</label>
                <input id="delete-confirm" name="confirm" type="text" required autocomplete="off"/>
                <FieldError error=delete_error field="confirm"/>
            </div>
            <FormError error=delete_error fields=&["confirm"]/>
            <button type="submit" class="button danger">"Delete organisation"</button>
        </ActionForm>
        <ConfirmIdentity error=delete_error id="delete-confirm"/>
    }
}
