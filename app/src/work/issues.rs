//! Issues: per-organisation numbers without gaps, edits that refuse a stale copy, comments and a
//! timeline of every change.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{fields::text, IssueKind, Priority, Status};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::fields::{parse_id, stale_or_missing, Versioned},
    super::IssueOrder,
    crate::access::{self, Member},
    crate::roles::Permission,
    uuid::Uuid,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssueSummary {
    pub id: String,
    pub number: i32,
    pub title: String,
    pub kind: IssueKind,
    pub priority: Priority,
    pub status: Status,
    pub business_id: Option<String>,
    pub business: Option<String>,
    pub assignee: Option<String>,
    pub due_on: Option<String>,
    pub overdue: bool,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuePage {
    pub items: Vec<IssueSummary>,
    pub next: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub author: String,
    pub at: String,
    pub body: String,
}

/// One change in an issue's history: who changed which field from what to what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub actor: String,
    pub at: String,
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub summary: IssueSummary,
    pub description: String,
    pub assignee_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub comments: Vec<Comment>,
    pub timeline: Vec<Change>,
}

/// An issue's fields as typed, checked: the business and assignee are checked against the
/// organisation when saved.
#[derive(Clone, Debug, PartialEq)]
pub struct IssueInput {
    pub title: String,
    pub description: String,
    pub kind: IssueKind,
    pub priority: Priority,
    pub status: Status,
    pub business_id: Option<String>,
    pub assignee_id: Option<String>,
    pub due_on: Option<String>,
}

impl IssueInput {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        title: &str,
        description: &str,
        kind: &str,
        priority: &str,
        status: &str,
        business_id: &str,
        assignee_id: &str,
        due_on: &str,
    ) -> Result<Self, AppError> {
        let title = text("title", "The title", title, 200, false)?;
        if title.is_empty() {
            return Err(AppError::invalid("title", "Give the issue a title."));
        }
        let choose =
            |field: &str, what: &str| AppError::invalid(field, format!("Choose a {what}."));
        let due_on = match due_on.trim() {
            "" => None,
            d => {
                if !is_calendar_date(d) {
                    return Err(AppError::invalid(
                        "due_on",
                        "Use a date such as 2026-12-31.",
                    ));
                }
                Some(d.to_string())
            }
        };
        let optional = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        Ok(Self {
            title,
            description: text("description", "The description", description, 20_000, true)?,
            kind: IssueKind::parse(kind.trim()).ok_or_else(|| choose("kind", "kind"))?,
            priority: Priority::parse(priority.trim())
                .ok_or_else(|| choose("priority", "priority"))?,
            status: Status::parse(status.trim()).ok_or_else(|| choose("status", "status"))?,
            business_id: optional(business_id),
            assignee_id: optional(assignee_id),
            due_on,
        })
    }
}

/// `YYYY-MM-DD` naming a day that exists.
fn is_calendar_date(d: &str) -> bool {
    if !d.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return false;
    }
    let parts: Vec<&str> = d.split('-').collect();
    let [y, m, day] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || day.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(day)) = (y.parse::<u32>(), m.parse::<u32>(), day.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=9999).contains(&y) && (1..=days).contains(&day)
}

#[cfg(feature = "ssr")]
const PAGE: i64 = 50;

#[cfg(feature = "ssr")]
struct Row {
    issue_id: Uuid,
    number: i32,
    title: String,
    kind: String,
    priority: String,
    status: String,
    business_id: Option<Uuid>,
    business: Option<String>,
    assignee: Option<String>,
    due_on: Option<String>,
    overdue: bool,
    version: i32,
}

#[cfg(feature = "ssr")]
impl Row {
    fn summary(self) -> Option<IssueSummary> {
        Some(IssueSummary {
            id: self.issue_id.to_string(),
            number: self.number,
            title: self.title,
            kind: IssueKind::parse(&self.kind)?,
            priority: Priority::parse(&self.priority)?,
            status: Status::parse(&self.status)?,
            business_id: self.business_id.map(|b| b.to_string()),
            business: self.business,
            assignee: self.assignee,
            due_on: self.due_on,
            overdue: self.overdue,
            version: self.version,
        })
    }
}

/// Issues matching the filters in the chosen order, a page at a time. `after` is the cursor the
/// previous page returned as `next`.
#[server(endpoint = "work/issues", client = CsrfClient)]
#[allow(clippy::too_many_arguments)]
pub async fn list_issues(
    slug: String,
    status: String,
    priority: String,
    assignee_id: String,
    business_id: String,
    overdue: bool,
    order: String,
    after: String,
) -> Result<IssuePage, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let choice =
        |v: &str, parse: fn(&str) -> bool, field: &str| -> Result<Option<String>, AppError> {
            match v.trim() {
                "" => Ok(None),
                v if parse(v) => Ok(Some(v.to_string())),
                _ => Err(AppError::invalid(field, "Unknown filter value.")),
            }
        };
    let status = choice(&status, |v| Status::parse(v).is_some(), "status")?;
    let priority = choice(&priority, |v| Priority::parse(v).is_some(), "priority")?;
    let id = |v: &str| -> Result<Option<Uuid>, AppError> {
        match v.trim() {
            "" => Ok(None),
            v => Uuid::parse_str(v).map(Some).map_err(|_| AppError::NotFound),
        }
    };
    let order = match order.trim() {
        "" => IssueOrder::Newest,
        o => IssueOrder::parse(o).ok_or_else(|| AppError::invalid("order", "Unknown order."))?,
    };
    let after = match after.trim() {
        "" => None,
        a => Some(Cursor::parse(order, a)?),
    };
    let filter = IssueFilter {
        status,
        priority,
        assignee: id(&assignee_id)?,
        business: id(&business_id)?,
        overdue,
        order,
        after,
    };
    page(&mut m, &filter).await
}

#[cfg(feature = "ssr")]
/// Where the previous page ended: its last issue's number and, for the orders that need it, the
/// value it was sorted by.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Cursor {
    pub number: i32,
    pub rank: Option<i32>,
    pub due: Option<String>,
}

#[cfg(feature = "ssr")]
/// Issues with no due date come after every dated one: `issue_due_key(null)` in SQL.
const NO_DUE_DATE: &str = "9999-12-31";

#[cfg(feature = "ssr")]
impl Cursor {
    fn of(order: IssueOrder, last: &IssueSummary) -> String {
        match order {
            IssueOrder::Newest | IssueOrder::Oldest => last.number.to_string(),
            IssueOrder::Priority => format!("{}.{}", priority_rank(last.priority), last.number),
            IssueOrder::Due => format!(
                "{}.{}",
                last.due_on.as_deref().unwrap_or(NO_DUE_DATE),
                last.number
            ),
        }
    }

    fn parse(order: IssueOrder, s: &str) -> Result<Cursor, AppError> {
        let bad = || AppError::invalid("after", "That page link is not valid.");
        let (key, number) = match order {
            IssueOrder::Newest | IssueOrder::Oldest => (None, s),
            _ => {
                let (key, number) = s.rsplit_once('.').ok_or_else(bad)?;
                (Some(key), number)
            }
        };
        let number = number.parse().map_err(|_| bad())?;
        let mut cursor = Cursor {
            number,
            ..Cursor::default()
        };
        match (order, key) {
            (IssueOrder::Priority, Some(k)) => cursor.rank = Some(k.parse().map_err(|_| bad())?),
            (IssueOrder::Due, Some(k)) if is_calendar_date(k) => cursor.due = Some(k.into()),
            (IssueOrder::Newest | IssueOrder::Oldest, None) => {}
            _ => return Err(bad()),
        }
        Ok(cursor)
    }
}

#[cfg(feature = "ssr")]
/// 1 for urgent, 4 for low: `priority_rank(priority)` in SQL, the order the database sorts by.
fn priority_rank(p: Priority) -> i32 {
    Priority::ALL
        .iter()
        .position(|q| *q == p)
        .map_or(0, |i| i as i32 + 1)
}

/// What an issue list is narrowed to; the default is every issue, newest first.
#[cfg(feature = "ssr")]
pub(crate) struct IssueFilter {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee: Option<Uuid>,
    pub business: Option<Uuid>,
    pub overdue: bool,
    pub order: IssueOrder,
    pub after: Option<Cursor>,
}

#[cfg(feature = "ssr")]
impl Default for IssueFilter {
    fn default() -> Self {
        Self {
            status: None,
            priority: None,
            assignee: None,
            business: None,
            overdue: false,
            order: IssueOrder::Newest,
            after: None,
        }
    }
}

/// One page of issues: the list's, and a business's own on its page.
#[cfg(feature = "ssr")]
pub(crate) async fn page(m: &mut Member, f: &IssueFilter) -> Result<IssuePage, AppError> {
    let rows = sqlx::query_as!(
        Row,
        r#"select i.issue_id, i.number, i.title, i.kind, i.priority, i.status, i.business_id,
                  b.name as "business?", u.name as "assignee?", i.due_on::text as due_on,
                  coalesce(i.due_on < current_date and issue_is_open(i.status), false) as "overdue!",
                  i.version
           from issues i
           left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
           left join users u on u.user_id = i.assignee_id
           where i.org_id = $1
             and ($2::text is null or i.status = $2)
             and ($3::text is null or i.priority = $3)
             and ($4::uuid is null or i.assignee_id = $4)
             and ($5::uuid is null or i.business_id = $5)
             and (not $6 or (i.due_on < current_date and issue_is_open(i.status)))
             and ($8::int is null or case $7
                 when 'oldest' then i.number > $8
                 when 'priority' then priority_rank(i.priority) > $9
                     or (priority_rank(i.priority) = $9 and i.number < $8)
                 when 'due' then issue_due_key(i.due_on) > $10::text::date
                     or (issue_due_key(i.due_on) = $10::text::date and i.number < $8)
                 else i.number < $8 end)
           order by case when $7 = 'priority' then priority_rank(i.priority) end,
                    case when $7 = 'due' then issue_due_key(i.due_on) end,
                    case when $7 = 'oldest' then i.number end asc,
                    i.number desc
           limit $11"#,
        m.org_id,
        f.status,
        f.priority,
        f.assignee,
        f.business,
        f.overdue,
        f.order.as_str(),
        f.after.as_ref().map(|c| c.number),
        f.after.as_ref().and_then(|c| c.rank),
        f.after.as_ref().and_then(|c| c.due.clone()),
        PAGE + 1
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let mut items: Vec<IssueSummary> = rows.into_iter().filter_map(Row::summary).collect();
    let next = (items.len() as i64 > PAGE).then(|| {
        items.truncate(PAGE as usize);
        items.last().map(|i| Cursor::of(f.order, i))
    });
    Ok(IssuePage {
        items,
        next: next.flatten(),
    })
}

#[server(endpoint = "work/issue", client = CsrfClient)]
pub async fn get_issue(slug: String, number: i32) -> Result<Issue, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let r = sqlx::query!(
        r#"select i.issue_id, i.number, i.title, i.kind, i.priority, i.status, i.business_id,
                  b.name as "business?", u.name as "assignee?", i.due_on::text as due_on,
                  coalesce(i.due_on < current_date and issue_is_open(i.status), false) as "overdue!",
                  i.version, i.description, i.assignee_id, coalesce(c.name, 'a former member') as "created_by!",
                  to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' as "created_at!"
           from issues i
           left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
           left join users u on u.user_id = i.assignee_id
           left join users c on c.user_id = i.created_by
           where i.org_id = $1 and i.number = $2"#,
        m.org_id,
        number
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let comments = sqlx::query_as!(
        Comment,
        r#"select coalesce(u.name, 'a former member') as "author!", body,
                  to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' as "at!"
           from issue_comments c left join users u on u.user_id = c.author_id
           where c.org_id = $1 and c.issue_id = $2 order by c.created_at, c.comment_id"#,
        m.org_id,
        r.issue_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let timeline = sqlx::query_as!(
        Change,
        r#"select coalesce(u.name, 'a former member') as "actor!", field, old_value as "from", new_value as "to",
                  to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' as "at!"
           from issue_events e left join users u on u.user_id = e.actor_id
           where e.org_id = $1 and e.issue_id = $2 order by e.event_id"#,
        m.org_id,
        r.issue_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let summary = Row {
        issue_id: r.issue_id,
        number: r.number,
        title: r.title,
        kind: r.kind,
        priority: r.priority,
        status: r.status,
        business_id: r.business_id,
        business: r.business,
        assignee: r.assignee,
        due_on: r.due_on,
        overdue: r.overdue,
        version: r.version,
    }
    .summary()
    .ok_or(AppError::Internal)?;
    Ok(Issue {
        summary,
        description: r.description,
        assignee_id: r.assignee_id.map(|a| a.to_string()),
        created_by: r.created_by,
        created_at: r.created_at,
        comments,
        timeline,
    })
}

/// The business and assignee of an input, checked to belong to this organisation.
#[cfg(feature = "ssr")]
async fn links(
    m: &mut Member,
    input: &IssueInput,
) -> Result<(Option<Uuid>, Option<Uuid>), AppError> {
    // Another organisation's id is "not found", like one that never existed.
    let id = |v: &Option<String>| {
        v.as_deref()
            .map(|v| Uuid::parse_str(v).map_err(|_| AppError::NotFound))
            .transpose()
    };
    let (business, assignee) = (id(&input.business_id)?, id(&input.assignee_id)?);
    let found = sqlx::query_scalar!(
        r#"select ($2::uuid is null or exists (select 1 from businesses where org_id = $1 and business_id = $2))
              and ($3::uuid is null or exists (select 1 from memberships where org_id = $1 and user_id = $3)) as "found!""#,
        m.org_id,
        business,
        assignee
    )
    .fetch_one(&mut *m.tx)
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok((business, assignee))
}

/// Creates an issue with the organisation's next number. The counter row stays locked until the
/// transaction ends, so concurrent creations queue and a failed one leaves no gap.
#[cfg(feature = "ssr")]
pub(crate) async fn insert_issue(m: &mut Member, input: &IssueInput) -> Result<i32, AppError> {
    let (business, assignee) = links(m, input).await?;
    let number = sqlx::query_scalar!(
        "update organisations set next_issue_number = next_issue_number + 1 where org_id = $1
         returning next_issue_number - 1",
        m.org_id
    )
    .fetch_one(&mut *m.tx)
    .await?
    .ok_or(AppError::Internal)?;
    let id = sqlx::query_scalar!(
        "insert into issues (org_id, number, title, description, kind, priority, status, business_id,
                             assignee_id, due_on, created_by, resolved_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::date, $11,
                 case when issue_is_done($7) then now() end)
         returning issue_id",
        m.org_id,
        number,
        input.title,
        input.description,
        input.kind.as_str(),
        input.priority.as_str(),
        input.status.as_str(),
        business,
        assignee,
        input.due_on,
        m.user_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    record_change(m, id, "created", None, Some(&format!("#{number}"))).await?;
    Ok(number)
}

#[cfg(feature = "ssr")]
async fn record_change(
    m: &mut Member,
    issue: Uuid,
    field: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into issue_events (org_id, issue_id, actor_id, field, old_value, new_value)
         values ($1, $2, $3, $4, $5, $6)",
        m.org_id,
        issue,
        m.user_id,
        field,
        from,
        to
    )
    .execute(&mut *m.tx)
    .await?;
    Ok(())
}

#[server(endpoint = "work/create_issue", client = CsrfClient)]
#[allow(clippy::too_many_arguments)]
pub async fn create_issue(
    slug: String,
    title: String,
    description: String,
    kind: String,
    priority: String,
    business_id: String,
    assignee_id: String,
    due_on: String,
) -> Result<i32, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let input = IssueInput::parse(
        &title,
        &description,
        &kind,
        &priority,
        "open",
        &business_id,
        &assignee_id,
        &due_on,
    )?;
    let number = insert_issue(&mut m, &input).await?;
    m.audit(
        "issue.created",
        Some(&format!("#{number}")),
        &format!("Opened issue #{number}: {}", input.title),
    )
    .await?;
    m.commit().await?;
    Ok(number)
}

/// Saves an edit made from the copy at `version`. Each changed field goes on the timeline; if
/// someone saved since, nothing is written and the editor is told.
#[server(endpoint = "work/update_issue", client = CsrfClient)]
#[allow(clippy::too_many_arguments)]
pub async fn update_issue(
    slug: String,
    issue_id: String,
    version: i32,
    title: String,
    description: String,
    kind: String,
    priority: String,
    status: String,
    business_id: String,
    assignee_id: String,
    due_on: String,
) -> Result<i32, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&issue_id)?;
    let input = IssueInput::parse(
        &title,
        &description,
        &kind,
        &priority,
        &status,
        &business_id,
        &assignee_id,
        &due_on,
    )?;
    let (business, assignee) = links(&mut m, &input).await?;
    let before = sqlx::query!(
        r#"select i.number, i.title, i.description, i.kind, i.priority, i.status, b.name as "business?",
                  u.name as "assignee?", i.due_on::text as due_on
           from issues i
           left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
           left join users u on u.user_id = i.assignee_id
           where i.org_id = $1 and i.issue_id = $2 and i.version = $3
           for update of i"#,
        m.org_id,
        id,
        version
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    let Some(before) = before else {
        return Err(stale_or_missing(&mut m, Versioned::Issue, id).await);
    };
    let new_version = sqlx::query_scalar!(
        "update issues set title = $3, description = $4, kind = $5, priority = $6, status = $7,
                business_id = $8, assignee_id = $9, due_on = $10::text::date, version = version + 1,
                resolved_at = case when issue_is_done($7) then coalesce(resolved_at, now()) end
         where org_id = $1 and issue_id = $2
         returning version",
        m.org_id,
        id,
        input.title,
        input.description,
        input.kind.as_str(),
        input.priority.as_str(),
        input.status.as_str(),
        business,
        assignee,
        input.due_on
    )
    .fetch_one(&mut *m.tx)
    .await?;
    let after = sqlx::query!(
        r#"select b.name as "business?", u.name as "assignee?"
           from issues i
           left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
           left join users u on u.user_id = i.assignee_id
           where i.org_id = $1 and i.issue_id = $2"#,
        m.org_id,
        id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    let label = |parse: Option<&'static str>| parse.map(str::to_string);
    let changes: Vec<(&str, Option<String>, Option<String>)> = vec![
        ("title", Some(before.title), Some(input.title.clone())),
        (
            "description",
            Some(before.description),
            Some(input.description.clone()),
        ),
        (
            "kind",
            label(IssueKind::parse(&before.kind).map(|k| k.label())),
            Some(input.kind.label().into()),
        ),
        (
            "priority",
            label(Priority::parse(&before.priority).map(|p| p.label())),
            Some(input.priority.label().into()),
        ),
        (
            "status",
            label(Status::parse(&before.status).map(|s| s.label())),
            Some(input.status.label().into()),
        ),
        ("business", before.business, after.business),
        ("assignee", before.assignee, after.assignee),
        ("due date", before.due_on, input.due_on.clone()),
    ];
    let mut changed = Vec::new();
    for (field, from, to) in changes.into_iter().filter(|(_, a, b)| a != b) {
        record_change(&mut m, id, field, from.as_deref(), to.as_deref()).await?;
        changed.push(field);
    }
    if !changed.is_empty() {
        let summary = format!("Changed issue #{}: {}", before.number, changed.join(", "));
        m.audit(
            "issue.updated",
            Some(&format!("#{}", before.number)),
            &summary,
        )
        .await?;
    }
    m.commit().await?;
    Ok(new_version)
}

/// Moves an issue to another status (the board); refused if the card is out of date.
#[server(endpoint = "work/move_issue", client = CsrfClient)]
pub async fn move_issue(
    slug: String,
    issue_id: String,
    version: i32,
    status: String,
) -> Result<i32, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&issue_id)?;
    let status = Status::parse(status.trim())
        .ok_or_else(|| AppError::invalid("status", "Choose a status."))?;
    let row = sqlx::query!(
        r#"update issues i set status = $4, version = i.version + 1,
                  resolved_at = case when issue_is_done($4) then coalesce(i.resolved_at, now()) end
           from issues old
           where i.org_id = $1 and i.issue_id = $2 and i.version = $3
             and old.org_id = i.org_id and old.issue_id = i.issue_id
           returning i.version, i.number, old.status as "old_status""#,
        m.org_id,
        id,
        version,
        status.as_str()
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    let Some(row) = row else {
        return Err(stale_or_missing(&mut m, Versioned::Issue, id).await);
    };
    let from = Status::parse(&row.old_status).map(|s| s.label());
    if from != Some(status.label()) {
        record_change(&mut m, id, "status", from, Some(status.label())).await?;
        let summary = format!(
            "Moved issue #{} from {} to {}",
            row.number,
            from.unwrap_or("?"),
            status.label()
        );
        m.audit("issue.updated", Some(&format!("#{}", row.number)), &summary)
            .await?;
    }
    m.commit().await?;
    Ok(row.version)
}

/// The most issues one bulk change may touch.
pub const BULK_LIMIT: usize = 200;

/// Sets the status and/or the assignee of several issues at once, each change on its issue's
/// timeline. `assignee_id` is empty for "leave as is" and `none` to unassign. Returns how many
/// issues changed.
#[server(endpoint = "work/bulk_update", client = CsrfClient)]
pub async fn bulk_update(
    slug: String,
    numbers: String,
    status: String,
    assignee_id: String,
) -> Result<usize, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let numbers = parse_numbers(&numbers)?;
    let status = match status.trim() {
        "" => None,
        s => Some(Status::parse(s).ok_or_else(|| AppError::invalid("status", "Choose a status."))?),
    };
    let assignee = match assignee_id.trim() {
        "" => None,
        "none" => Some(None),
        id => Some(Some(Uuid::parse_str(id).map_err(|_| AppError::NotFound)?)),
    };
    if status.is_none() && assignee.is_none() {
        return Err(AppError::invalid(
            "status",
            "Choose a new status or assignee for the selected issues.",
        ));
    }
    let new_assignee = match assignee {
        Some(Some(id)) => Some(
            sqlx::query_scalar!(
                "select u.name from memberships m join users u using (user_id)
                 where m.org_id = $1 and m.user_id = $2",
                m.org_id,
                id
            )
            .fetch_optional(&mut *m.tx)
            .await?
            .ok_or(AppError::NotFound)?,
        ),
        _ => None,
    };
    let before = sqlx::query!(
        r#"select i.issue_id, i.number, i.status, u.name as "assignee?"
           from issues i left join users u on u.user_id = i.assignee_id
           where i.org_id = $1 and i.number = any($2)
           order by i.number
           for update of i"#,
        m.org_id,
        &numbers
    )
    .fetch_all(&mut *m.tx)
    .await?;
    if before.len() != numbers.len() {
        return Err(AppError::NotFound);
    }
    sqlx::query!(
        "update issues set status = coalesce($3, status),
                assignee_id = case when $4 then $5 else assignee_id end,
                version = version + 1,
                resolved_at = case when issue_is_done(coalesce($3, status))
                                   then coalesce(resolved_at, now()) end
         where org_id = $1 and number = any($2)",
        m.org_id,
        &numbers,
        status.map(Status::as_str),
        assignee.is_some(),
        assignee.flatten()
    )
    .execute(&mut *m.tx)
    .await?;
    let mut changed = Vec::new();
    for row in before {
        let mut any = false;
        if let Some(to) = status {
            let from = Status::parse(&row.status).map(|s| s.label());
            if from != Some(to.label()) {
                record_change(&mut m, row.issue_id, "status", from, Some(to.label())).await?;
                any = true;
            }
        }
        if assignee.is_some() && row.assignee != new_assignee {
            let (from, to) = (row.assignee.as_deref(), new_assignee.as_deref());
            record_change(&mut m, row.issue_id, "assignee", from, to).await?;
            any = true;
        }
        if any {
            changed.push(format!("#{}", row.number));
        }
    }
    if !changed.is_empty() {
        let mut what = Vec::new();
        if let Some(s) = status {
            what.push(format!("status to {}", s.label()));
        }
        if assignee.is_some() {
            let to = new_assignee.as_deref().unwrap_or("nobody");
            what.push(format!("assignee to {to}"));
        }
        let summary = format!(
            "Changed {} issues at once ({}): {}",
            changed.len(),
            what.join(", "),
            changed.join(", ")
        );
        m.audit("issue.updated", None, &summary).await?;
    }
    m.commit().await?;
    Ok(changed.len())
}

/// `"3, 5 8"`: distinct issue numbers, at most [`BULK_LIMIT`].
#[cfg(feature = "ssr")]
fn parse_numbers(s: &str) -> Result<Vec<i32>, AppError> {
    let invalid = |message: &str| AppError::invalid("numbers", message);
    let mut numbers = s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .map(|n| n.trim_start_matches('#').parse::<i32>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| invalid("Issue numbers are whole numbers such as 12."))?;
    numbers.sort_unstable();
    numbers.dedup();
    match numbers.len() {
        0 => Err(invalid("Select at least one issue.")),
        n if n > BULK_LIMIT => Err(invalid(&format!(
            "Change at most {BULK_LIMIT} issues at once."
        ))),
        _ => Ok(numbers),
    }
}

/// Someone or something an issue can be linked to, for the pickers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Choices {
    pub members: Vec<Named>,
    pub businesses: Vec<Named>,
}

/// The most businesses a picker lists; beyond that, link from the business's own page.
pub const PICKER_LIMIT: i64 = 1000;

/// The members an issue can be assigned to and the businesses it can be linked to.
#[server(endpoint = "work/choices", client = CsrfClient)]
pub async fn issue_choices(slug: String) -> Result<Choices, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let members = sqlx::query_as!(
        Named,
        r#"select m.user_id::text as "id!", u.name from memberships m join users u using (user_id)
           where m.org_id = $1 order by lower(u.name), u.user_id"#,
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let businesses = sqlx::query_as!(
        Named,
        r#"select business_id::text as "id!", name from businesses
           where org_id = $1 and archived_at is null order by lower(name), business_id limit $2"#,
        m.org_id,
        PICKER_LIMIT
    )
    .fetch_all(&mut *m.tx)
    .await?;
    m.commit().await?;
    Ok(Choices {
        members,
        businesses,
    })
}

#[server(endpoint = "work/comment", client = CsrfClient)]
pub async fn add_comment(slug: String, issue_id: String, body: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&issue_id)?;
    let body = text("body", "A comment", &body, 10_000, true)?;
    if body.is_empty() {
        return Err(AppError::invalid("body", "Write a comment first."));
    }
    let number = sqlx::query_scalar!(
        "select number from issues where org_id = $1 and issue_id = $2",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    sqlx::query!(
        "insert into issue_comments (org_id, issue_id, author_id, body) values ($1, $2, $3, $4)",
        m.org_id,
        id,
        m.user_id,
        body
    )
    .execute(&mut *m.tx)
    .await?;
    m.audit(
        "issue.commented",
        Some(&format!("#{number}")),
        &format!("Commented on issue #{number}"),
    )
    .await?;
    m.commit().await
}

#[server(endpoint = "work/delete_issue", client = CsrfClient)]
pub async fn delete_issue(slug: String, issue_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::ArchiveDelete).await?;
    let id = parse_id(&issue_id)?;
    let row = sqlx::query!(
        "delete from issues where org_id = $1 and issue_id = $2 returning number, title",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    m.audit(
        "issue.deleted",
        Some(&format!("#{}", row.number)),
        &format!("Deleted issue #{}: {}", row.number, row.title),
    )
    .await?;
    let slug = m.slug.clone();
    m.commit().await?;
    leptos_axum::redirect(&format!("/o/{slug}/issues"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn bulk_numbers_are_parsed_and_bounded() {
        assert_eq!(parse_numbers("3, 5 #8,3").unwrap(), vec![3, 5, 8]);
        assert!(parse_numbers("").is_err());
        assert!(parse_numbers("3,x").is_err());
        let many = (1..=201)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_numbers(&many).is_err());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn page_cursors_round_trip() {
        use IssueOrder::*;
        assert_eq!(Cursor::parse(Newest, "41").unwrap().number, 41);
        let c = Cursor::parse(Priority, "2.17").unwrap();
        assert_eq!((c.rank, c.number), (Some(2), 17));
        let c = Cursor::parse(Due, "2026-12-01.9").unwrap();
        assert_eq!((c.due.as_deref(), c.number), (Some("2026-12-01"), 9));
        for (order, bad) in [
            (Newest, "x"),
            (Priority, "17"),
            (Due, "tomorrow.3"),
            (Oldest, "1.2"),
        ] {
            assert!(Cursor::parse(order, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn issue_fields_are_checked() {
        let ok = IssueInput::parse(
            "Boiler leak",
            "Under the sink.\nCall Sam.",
            "maintenance",
            "urgent",
            "open",
            "",
            "",
            "2026-12-01",
        )
        .unwrap();
        assert_eq!(ok.priority, Priority::Urgent);
        assert_eq!(ok.due_on.as_deref(), Some("2026-12-01"));
        assert!(is_calendar_date("2028-02-29") && !is_calendar_date("+026-01-01"));
        for (args, field) in [
            (["", "", "task", "low", "open", ""], "title"),
            (["T", "", "chore", "low", "open", ""], "kind"),
            (["T", "", "task", "asap", "open", ""], "priority"),
            (["T", "", "task", "low", "done", ""], "status"),
            (["T", "", "task", "low", "open", "tomorrow"], "due_on"),
            (["T", "", "task", "low", "open", "2026-02-29"], "due_on"),
            (["T", "", "task", "low", "open", "2026-13-01"], "due_on"),
        ] {
            match IssueInput::parse(args[0], args[1], args[2], args[3], args[4], "", "", args[5]) {
                Err(AppError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }
}
