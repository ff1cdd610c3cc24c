//! Writing CSV for people to open in a spreadsheet: every export goes through [`to_csv`], so no
//! cell can start a formula.

use crate::error::AppError;

/// A header and rows as CSV text, each cell made safe by [`csv_safe`].
pub fn to_csv(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<String, AppError> {
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "writing CSV");
        AppError::Internal
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(fail)?;
    for row in rows {
        out.write_record(row.iter().map(|v| csv_safe(v)))
            .map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| fail(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|_| AppError::Internal)
}

/// A CSV cell that a spreadsheet will show as text: a leading `=`, `+`, `-`, `@` or tab would
/// otherwise make it a formula.
pub fn csv_safe(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("plain"), "plain");
        assert_eq!(
            to_csv(&["a"], [vec!["-1".to_string()]]).unwrap(),
            "a\n'-1\n"
        );
    }
}
