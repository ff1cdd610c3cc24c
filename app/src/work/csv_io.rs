//! CSV import and export of businesses and issues. An import is checked whole first: every row's
//! problems are reported by line number and nothing is written; only a clean file is written,
//! all in one transaction.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::Status,
    super::{
        businesses::{insert_business, BusinessForm, BusinessInput},
        enrichment,
        issues::{insert_issue, IssueForm, IssueInput},
    },
    crate::access::{self, Member},
    crate::audit::AuditAction,
    crate::csv::to_csv,
    crate::limits::{self, Counted},
    crate::roles::Permission,
    std::collections::HashMap,
};

/// One row that cannot be imported, by its line in the file (the header is line 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Rows read, not counting the header.
    pub rows: usize,
    pub errors: Vec<RowError>,
    /// Rows written: all of them, or none while there are errors or when only previewing.
    pub imported: usize,
    /// What became of the imported businesses' enrichment from Google Maps, when there is any.
    #[serde(default)]
    pub note: Option<String>,
}

pub const BUSINESS_COLUMNS: [&str; 7] = [
    "name",
    "relationship",
    "address",
    "phone",
    "website",
    "notes",
    "tags",
];
pub const ISSUE_COLUMNS: [&str; 7] = [
    "title",
    "description",
    "kind",
    "priority",
    "status",
    "business",
    "due_on",
];

/// At most this many rows per import.
pub const MAX_ROWS: usize = 5_000;

/// A CSV file to import, as the import tools send it (nested, as `form[csv]` and so on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportForm {
    /// The whole file, its first line naming the columns.
    pub csv: String,
    /// Write the rows if every one is right; otherwise only check them (a preview).
    #[serde(default)]
    pub commit: bool,
}

/// One row of a file: its line number, and its cells by column name.
#[cfg(feature = "ssr")]
type Record = (u64, HashMap<String, String>);

/// Reads `csv` into records keyed by the expected columns, or says what is wrong with the file.
#[cfg(feature = "ssr")]
fn read(csv_text: &str, columns: &[&str]) -> Result<Vec<Record>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| AppError::invalid("csv", "The file is not valid CSV."))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "csv",
            format!(
                "The first line must name the columns; missing: {}.",
                missing.join(", ")
            ),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            AppError::invalid("csv", format!("Line {line} is not valid CSV."))
        })?;
        if rows.len() == MAX_ROWS {
            return Err(AppError::invalid(
                "csv",
                format!("Import at most {MAX_ROWS} rows at a time."),
            ));
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let fields = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        rows.push((line, fields));
    }
    Ok(rows)
}

/// Parses every row with `parse` (given the row's cell by column name), keeping the parsed rows
/// and reporting each problem by line. Nothing is imported yet.
#[cfg(feature = "ssr")]
fn check_rows<'r, T>(
    rows: &'r [Record],
    mut parse: impl FnMut(&dyn Fn(&str) -> &'r str) -> Result<T, String>,
) -> (Vec<T>, ImportReport) {
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (line, r) in rows {
        let get = |k: &str| r.get(k).map(String::as_str).unwrap_or("");
        match parse(&get) {
            Ok(v) => valid.push(v),
            Err(message) => errors.push(RowError {
                line: *line,
                message,
            }),
        }
    }
    let report = ImportReport {
        rows: rows.len(),
        errors,
        imported: 0,
        note: None,
    };
    (valid, report)
}

#[cfg(feature = "ssr")]
fn message(e: AppError) -> String {
    match e {
        AppError::Invalid { field, message } => format!("{field}: {message}"),
        AppError::NotFound => "refers to something that does not exist".into(),
        other => other.to_string(),
    }
}

/// Checks every row of a businesses file; with `commit`, writes them all if none has a problem.
#[server(endpoint = "work/import_businesses", client = CsrfClient)]
pub async fn import_businesses(slug: String, form: ImportForm) -> Result<ImportReport, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let rows = read(&form.csv, &BUSINESS_COLUMNS)?;
    let (valid, mut report) = check_rows(&rows, |get| {
        BusinessInput::try_from(BusinessForm {
            name: get("name").into(),
            relationship: get("relationship").into(),
            address: get("address").into(),
            phone: get("phone").into(),
            website: get("website").into(),
            notes: get("notes").into(),
            // A file separates tags with semicolons, so a tag list is one cell.
            tags: get("tags").replace(';', ","),
        })
        .map_err(message)
    });
    if form.commit && report.errors.is_empty() && !valid.is_empty() {
        limits::admit(&mut m, Counted::Businesses, valid.len() as u32).await?;
        let mut ids = Vec::with_capacity(valid.len());
        for b in &valid {
            ids.push(insert_business(&mut m, b).await?);
        }
        m.audit(
            AuditAction::BusinessImported,
            None,
            &format!("Imported {} businesses from CSV", valid.len()),
        )
        .await?;
        // The rows are imported whether or not the allowance covers their enrichment.
        report.note = match m.svc.enrichment {
            false => None,
            true => match enrichment::start_run(&mut m, &ids).await {
                Ok(_) => Some(format!(
                    "Looking up the {} businesses on Google Maps: the progress is shown above.",
                    ids.len()
                )),
                Err(AppError::OverAllowance(why)) => {
                    Some(format!("Not looked up on Google Maps. {why}"))
                }
                Err(e) => return Err(e),
            },
        };
        m.commit().await?;
        report.imported = valid.len();
    }
    Ok(report)
}

/// Checks every row of an issues file; with `commit`, writes them all if none has a problem. A
/// row names its business by name, which must match one in the register.
#[server(endpoint = "work/import_issues", client = CsrfClient)]
pub async fn import_issues(slug: String, form: ImportForm) -> Result<ImportReport, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let rows = read(&form.csv, &ISSUE_COLUMNS)?;
    let names = sqlx::query!(
        "select lower(name) as \"name!\", business_id from businesses where org_id = $1",
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let by_name: HashMap<String, String> = names
        .into_iter()
        .map(|r| (r.name, r.business_id.to_string()))
        .collect();
    let (valid, mut report) = check_rows(&rows, |get| {
        let business = match get("business").trim() {
            "" => String::new(),
            name => by_name.get(&name.to_lowercase()).cloned().ok_or_else(|| {
                format!(
                    "business: no business is called {}.",
                    get("business").trim()
                )
            })?,
        };
        // A row without a status is a new, open issue.
        let status = match get("status").trim() {
            "" => Status::Open.as_str(),
            s => s,
        };
        IssueInput::try_from(IssueForm {
            title: get("title").into(),
            description: get("description").into(),
            kind: get("kind").into(),
            priority: get("priority").into(),
            status: status.into(),
            business_id: business,
            assignee_id: String::new(),
            due_on: get("due_on").into(),
        })
        .map_err(message)
    });
    if form.commit && report.errors.is_empty() && !valid.is_empty() {
        for i in &valid {
            insert_issue(&mut m, i).await?;
        }
        m.audit(
            AuditAction::IssueImported,
            None,
            &format!("Imported {} issues from CSV", valid.len()),
        )
        .await?;
        m.commit().await?;
        report.imported = valid.len();
    }
    Ok(report)
}

#[cfg(feature = "ssr")]
async fn exported(m: Member, what: &str, count: usize, csv: String) -> Result<String, AppError> {
    let mut m = m;
    m.audit(
        AuditAction::DataExported,
        None,
        &format!("Exported {count} {what} as CSV"),
    )
    .await?;
    m.commit().await?;
    Ok(csv)
}

/// Every business, in the import's columns, so an export can be imported again.
#[server(endpoint = "work/export_businesses", client = CsrfClient)]
pub async fn export_businesses(slug: String) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::AuditExport).await?;
    let rows = sqlx::query!(
        "select name, relationship, address, phone, website, notes, array_to_string(tags, ';') as \"tags!\"
         from businesses where org_id = $1 order by lower(name), business_id",
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let count = rows.len();
    let csv = to_csv(
        &BUSINESS_COLUMNS,
        rows.into_iter().map(|r| {
            vec![
                r.name,
                r.relationship,
                r.address,
                r.phone,
                r.website,
                r.notes,
                r.tags,
            ]
        }),
    )?;
    exported(m, "businesses", count, csv).await
}

/// Every issue not archived, with its number, assignee and dates after the import's columns.
#[server(endpoint = "work/export_issues", client = CsrfClient)]
pub async fn export_issues(slug: String) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::AuditExport).await?;
    let rows = sqlx::query!(
        r#"select i.number, i.title, i.description, i.kind, i.priority, i.status, coalesce(b.name, '') as "business!",
                  coalesce(i.due_on::text, '') as "due_on!", coalesce(u.email::text, '') as "assignee!",
                  to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as "created_at!",
                  coalesce(to_char(i.resolved_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '') as "resolved_at!"
           from issues i
           left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
           left join users u on u.user_id = i.assignee_id
           where i.org_id = $1 and i.archived_at is null order by i.number"#,
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let count = rows.len();
    let mut header = ISSUE_COLUMNS.to_vec();
    header.extend(["number", "assignee", "created_at", "resolved_at"]);
    let csv = to_csv(
        &header,
        rows.into_iter().map(|r| {
            vec![
                r.title,
                r.description,
                r.kind,
                r.priority,
                r.status,
                r.business,
                r.due_on,
                r.number.to_string(),
                r.assignee,
                r.created_at,
                r.resolved_at,
            ]
        }),
    )?;
    exported(m, "issues", count, csv).await
}
