//! The board: every issue by status, one page per column with each column's whole count. The
//! open columns hold all open work, most urgent first, a page at a time; the done columns hold
//! the most recent, with the issue list for the rest.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{issues::IssuePage, IssueOrder, Status};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::issues::{page, IssueFilter},
    crate::access::{self, Member},
    crate::roles::Permission,
};

/// One column: its status, how many issues have it, and the first page of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub status: Status,
    pub count: i64,
    pub page: IssuePage,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub columns: Vec<Column>,
}

/// The order of a column's cards: open work most urgent first, done work newest first. The next
/// page of a column is the issue list's, with this order and the column's status.
pub fn column_order(status: Status) -> IssueOrder {
    if status.is_done() {
        IssueOrder::Newest
    } else {
        IssueOrder::Priority
    }
}

/// Every column of the board with its count and first page. Kept while the organisation's data
/// stands still, like the pages it is made of.
#[server(endpoint = "work/board", client = CsrfClient)]
pub async fn get_board(slug: String) -> Result<Board, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let (key, version) = (m.org_id, m.data_version);
    let kept = m.svc.kept.boards.clone();
    kept.or_compute(key, version, read_board(&mut m)).await
}

#[cfg(feature = "ssr")]
async fn read_board(m: &mut Member) -> Result<Board, AppError> {
    // One pass over the status index; a status nobody has is a count of zero.
    let counts = sqlx::query!(
        r#"select status, count(*) as "count!" from issues
           where org_id = $1 and archived_at is null group by status"#,
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let mut columns = Vec::with_capacity(Status::ALL.len());
    for &status in Status::ALL {
        let count = counts
            .iter()
            .find(|c| c.status == status.as_str())
            .map_or(0, |c| c.count);
        let page = if count == 0 {
            IssuePage {
                items: Vec::new(),
                next: None,
            }
        } else {
            page(m, &IssueFilter::column(status, column_order(status))).await?
        };
        columns.push(Column {
            status,
            count,
            page,
        });
    }
    Ok(Board { columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_work_comes_most_urgent_first_and_done_work_newest_first() {
        for &s in Status::ALL {
            let expected = if matches!(s, Status::Resolved | Status::Closed) {
                IssueOrder::Newest
            } else {
                IssueOrder::Priority
            };
            assert_eq!(column_order(s), expected, "{s:?}");
        }
    }
}
