//! Issues as a table: the issue list's, and a business's own on its page.

use leptos::prelude::*;

use crate::work::issues::IssueSummary;

/// Issues as a table; with `selection`, each row has a box to include it in a bulk change.
#[component]
pub fn IssueTable(
    issues: Vec<IssueSummary>,
    slug: String,
    #[prop(default = None)] selection: Option<RwSignal<Vec<i32>>>,
) -> impl IntoView {
    if issues.is_empty() {
        return view! { <p class="empty">"No issues match. Open one below, or change the filters."</p> }.into_any();
    }
    view! {
        <table class="table issues">
            <caption class="visually-hidden">"Issues"</caption>
            <thead><tr>
                {selection.map(|_| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                <th scope="col">"#"</th><th scope="col">"Title"</th><th scope="col">"Priority"</th>
                <th scope="col">"Status"</th><th scope="col">"Business"</th><th scope="col">"Assignee"</th><th scope="col">"Due"</th>
            </tr></thead>
            <tbody>
                {issues.into_iter().map(|i| {
                    let n = i.number;
                    view! {
                        <tr data-number=n>
                            {selection.map(|sel| view! {
                                <td>
                                    <input type="checkbox" aria-label=format!("Select #{n}")
                                        prop:checked=move || sel.read().contains(&n)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            sel.update(|s| { s.retain(|x| *x != n); if on { s.push(n); } });
                                        }/>
                                </td>
                            })}
                            <td>{format!("#{n}")}</td>
                            <td><a href=format!("/o/{slug}/issues/{n}")>{i.title}</a></td>
                            <td>{i.priority.label()}</td>
                            <td>{i.status.label()}</td>
                            <td>{i.business.unwrap_or_default()}</td>
                            <td>{i.assignee.unwrap_or_default()}</td>
                            <td>{i.due_on.unwrap_or_default()} {i.overdue.then(|| view! { " " <span class="badge warn">"Overdue"</span> })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
