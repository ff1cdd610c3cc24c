//! The board: a column per status, with cards that move between them.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::{forms::CsrfField, problem::LoadProblem},
    org::OrgContext,
    roles::Permission,
    work::{
        issues::{list_issues, move_issue, IssueQuery, IssueSummary},
        Status,
    },
};

/// The board: a column per status. Each card moves with its "Move to" control (keyboard and
/// touch friendly) or by dragging it onto another column.
///
/// Moves are optimistic: the card changes column at once and goes back, with a message, if the
/// server refuses (someone else moved or edited it first, or the role does not allow it).
#[component]
pub fn BoardPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let slug = ctx.slug.clone();
    // The newest issues (the list's first page), whatever their status.
    let issues = Resource::new(
        || (),
        move |_| list_issues(slug.clone(), IssueQuery::default()),
    );
    // Cards moved here and not yet reloaded: id → (status, version).
    let moved = RwSignal::new(std::collections::HashMap::<String, (Status, i32)>::new());
    let problem = RwSignal::new(None::<String>);
    let slug = ctx.slug.clone();
    let mv = Action::new(move |card: &(IssueSummary, Status)| {
        let (card, to) = card.clone();
        let slug = slug.clone();
        async move {
            let from = moved
                .get_untracked()
                .get(&card.id)
                .copied()
                .unwrap_or((card.status, card.version));
            moved.update(|m| {
                m.insert(card.id.clone(), (to, from.1));
            });
            problem.set(None);
            match move_issue(slug, card.id.clone(), from.1, to.as_str().into()).await {
                Ok(version) => moved.update(|m| {
                    m.insert(card.id, (to, version));
                }),
                Err(e) => {
                    moved.update(|m| {
                        m.insert(card.id, from);
                    });
                    problem.set(Some(format!(
                        "#{} could not be moved to {}: {e} It is back in {}.",
                        card.number,
                        to.label(),
                        from.0.label()
                    )));
                }
            }
        }
    });
    view! {
        <h1>"Board"</h1>
        <p class="form-error" role="alert">{move || problem.get()}</p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the board…"</p> }>
            {move || {
                let ctx = ctx.clone();
                Suspend::new(async move {
                    let list = match issues.await {
                        Ok(p) => p.items,
                        Err(e) => return view! { <LoadProblem error=e/> }.into_any(),
                    };
                    let can_move = ctx.role.allows(Permission::Edit);
                    let list = StoredValue::new(list);
                    // Each card as it stands here, moves included.
                    let cards_in = move |status: Status| {
                        let moved = moved.get();
                        list.get_value()
                            .into_iter()
                            .map(|mut i| {
                                if let Some((s, v)) = moved.get(&i.id) {
                                    (i.status, i.version) = (*s, *v);
                                }
                                i
                            })
                            .filter(|i| i.status == status)
                            .collect::<Vec<_>>()
                    };
                    let find = move |id: &str| {
                        list.get_value().into_iter().find(|i| i.id == id)
                    };
                    view! {
                        <div class="board">
                            {Status::ALL.iter().copied().map(|status| view! {
                                <section class="column" aria-label=status.label() data-status=status.as_str()
                                    on:dragover=move |ev| ev.prevent_default()
                                    on:drop=move |ev| {
                                        ev.prevent_default();
                                        let id = ev.data_transfer().and_then(|d| d.get_data("text/plain").ok());
                                        if let Some(card) = id.and_then(|id| find(&id)) {
                                            mv.dispatch((card, status));
                                        }
                                    }>
                                    <h2>{status.label()} " " <span class="muted">{move || cards_in(status).len()}</span></h2>
                                    <ul>
                                        <For each=move || cards_in(status) key=|i| (i.id.clone(), i.status, i.version) let:card>
                                            <BoardCard card can_move on_move=Callback::new(move |m| { mv.dispatch(m); })/>
                                        </For>
                                    </ul>
                                </section>
                            }.into_any()).collect_view()}
                        </div>
                    }.into_any()
                })
            }}
        </Transition>
    }
}

/// One card: a link to the issue, and for editors a "Move to" control that also works without
/// scripts (a plain form post).
#[component]
fn BoardCard(
    card: IssueSummary,
    can_move: bool,
    on_move: Callback<(IssueSummary, Status)>,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let select = NodeRef::<leptos::html::Select>::new();
    let select_id = format!("move-{}", card.number);
    let id = card.id.clone();
    let submit_card = card.clone();
    view! {
        <li class="card" draggable=can_move.to_string() data-number=card.number
            on:dragstart=move |ev| {
                if let Some(d) = ev.data_transfer() { let _ = d.set_data("text/plain", &id); }
            }>
            <A href=format!("/o/{}/issues/{}", slug, card.number)>{format!("#{} {}", card.number, card.title)}</A>
            <p class="muted">{card.priority.label()} {card.assignee.clone().map(|a| format!(" · {a}"))}</p>
            {can_move.then(|| view! {
                <form method="post" action="/api/work/move_issue" class="inline"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        let to = select.get().and_then(|s| Status::parse(&s.value()));
                        if let Some(to) = to.filter(|to| *to != submit_card.status) {
                            on_move.run((submit_card.clone(), to));
                        }
                    }>
                    <CsrfField/>
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="issue_id" value=card.id.clone()/>
                    <input type="hidden" name="version" value=card.version.to_string()/>
                    <label class="visually-hidden" for=select_id.clone()>{format!("Move #{} to", card.number)}</label>
                    <select id=select_id name="status" node_ref=select>
                        {Status::ALL.iter().map(|s| view! {
                            <option value=s.as_str() selected=*s == card.status>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="button">"Move"</button>
                </form>
            })}
        </li>
    }
    .into_any()
}
