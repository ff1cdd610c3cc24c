//! The inbox list: the customer conversations waiting for the team, filtered by status, by
//! whose they are, by business and by triage (category and urgency, accepted or suggested), a
//! page at a time; the filters are kept in the address.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::{
        address::{next_page, query},
        choices::{choices_resource, ChoiceSelect, NamedSelect},
        moment::When,
        problem::LoadProblem,
    },
    org::OrgContext,
    work::{
        ai::{Category, TriageState, Urgency},
        inbox::{list_threads, InboxQuery, ThreadStatus, ThreadSummary},
    },
};

/// The address's query names, each for one field of [`InboxQuery`].
const FILTERS: [&str; 5] = ["status", "who", "business", "category", "urgency"];

/// The status filter the address names: open unless it says otherwise (`all` for every one).
fn status_in_address() -> String {
    match query("status") {
        s if s.is_empty() => ThreadStatus::Open.as_str().to_string(),
        s => s,
    }
}

/// The list the address asks for.
fn inbox_query() -> InboxQuery {
    let status = match status_in_address() {
        s if s == "all" => String::new(),
        s => s,
    };
    InboxQuery {
        status,
        who: query("who"),
        business_id: query("business"),
        category: query("category"),
        urgency: query("urgency"),
        after: query("after"),
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let slug = ctx.slug.clone();
    let page = Resource::new(inbox_query, move |q| list_threads(slug.clone(), q));
    let slug = ctx.slug.clone();
    view! {
        <h1>"Inbox"</h1>
        <InboxFilters/>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the inbox…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.threads.is_empty() => view! {
                            <p class="empty">"No conversations here. Mail sent to your inbound address (see Settings) appears in this list."</p>
                        }.into_any(),
                        Ok(p) => view! {
                            <ThreadTable threads=p.threads slug/>
                            {p.next.map(|n| view! { <p><a href=next_page(&FILTERS, &n)>"Next page"</a></p> })}
                        }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn InboxFilters() -> impl IntoView {
    let choices = choices_resource();
    let mut statuses = ThreadStatus::options();
    statuses.push(("all", "All"));
    view! {
        <form method="get" class="filters" role="search" aria-label="Filter conversations">
            <div class="field">
                <label for="x-status">"Status"</label>
                <ChoiceSelect id="x-status" name="status" options=statuses selected=status_in_address()/>
            </div>
            <div class="field">
                <label for="x-who">"Assigned to"</label>
                <ChoiceSelect id="x-who" name="who" options=vec![("mine", "Me"), ("unassigned", "Nobody")] selected=query("who") any="Anyone"/>
            </div>
            <div class="field">
                <label for="x-business">"Business"</label>
                <NamedSelect choices id="x-business" name="business" members=false selected=query("business") first=("", "Any")/>
            </div>
            <div class="field">
                <label for="x-category">"Category"</label>
                <ChoiceSelect id="x-category" name="category" options=Category::options() selected=query("category") any="Any"/>
            </div>
            <div class="field">
                <label for="x-urgency">"Urgency"</label>
                <ChoiceSelect id="x-urgency" name="urgency" options=Urgency::options() selected=query("urgency") any="Any"/>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </form>
    }
}

#[component]
fn ThreadTable(threads: Vec<ThreadSummary>, slug: String) -> impl IntoView {
    view! {
        <table class="list inbox">
            <thead>
                <tr>
                    <th scope="col">"Conversation"</th>
                    <th scope="col">"Customer"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Triage"</th>
                    <th scope="col">"Assigned to"</th>
                    <th scope="col">"Business"</th>
                    <th scope="col">"Last message"</th>
                </tr>
            </thead>
            <tbody>
                {threads.into_iter().map(|t| {
                    let href = format!("/o/{slug}/inbox/{}", t.id);
                    let (triage, suggested) = triage_cell(&t);
                    view! {
                        <tr class:waiting=t.awaiting_reply>
                            <td>
                                <A href=href>{t.subject}</A>
                                {t.awaiting_reply.then(|| view! { " " <span class="badge">"Needs an answer"</span> })}
                                <br/><span class="muted">{t.preview}</span>
                            </td>
                            <td>{t.customer}</td>
                            <td>{t.status.label()}</td>
                            <td>
                                {triage}
                                {suggested.then(|| view! { " " <span class="badge" title="Suggested by AI triage; not yet accepted">"Suggested"</span> })}
                            </td>
                            <td>{t.assignee.unwrap_or_else(|| "Nobody".into())}</td>
                            <td>{t.business.unwrap_or_default()}</td>
                            <td><When at=t.last_message_at/><br/><span class="muted">{format!("{} messages", t.messages)}</span></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A thread's category and urgency, and whether they are only the triage's suggestion.
fn triage_cell(thread: &ThreadSummary) -> (String, bool) {
    let text = match (thread.category, thread.urgency) {
        (Some(c), Some(u)) => format!("{} · {}", c.label(), u.label()),
        (Some(c), None) => c.label().to_string(),
        _ if thread.triage == TriageState::Pending => "Triage pending".to_string(),
        _ => "—".to_string(),
    };
    (text, thread.suggested && thread.category.is_some())
}
