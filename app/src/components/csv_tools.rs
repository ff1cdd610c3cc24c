//! CSV import (checked first, then written all at once) and export, for businesses and issues.

use leptos::prelude::*;

use crate::{
    components::{
        address::percent_encode,
        forms::{action_error, FormError},
    },
    error::AppError,
    org::OrgContext,
    roles::Permission,
    work::csv_io::{
        ExportBusinesses, ExportIssues, ImportBusinesses, ImportForm, ImportIssues, ImportReport,
        BUSINESS_COLUMNS, ISSUE_COLUMNS,
    },
};

/// An export's CSV, once it has come, as a link that saves it as `file`.
#[component]
pub fn CsvLink(
    #[prop(into)] csv: Signal<Option<String>>,
    #[prop(into)] file: String,
) -> impl IntoView {
    move || {
        csv.get().map(|c| {
            let href = format!("data:text/csv;charset=utf-8,{}", percent_encode(&c));
            let label = format!("Download {file}");
            view! { <p role="status"><a href=href download=file.clone()>{label}</a></p> }
        })
    }
}

/// The largest file the import reads: a request carries at most 2 MiB, and the text grows when
/// the form encodes it.
const MAX_FILE_BYTES: f64 = 1_000_000.0;

/// Reads a chosen or dropped file into the import's text box, then previews it.
fn read_file(
    file: web_sys::File,
    text: NodeRef<leptos::html::Textarea>,
    problem: RwSignal<Option<String>>,
    preview: Callback<String>,
) {
    problem.set(None);
    if file.size() > MAX_FILE_BYTES {
        problem.set(Some(format!(
            "{} is larger than 1 MB: split it into smaller files (at most 5,000 rows each).",
            file.name()
        )));
        return;
    }
    let read = file.text();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(read)
            .await
            .ok()
            .and_then(|v| v.as_string())
        {
            Some(csv) => {
                if let Some(area) = text.get_untracked() {
                    area.set_value(&csv);
                }
                preview.run(csv);
            }
            None => problem.set(Some("That file could not be read as text.".into())),
        }
    });
}

/// CSV import and export for one kind of record, each offered only to roles that may use it.
#[component]
fn CsvTools(
    what: &'static str,
    columns: &'static [&'static str],
    #[prop(into)] report: Signal<Option<ImportReport>>,
    #[prop(into)] csv: Signal<Option<String>>,
    #[prop(into)] error: Signal<Option<AppError>>,
    on_import: Callback<(String, bool)>,
    on_export: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let text = NodeRef::<leptos::html::Textarea>::new();
    let submit = move |commit: bool| {
        if let Some(area) = text.get() {
            on_import.run((area.value(), commit));
        }
    };
    let (area_id, help_id) = (format!("csv-{what}"), format!("csv-help-{what}"));
    let file_id = format!("csv-file-{what}");
    let problem = RwSignal::new(None::<String>);
    let preview = Callback::new(move |csv: String| on_import.run((csv, false)));
    let dragging = RwSignal::new(false);
    view! {
        {ctx.role.allows(Permission::Edit).then(|| view! {
            <h2>{format!("Import {what} from CSV")}</h2>
            <div class="stack">
                <div class="field drop-zone" class:dragging=move || dragging.get()
                    on:dragover=move |ev| { ev.prevent_default(); dragging.set(true); }
                    on:dragleave=move |_| dragging.set(false)
                    on:drop=move |ev| {
                        ev.prevent_default();
                        dragging.set(false);
                        let file = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.item(0));
                        if let Some(file) = file {
                            read_file(file, text, problem, preview);
                        }
                    }>
                    <label for=area_id.clone()>"CSV"</label>
                    <textarea id=area_id node_ref=text rows="5" aria-describedby=help_id.clone()
                        placeholder="Paste the rows here, or drop a CSV file"></textarea>
                    <p id=help_id class="muted">{format!("Columns: {}. Preview first: nothing is written until every row is right.", columns.join(", "))}</p>
                </div>
                <div class="field">
                    <label for=file_id.clone()>"Or choose a CSV file"</label>
                    <input id=file_id type="file" accept=".csv,text/csv"
                        on:change=move |ev| {
                            use leptos::wasm_bindgen::JsCast as _;
                            let file = ev.target()
                                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                                .and_then(|input| input.files())
                                .and_then(|f| f.item(0));
                            if let Some(file) = file {
                                read_file(file, text, problem, preview);
                            }
                        }/>
                </div>
                {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
                <div class="row-actions">
                    <button type="button" class="button" on:click=move |_| submit(false)>"Preview"</button>
                    <button type="button" class="button primary" on:click=move |_| submit(true)>"Import"</button>
                </div>
            </div>
            {move || report.get().map(|r| view! {
                <div role="status" class="notice">
                    {r.note.map(|n| view! { <p>{n}</p> })}
                    <p>{if r.imported > 0 { format!("Imported {} rows.", r.imported) } else if r.errors.is_empty() { format!("{} rows are ready to import.", r.rows) } else { format!("{} of {} rows need fixing; nothing was written.", r.errors.len(), r.rows) }}</p>
                    <ul>{r.errors.into_iter().map(|e| view! { <li>{format!("Line {}: {}", e.line, e.message)}</li> }).collect_view()}</ul>
                </div>
            })}
        })}
        {ctx.role.allows(Permission::AuditExport).then(|| view! {
            <p><button type="button" class="button" on:click=move |_| on_export.run(())>{format!("Export {what} as CSV")}</button></p>
            <CsvLink csv file=format!("{what}.csv")/>
        })}
        <FormError error fields=&[]/>
    }
}

/// The CSV tools wired to one kind of record's import and export functions.
macro_rules! csv_tools_for {
    ($(#[$meta:meta])* $component:ident, $import:ident, $export:ident, $what:literal, $columns:ident) => {
        $(#[$meta])*
        #[component]
        pub fn $component() -> impl IntoView {
            let slug = expect_context::<OrgContext>().slug;
            let import = ServerAction::<$import>::new();
            let export = ServerAction::<$export>::new();
            let error = Signal::derive(move || {
                action_error(import).get().or_else(|| action_error(export).get())
            });
            // An import of businesses may start their enrichment: the page's panel shows it.
            if let Some(imported) = use_context::<crate::components::enrichment::Imported>() {
                Effect::new(move |_| {
                    if import.value().with(|r| matches!(r, Some(Ok(r)) if r.imported > 0)) {
                        imported.0.update(|n| *n += 1);
                    }
                });
            }
            let slug_b = slug.clone();
            view! {
                <CsvTools what=$what columns=&$columns error
                    report=Signal::derive(move || import.value().get().and_then(|r| r.ok()))
                    csv=Signal::derive(move || export.value().get().and_then(|r| r.ok()))
                    on_import=Callback::new(move |(csv, commit)| {
                        import.dispatch($import { slug: slug.clone(), form: ImportForm { csv, commit } });
                    })
                    on_export=Callback::new(move |_| { export.dispatch($export { slug: slug_b.clone() }); })/>
            }
        }
    };
}

csv_tools_for!(
    /// Import and export of the businesses register.
    BusinessCsv,
    ImportBusinesses,
    ExportBusinesses,
    "businesses",
    BUSINESS_COLUMNS
);
csv_tools_for!(
    /// Import and export of the issues.
    IssueCsv,
    ImportIssues,
    ExportIssues,
    "issues",
    ISSUE_COLUMNS
);
