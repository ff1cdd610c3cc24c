//! Text pages whose words stay on the server: the policies and notices every visitor may open
//! but few do. A page reads its parts through a public server function and renders them with
//! [`Parts`], so their text is not carried by the code every visitor's browser loads first.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{components::problem::LoadProblem, error::AppError};

/// How a part's lines are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    Paragraphs,
    /// A list whose order does not matter.
    Points,
    /// A numbered list.
    Steps,
}

/// A part of a text page: its heading (none for an opening), and its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub heading: Option<String>,
    pub layout: Layout,
    pub lines: Vec<String>,
    /// The list's `data-testid`, where a test reads it.
    pub test_id: Option<String>,
}

impl Part {
    pub fn new(heading: &str, layout: Layout, lines: &[&str]) -> Self {
        Self {
            heading: (!heading.is_empty()).then(|| heading.to_string()),
            layout,
            lines: lines.iter().map(|l| l.to_string()).collect(),
            test_id: None,
        }
    }

    /// Lines made on the server (from its configuration).
    pub fn owned(heading: &str, layout: Layout, lines: Vec<String>) -> Self {
        Self {
            lines,
            ..Self::new(heading, layout, &[])
        }
    }

    pub fn test_id(mut self, id: &str) -> Self {
        self.test_id = Some(id.to_string());
        self
    }
}

/// The parts `load` reads, once they arrive (rendered on the server before the page is sent).
#[component]
pub fn Parts<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Vec<Part>, AppError>> + Send + 'static,
{
    let parts = Resource::new(|| (), move |_| load());
    view! {
        <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match parts.await {
                    Ok(parts) => parts.into_iter().map(|p| view! { <PartView p/> }).collect_view().into_any(),
                    Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PartView(p: Part) -> impl IntoView {
    let heading = p.heading.map(|h| view! { <h2>{h}</h2> });
    let items = || {
        p.lines
            .iter()
            .map(|line| view! { <li>{line.clone()}</li> })
            .collect_view()
    };
    let body = match p.layout {
        Layout::Paragraphs => p
            .lines
            .iter()
            .map(|line| view! { <p>{line.clone()}</p> })
            .collect_view()
            .into_any(),
        Layout::Points => view! { <ul data-testid=p.test_id.clone()>{items()}</ul> }.into_any(),
        Layout::Steps => view! { <ol data-testid=p.test_id.clone()>{items()}</ol> }.into_any(),
    };
    view! { {heading} {body} }
}
