//! `server import-django-users FILE`: brings accounts over from a Django deployment, keeping their
//! password hashes so people sign in with the passwords they already have.
//!
//! The file is a CSV export of `auth_user` with the columns email, password, first_name,
//! last_name, date_joined, is_active. Bad rows are reported by line and skipped; the good rows go
//! in one transaction, so a failure part-way imports nothing.

use std::{collections::HashSet, io::Read};

use app::{
    auth::password::{DjangoHash, HashFormatError},
    domain::{EmailAddress, PersonName},
    tenancy::act_for,
};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    /// (line, reason) for every row left out.
    pub skipped: Vec<(u64, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("the header must have the columns {0}")]
    Header(&'static str),
    #[error("database error; nothing was imported: {0}")]
    Database(#[from] sqlx::Error),
}

const COLUMNS: [&str; 6] = [
    "email",
    "password",
    "first_name",
    "last_name",
    "date_joined",
    "is_active",
];

struct Row {
    email: String,
    name: String,
    password_hash: String,
}

fn parse_row(record: &csv::StringRecord, at: &[usize; 6]) -> Result<Option<Row>, String> {
    let field = |i: usize| record.get(at[i]).unwrap_or("").trim();
    let email = EmailAddress::parse(field(0)).map_err(|e| format!("email: {e}"))?;
    let active = matches!(field(5).to_ascii_lowercase().as_str(), "true" | "t" | "1");
    if !active {
        return Ok(None);
    }
    let password = field(1);
    // Django marks accounts without a usable password with a leading '!': they stay unusable
    // here too, and their owners reset their password.
    // A hash asking for an absurd number of iterations is refused too: every attempt to sign
    // in to that account would hold a hashing thread for seconds.
    let password_hash = if password.starts_with('!') {
        "!".to_string()
    } else {
        password
            .parse::<DjangoHash>()
            .map_err(|e| match e {
                HashFormatError::TooManyIterations => format!("password: {e}"),
                e => format!("password: {e} (only pbkdf2_sha256 hashes can be kept)"),
            })?
            .to_string()
    };
    let name = format!("{} {}", field(2), field(3)).trim().to_string();
    let name = if name.is_empty() {
        email.local_part().to_string()
    } else {
        name.chars().take(100).collect()
    };
    // The same rules as a name typed at sign-up: names go into other people's emails.
    let name = PersonName::parse(&name).map_err(|e| format!("name: {e}"))?;
    Ok(Some(Row {
        email: email.as_str().to_string(),
        name: name.as_str().to_string(),
        password_hash,
    }))
}

pub async fn import_django_users(
    pool: &PgPool,
    input: impl Read,
) -> Result<ImportReport, ImportError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers()?.clone();
    let position = |name: &str| headers.iter().position(|h| h.trim() == name);
    let at: [usize; 6] = match COLUMNS.map(position) {
        [Some(a), Some(b), Some(c), Some(d), Some(e), Some(f)] => [a, b, c, d, e, f],
        _ => {
            return Err(ImportError::Header(
                "email, password, first_name, last_name, date_joined, is_active",
            ))
        }
    };

    let mut report = ImportReport::default();
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        match parse_row(&record, &at) {
            Ok(Some(row)) if !seen.insert(row.email.to_lowercase()) => report
                .skipped
                .push((line, "email: appears earlier in the file".into())),
            Ok(Some(row)) => rows.push((line, row)),
            Ok(None) => report.skipped.push((line, "inactive account".into())),
            Err(reason) => report.skipped.push((line, reason)),
        }
    }

    let mut tx = pool.begin().await?;
    for (line, row) in rows {
        // Each account is written acting for it, as row-level security requires.
        let user_id = Uuid::new_v4();
        act_for(&mut tx, user_id).await?;
        // Imported addresses were in use on the old system; they count as verified.
        let inserted = sqlx::query!(
            "insert into users (user_id, email, name, password_hash, email_verified_at) values ($1, $2::text::citext, $3, $4, now())
             on conflict (email) do nothing",
            user_id,
            row.email,
            row.name,
            row.password_hash
        )
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            report.imported += 1;
        } else {
            report.skipped.push((
                line,
                "email: an account with this address already exists".into(),
            ));
        }
    }
    sqlx::query!(
        "insert into audit_events (action, details) values ('account.django_import', jsonb_build_object('imported', $1::bigint))",
        report.imported as i64
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    report.skipped.sort();
    Ok(report)
}
