//! The settings page's export panel: ask for an export of everything, watch it being built, and
//! download it (through a link made at that moment, which works once).

use leptos::prelude::*;

use super::org;
use crate::{
    components::{forms::FormError, moment::When, poll::poll_while, problem::LoadProblem},
    org::export::{export_link, get_export, start_export, ExportState, ExportStatus, KEPT_HOURS},
};

#[component]
pub(super) fn ExportPanel() -> impl IntoView {
    let slug = org().slug;
    let tick = RwSignal::new(0u32);
    let start = Action::new({
        let slug = slug.clone();
        move |_: &()| start_export(slug.clone())
    });
    let status = Resource::new(move || (tick.get(), start.version().get()), {
        let slug = slug.clone();
        move |_| get_export(slug.clone())
    });
    poll_while(
        tick,
        move || matches!(status.get(), Some(Ok(Some(ref s))) if s.state.in_progress()),
    );
    let download = Action::new(move |_: &()| {
        let slug = slug.clone();
        async move {
            let link = export_link(slug).await?;
            // The answer is a file: the browser saves it and the page stays.
            let _ = window().location().set_href(&link.url);
            Ok::<_, crate::error::AppError>(())
        }
    });
    let start_error = Signal::derive(move || start.value().get().and_then(Result::err));
    let download_error = Signal::derive(move || download.value().get().and_then(Result::err));
    view! {
        <section id="export" aria-labelledby="export-heading">
            <h2 id="export-heading">"Export all data"</h2>
            <p>{format!("Everything the organisation holds, as a ZIP of CSV and JSON files. Kept \
                for {KEPT_HOURS} hours; each download is in the audit log.")}</p>
            <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! { <ExportNow s start download/> }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Transition>
            <FormError error=start_error fields=&[]/>
            <FormError error=download_error fields=&[]/>
        </section>
    }
}

#[component]
fn ExportNow(
    s: Option<ExportStatus>,
    start: Action<(), Result<ExportStatus, crate::error::AppError>>,
    download: Action<(), Result<(), crate::error::AppError>>,
) -> impl IntoView {
    let start_button = move |label: &'static str| {
        view! {
            <button type="button" class="button" data-testid="export-start"
                disabled=move || start.pending().get()
                aria-busy=move || start.pending().get().then_some("true")
                on:click=move |_| { start.dispatch(()); }>
                {move || if start.pending().get() { "Working…" } else { label }}
            </button>
        }
    };
    let Some(s) = s else {
        return start_button("Export all data").into_any();
    };
    match s.state {
        ExportState::Queued | ExportState::Building => view! {
            <p role="status" data-testid="export-progress">
                "Building the export asked for " <When at=s.requested_at.clone()/> ": " {s.percent()} "%"
            </p>
            <progress max="100" value=s.percent() aria-label="Export progress"></progress>
        }
        .into_any(),
        ExportState::Ready => {
            let size = s
                .size_bytes
                .map(|b| format!(" ({:.1} MB)", b as f64 / 1_048_576.0))
                .unwrap_or_default();
            view! {
                <p role="status" data-testid="export-ready">
                    "The export asked for " <When at=s.requested_at.clone()/> " is ready" {size}
                    ". It can be downloaded until " {s.expires_at.map(|e| e.exact).unwrap_or_default()} "."
                </p>
                <p>
                    <button type="button" class="button primary" data-testid="export-download"
                        disabled=move || download.pending().get()
                        on:click=move |_| { download.dispatch(()); }>
                        "Download the export"
                    </button>
                </p>
            }
            .into_any()
        }
        ExportState::Downloaded | ExportState::Expired => {
            let what = if s.state == ExportState::Downloaded {
                "was downloaded; it is deleted when its time is up"
            } else {
                "has expired and was deleted"
            };
            view! {
                <p data-testid="export-done">"The export asked for " <When at=s.requested_at.clone()/> " " {what} "."</p>
                {start_button("Make a new export")}
            }
            .into_any()
        }
    }
}
