//! Where each kind of notification reaches the person: in the app, by email, both or neither.

use leptos::prelude::*;

use crate::{
    components::{
        choices::ChoiceSelect,
        forms::{action_error, CsrfField, FormError, Submit},
    },
    work::{
        digest::{weekly_digest_on, SetWeeklyDigest},
        notifications::{notification_preferences, Channel, SetNotificationPreference},
    },
};

/// Whether the weekly digest comes, for every organisation the person is in.
#[component]
fn WeeklyDigestSetting() -> impl IntoView {
    let set = ServerAction::<SetWeeklyDigest>::new();
    let error = action_error(set);
    let on = Resource::new(move || set.version().get(), |_| weekly_digest_on());
    view! {
        <h3 id="weekly-digest">"Weekly digest"</h3>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                on.await.ok().map(|on| view! {
                    <ActionForm action=set attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="form[on]" value=if on { "false" } else { "true" }/>
                        <p data-testid="weekly-digest-state">{if on {
                            "Every Monday morning you get an email of each organisation's week."
                        } else {
                            "You do not get the weekly digest: an email of each organisation's week, every Monday morning."
                        }}</p>
                        <Submit pending=set.pending() label=if on { "Stop the weekly digest" } else { "Send me the weekly digest" }/>
                    </ActionForm>
                })
            })}
        </Transition>
        <p class="muted">"Each organisation's Weekly digest page, linked from its dashboard, shows the next one."</p>
        <FormError error fields=&[]/>
    }
}

#[component]
pub fn NotificationSettings() -> impl IntoView {
    let set = ServerAction::<SetNotificationPreference>::new();
    let error = action_error(set);
    let chosen = Resource::new(move || set.version().get(), |_| notification_preferences());
    view! {
        <h2 id="notifications">"Notifications"</h2>
        <p>"Where each kind of notification reaches you. Emails come together: at most one every few minutes, with a link to stop them."</p>
        <FormError error fields=&[]/>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                chosen.await.ok().map(|list| view! {
                    <table class="table" data-testid="notification-preferences">
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Where it reaches you"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|(kind, channel)| {
                                let id = format!("np-{}", kind.as_str());
                                view! {
                                    <tr>
                                        <td><label for=id.clone()>{kind.label()}</label></td>
                                        <td>
                                            <ActionForm action=set attr:class="inline">
                                                <CsrfField/>
                                                <input type="hidden" name="form[kind]" value=kind.as_str()/>
                                                <ChoiceSelect id=id name="form[channel]" options=Channel::options() selected=channel.as_str()/>
                                                <Submit pending=set.pending() label="Save"/>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            })}
        </Transition>
        <WeeklyDigestSetting/>
    }
}
