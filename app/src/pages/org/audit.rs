//! `/o/{slug}/audit`: the organisation's audit log, filtered, in pages, and exported as CSV.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{org, NotAllowed};
use crate::{
    components::{
        address::query_string,
        csv_tools::CsvLink,
        forms::{action_error, CsrfField, FormError},
        moment::When,
    },
    org::{
        forms::AuditFilterForm,
        functions::{audit_log, ExportAuditCsv},
        AuditEntry, AuditPage as AuditEntries,
    },
    roles::Permission,
};

/// The filters' names in the address, which are also the filter form's field names.
const FILTERS: [&str; 4] = ["action", "actor", "from", "to"];

/// The filters as the address has them.
fn filter_from_address() -> AuditFilterForm {
    let query = use_query_map();
    let q = |k: &str| query.read().get(k).unwrap_or_default();
    AuditFilterForm {
        action: q("action"),
        actor: q("actor"),
        from: q("from"),
        to: q("to"),
    }
}

/// The audit log: filters in the address (so a filtered view can be shared), pages of 50, export.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let ctx = org();
    if !ctx.role.allows(Permission::AuditExport) {
        return view! { <NotAllowed title="Audit log" role=ctx.role permission=Permission::AuditExport/> }
            .into_any();
    }
    let query = use_query_map();
    let slug = ctx.slug.clone();
    let entries = Resource::new(
        move || {
            let before = query.read().get("before").unwrap_or_default();
            (filter_from_address(), before)
        },
        move |(filter, before)| audit_log(slug.clone(), filter, before.parse().ok()),
    );
    view! {
        <h1>"Audit log"</h1>
        <AuditFilters/>
        <AuditExport slug=ctx.slug/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(AuditEntries { entries, .. }) if entries.is_empty() => view! { <p>"No entries match."</p> }.into_any(),
                    Ok(AuditEntries { entries, next }) => view! {
                        <AuditTable entries/>
                        {next.map(|id| view! { <OlderEntries before=id/> })}
                    }.into_any(),
                    Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The filters, sent as a GET so they land in the address.
#[component]
fn AuditFilters() -> impl IntoView {
    let f = filter_from_address();
    view! {
        <form method="get" class="filters" role="search" aria-label="Filter the audit log">
            <div class="field">
                <label for="f-action">"Action"</label>
                <input id="f-action" name="action" type="text" placeholder="member, invitation.created…" value=f.action/>
            </div>
            <div class="field">
                <label for="f-actor">"Actor email"</label>
                <input id="f-actor" name="actor" type="text" value=f.actor/>
            </div>
            <div class="field">
                <label for="f-from">"From"</label>
                <input id="f-from" name="from" type="date" value=f.from/>
            </div>
            <div class="field">
                <label for="f-to">"To"</label>
                <input id="f-to" name="to" type="date" value=f.to/>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </form>
    }
}

/// Exporting what the filters select; the CSV comes back as a link to download.
#[component]
fn AuditExport(slug: String) -> impl IntoView {
    let export = ServerAction::<ExportAuditCsv>::new();
    let export_error = action_error(export);
    let f = filter_from_address();
    view! {
        <ActionForm action=export attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[action]" value=f.action/>
            <input type="hidden" name="form[actor]" value=f.actor/>
            <input type="hidden" name="form[from]" value=f.from/>
            <input type="hidden" name="form[to]" value=f.to/>
            <button type="submit" class="button">"Export CSV"</button>
        </ActionForm>
        <CsvLink csv=Signal::derive(move || export.value().get().and_then(|r| r.ok())) file="audit-log.csv"/>
        <FormError error=export_error fields=&[]/>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <table class="table audit">
            <caption class="visually-hidden">"Audit log entries, newest first"</caption>
            <thead><tr>
                <th scope="col">"Time"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                <th scope="col">"What happened"</th><th scope="col">"From"</th>
            </tr></thead>
            <tbody>
                {entries.into_iter().map(|e| view! {
                    <tr>
                        <td><When at=e.at/></td>
                        <td>{e.actor}</td>
                        <td><code>{e.action}</code></td>
                        <td>{e.summary}</td>
                        <td title=e.user_agent>{e.ip}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The link to the next page: the same filters, continuing before the last entry shown.
#[component]
fn OlderEntries(before: i64) -> impl IntoView {
    let query = use_query_map();
    let mut params: Vec<(String, String)> = FILTERS
        .into_iter()
        .map(|k| (k.to_string(), query.read().get(k).unwrap_or_default()))
        .collect();
    params.push(("before".into(), before.to_string()));
    let href = query_string(&params);
    view! { <p><a href=href>"Older entries"</a></p> }
}
