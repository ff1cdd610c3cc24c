//! Where each kind of notification reaches the person: in the app, by email, both or neither.

use leptos::prelude::*;

use crate::{
    components::{
        choices::ChoiceSelect,
        forms::{action_error, CsrfField, FormError, Submit},
    },
    work::notifications::{notification_preferences, Channel, SetNotificationPreference},
};

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
    }
}
