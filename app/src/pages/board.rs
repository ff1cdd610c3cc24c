//! The board: a column per status with its count, cards that move between them, and each
//! column's next page on request.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::{forms::CsrfField, problem::LoadProblem},
    org::OrgContext,
    roles::Permission,
    work::{
        board::{column_order, get_board, Board},
        issues::{list_issues, move_issue, IssueQuery, IssueSummary},
        Status,
    },
};

/// The board: a column per status, each with its whole count. Open work is shown a page at a
/// time, most urgent first; done work shows the most recent, with a link to the rest. Each card
/// moves with its "Move to" control (keyboard and touch friendly) or by dragging it onto
/// another column.
///
/// Moves are optimistic: the card changes column at once and goes back, with a message, if the
/// server refuses (someone else moved or edited it first, or the role does not allow it).
#[component]
pub fn BoardPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let slug = ctx.slug.clone();
    let loaded = Resource::new(|| (), move |_| get_board(slug.clone()));
    view! {
        <h1>"Board"</h1>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the board…"</p> }>
            {move || {
                let ctx = ctx.clone();
                Suspend::new(async move {
                    match loaded.await {
                        Ok(b) => view! { <Columns board=b ctx/> }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// The columns of a loaded board, with the cards loaded so far and the moves made here.
#[component]
fn Columns(board: Board, ctx: OrgContext) -> impl IntoView {
    let can_move = ctx.role.allows(Permission::Edit);
    let slug = StoredValue::new(ctx.slug.clone());
    let counts: StoredValue<HashMap<Status, i64>> =
        StoredValue::new(board.columns.iter().map(|c| (c.status, c.count)).collect());
    // Every card loaded, each column's cards in its order; a column's next page is appended.
    let cards = RwSignal::new(
        board
            .columns
            .iter()
            .flat_map(|c| c.page.items.clone())
            .collect::<Vec<_>>(),
    );
    let next = RwSignal::new(
        board
            .columns
            .iter()
            .map(|c| (c.status, c.page.next.clone()))
            .collect::<HashMap<_, _>>(),
    );
    // Cards moved here and not yet reloaded: id → (status, version).
    let moved = RwSignal::new(HashMap::<String, (Status, i32)>::new());
    let problem = RwSignal::new(None::<String>);
    let mv = Action::new(move |card: &(IssueSummary, Status)| {
        let (card, to) = card.clone();
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
            match move_issue(
                slug.get_value(),
                card.id.clone(),
                from.1,
                to.as_str().into(),
            )
            .await
            {
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
    let more = Action::new(move |status: &Status| {
        let status = *status;
        async move {
            let after = next.get_untracked().get(&status).cloned().flatten();
            let Some(after) = after else { return };
            let query = IssueQuery {
                status: status.as_str().into(),
                order: column_order(status).as_str().into(),
                after,
                ..IssueQuery::default()
            };
            match list_issues(slug.get_value(), query).await {
                Ok(page) => {
                    cards.update(|all| {
                        let new: Vec<_> = page
                            .items
                            .into_iter()
                            .filter(|i| all.iter().all(|c| c.id != i.id))
                            .collect();
                        all.extend(new);
                    });
                    next.update(|n| {
                        n.insert(status, page.next);
                    });
                }
                Err(e) => problem.set(Some(format!(
                    "More of {} could not be loaded: {e}",
                    status.label()
                ))),
            }
        }
    });
    // Each card as it stands here, moves included.
    let cards_in = move |status: Status| {
        let moved = moved.get();
        cards
            .get()
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
    // A column's count as the server gave it, with the moves made here since.
    let count = move |status: Status| {
        let moved = moved.get();
        let shift: i64 = cards.with(|all| {
            all.iter()
                .filter_map(|i| moved.get(&i.id).map(|(to, _)| (i.status, *to)))
                .map(|(from, to)| i64::from(to == status) - i64::from(from == status))
                .sum()
        });
        counts.with_value(|c| c.get(&status).copied().unwrap_or(0)) + shift
    };
    let find = move |id: &str| cards.with_untracked(|all| all.iter().find(|i| i.id == id).cloned());
    let empty = board.columns.iter().all(|c| c.count == 0);
    view! {
        {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        {empty.then(|| view! {
            <p class="empty">"No issues yet. Open one from the Issues page: it starts in Open, and moves across as the work goes."</p>
        })}
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
                    <h2>{status.label()} " " <span class="muted" data-testid="count">{move || count(status)}</span></h2>
                    <ul>
                        <For each=move || cards_in(status) key=|i| (i.id.clone(), i.status, i.version) let:card>
                            <BoardCard card can_move on_move=Callback::new(move |m| { mv.dispatch(m); })/>
                        </For>
                    </ul>
                    {move || {
                        let has_more = next.with(|n| n.get(&status).is_some_and(Option::is_some));
                        if status.is_done() {
                            let shown = cards_in(status).len() as i64;
                            (count(status) > shown).then(|| view! {
                                <A href=format!("/o/{}/issues?status={}", slug.get_value(), status.as_str())>
                                    {format!("All {} {}", count(status), status.label().to_lowercase())}
                                </A>
                            }.into_any())
                        } else {
                            has_more.then(|| view! {
                                <button type="button" class="button" disabled=move || more.pending().get()
                                    on:click=move |_| { more.dispatch(status); }>
                                    {move || if more.pending().get() { "Loading…" } else { "Show more" }}
                                </button>
                            }.into_any())
                        }
                    }}
                </section>
            }.into_any()).collect_view()}
        </div>
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
