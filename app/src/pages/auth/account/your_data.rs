//! A copy of everything Ops Intel holds about the signed-in person, as a ZIP archive.

use leptos::prelude::*;

use crate::{
    auth::export::ExportMyData,
    components::forms::{action_error, CsrfField, FormError, Submit},
};

#[component]
pub fn YourDataForm() -> impl IntoView {
    let export = ServerAction::<ExportMyData>::new();
    let error = action_error(export);
    let archive = move || export.value().get().and_then(|r| r.ok());
    view! {
        <h2>"Your data"</h2>
        <p>"Download a copy of what we hold about you: your account, sign-ins, memberships, the \
            comments and messages you wrote, and your entries in the audit logs, as JSON files \
            with a README."</p>
        <ActionForm action=export attr:class="stack">
            <CsrfField/>
            <FormError error fields=&[]/>
            <Submit pending=export.pending() label="Prepare my data"/>
        </ActionForm>
        {move || archive().map(|a| view! {
            <p role="status">
                <a href=format!("data:application/zip;base64,{}", a.base64) download=a.file_name.clone()>
                    {format!("Download {}", a.file_name)}
                </a>
            </p>
        })}
    }
}
