//! Issues: per-organisation numbers without gaps, edits that refuse a stale copy, comments and a
//! timeline of every change.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{IssueKind, Priority, Status};
use crate::{auth::client::CsrfClient, domain::Moment, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::{
        businesses::prefix_query,
        fields::{
            choice, optional_choice, optional_id, parse_id, stale_or_missing, InField, Versioned,
        },
        notifications, IssueOrder,
    },
    crate::access::{self, Member},
    crate::audit::AuditAction,
    crate::domain::{parse_date, CommentBody, IssueDescription, IssueNumbers, IssueTitle},
    crate::roles::Permission,
    time::Date,
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
    pub at: Moment,
    pub body: String,
}

/// One change in an issue's history: who changed which field from what to what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub actor: String,
    pub at: Moment,
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
    pub created_at: Moment,
    pub comments: Vec<Comment>,
    pub timeline: Vec<Change>,
    /// The inbox conversations the issue was opened from: id and subject.
    pub conversations: Vec<Named>,
    /// Archived: out of the lists, the board and the figures until restored.
    pub archived: bool,
    /// Whether the caller follows it (is told of its comments).
    pub following: bool,
}

/// An issue's fields as its form sends them (nested, as `form[title]` and so on): text as typed,
/// checked on the server by turning it into an [`IssueInput`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IssueForm {
    pub title: String,
    pub description: String,
    /// An [`IssueKind`]'s stored name.
    pub kind: String,
    /// A [`Priority`]'s stored name.
    pub priority: String,
    /// A [`Status`]'s stored name. The form for a new issue has none: a new issue is open.
    #[serde(default)]
    pub status: String,
    /// The linked business's id, or empty for none.
    pub business_id: String,
    /// The assigned member's id, or empty for nobody.
    pub assignee_id: String,
    /// `YYYY-MM-DD`, or empty for no due date.
    pub due_on: String,
}

impl IssueForm {
    /// The same fields for a new issue, which always starts open.
    pub fn opening(self) -> Self {
        Self {
            status: Status::Open.as_str().into(),
            ..self
        }
    }
}

/// An issue's fields checked once: a value of this type is valid. Whether the business and the
/// assignee belong to the organisation is checked when it is saved.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
pub struct IssueInput {
    title: IssueTitle,
    description: IssueDescription,
    kind: IssueKind,
    priority: Priority,
    status: Status,
    business: Option<Uuid>,
    assignee: Option<Uuid>,
    due_on: Option<Date>,
}

#[cfg(feature = "ssr")]
impl TryFrom<IssueForm> for IssueInput {
    type Error = AppError;

    /// The fields are checked in a fixed order and the first problem is the one reported, the
    /// same from the form as from a CSV row. The ids come last: one that is not an id at all is
    /// "not found", as when it names nothing in this organisation.
    fn try_from(form: IssueForm) -> Result<Self, AppError> {
        let title = IssueTitle::parse(&form.title).in_field("title")?;
        let due_on = match form.due_on.trim() {
            "" => None,
            d => Some(parse_date(d).in_field("due_on")?),
        };
        let description = IssueDescription::parse(&form.description).in_field("description")?;
        let kind = choice(&form.kind, IssueKind::parse, "kind", "Choose a kind.")?;
        let priority = choice(
            &form.priority,
            Priority::parse,
            "priority",
            "Choose a priority.",
        )?;
        let status = choice(&form.status, Status::parse, "status", "Choose a status.")?;
        Ok(Self {
            title,
            description,
            kind,
            priority,
            status,
            business: optional_id(&form.business_id)?,
            assignee: optional_id(&form.assignee_id)?,
            due_on,
        })
    }
}

/// What an issue list is narrowed to and its order, as a page asks for it (nested, as
/// `form[status]` and so on). Every field may be left empty or out: empty means "any", and the
/// default order is newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IssueQuery {
    /// A [`Status`]'s stored name.
    pub status: String,
    /// A [`Priority`]'s stored name.
    pub priority: String,
    pub assignee_id: String,
    pub business_id: String,
    /// Only issues past their due date and not done.
    pub overdue: bool,
    /// An [`super::IssueOrder`]'s stored name.
    pub order: String,
    /// The previous page's `next`; empty for the first page.
    pub after: String,
    /// Words to find in the title, the description or a comment (each word, or the start of
    /// one); empty for any.
    pub q: String,
    /// The archive instead of the issues in use.
    pub archived: bool,
}

/// An [`IssueQuery`] checked: what the list's query binds. The default is every issue, newest
/// first.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct IssueFilter {
    status: Option<Status>,
    priority: Option<Priority>,
    assignee: Option<Uuid>,
    business: Option<Uuid>,
    overdue: bool,
    order: IssueOrder,
    after: Option<Cursor>,
    /// The search words as a prefix query ([`prefix_query`]).
    search: Option<String>,
    archived: bool,
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
            search: None,
            archived: false,
        }
    }
}

#[cfg(feature = "ssr")]
impl IssueFilter {
    /// The first page of one business's issues, newest first, as its page shows them.
    pub(crate) fn of_business(business: Uuid) -> Self {
        Self {
            business: Some(business),
            ..Self::default()
        }
    }

    /// The first page of one status's issues in `order`, as a column of the board shows them.
    pub(crate) fn column(status: Status, order: IssueOrder) -> Self {
        Self {
            status: Some(status),
            order,
            ..Self::default()
        }
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<IssueQuery> for IssueFilter {
    type Error = AppError;

    fn try_from(query: IssueQuery) -> Result<Self, AppError> {
        let unknown = "Unknown filter value.";
        let status = optional_choice(&query.status, Status::parse, "status", unknown)?;
        let priority = optional_choice(&query.priority, Priority::parse, "priority", unknown)?;
        let order = optional_choice(&query.order, IssueOrder::parse, "order", "Unknown order.")?
            .unwrap_or(IssueOrder::Newest);
        let after = match query.after.trim() {
            "" => None,
            a => Some(Cursor::parse(order, a)?),
        };
        Ok(Self {
            status,
            priority,
            assignee: optional_id(&query.assignee_id)?,
            business: optional_id(&query.business_id)?,
            overdue: query.overdue,
            order,
            after,
            search: prefix_query(&query.q),
            archived: query.archived,
        })
    }
}

/// Issues matching the filters in the chosen order, a page at a time. `after` is the cursor the
/// previous page returned as `next`.
#[server(endpoint = "work/issues", client = CsrfClient)]
pub async fn list_issues(slug: String, form: IssueQuery) -> Result<IssuePage, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let filter = IssueFilter::try_from(form)?;
    page(&mut m, &filter).await
}

#[cfg(feature = "ssr")]
const PAGE: i64 = 50;

/// An issue as the lists show it, with the keys the database sorts the lists by: a page's cursor
/// is made from these, so it can never disagree with the order.
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
    /// `priority_rank(priority)`: 1 for the most urgent.
    rank: i32,
    /// `issue_due_key(due_on)`: the due date, or a date after every other for none.
    due_key: Date,
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

/// Where the previous page ended: its last issue's number and, for the orders that need it, the
/// key it was sorted by.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Cursor {
    number: i32,
    rank: Option<i32>,
    due: Option<Date>,
}

#[cfg(feature = "ssr")]
impl Cursor {
    /// The cursor of the page that follows `last`, as text for the page's `next`.
    fn after(order: IssueOrder, last: &Row) -> String {
        match order {
            IssueOrder::Newest | IssueOrder::Oldest => last.number.to_string(),
            IssueOrder::Priority => format!("{}.{}", last.rank, last.number),
            IssueOrder::Due => format!("{}.{}", last.due_key, last.number),
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
            (IssueOrder::Due, Some(k)) => cursor.due = Some(parse_date(k).map_err(|_| bad())?),
            (IssueOrder::Newest | IssueOrder::Oldest, None) => {}
            _ => return Err(bad()),
        }
        Ok(cursor)
    }
}

/// One page of issues: the list's, and a business's own on its page. Kept while the
/// organisation's data stands still (see [`super::figures`]).
#[cfg(feature = "ssr")]
pub(crate) async fn page(m: &mut Member, f: &IssueFilter) -> Result<IssuePage, AppError> {
    let (key, version) = ((m.org_id, f.clone()), m.data_version);
    let kept = m.svc.kept.issue_pages.clone();
    kept.or_compute(key, version, read_page(m, f)).await
}

#[cfg(feature = "ssr")]
async fn read_page(m: &mut Member, f: &IssueFilter) -> Result<IssuePage, AppError> {
    let mut rows = sqlx::query_as!(
        Row,
        r#"select i.issue_id, i.number, i.title, i.kind, i.priority, i.status, i.business_id,
                  b.name as "business?", u.name as "assignee?", i.due_on::text as due_on,
                  coalesce(i.due_on < $14 and issue_is_open(i.status), false) as "overdue!",
                  i.version, priority_rank(i.priority) as "rank!", issue_due_key(i.due_on) as "due_key!"
           from issues i
           left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
           left join users u on u.user_id = i.assignee_id
           where i.org_id = $1 and (i.archived_at is not null) = $13
             and ($2::text is null or i.status = $2)
             and ($3::text is null or i.priority = $3)
             and ($4::uuid is null or i.assignee_id = $4)
             and ($5::uuid is null or i.business_id = $5)
             and (not $6 or (i.due_on < $14 and issue_is_open(i.status)))
             and ($8::int is null or case $7
                 when 'oldest' then i.number > $8
                 when 'priority' then priority_rank(i.priority) > $9
                     or (priority_rank(i.priority) = $9 and i.number < $8)
                 when 'due' then issue_due_key(i.due_on) > $10
                     or (issue_due_key(i.due_on) = $10 and i.number < $8)
                 else i.number < $8 end)
             and ($12::text is null or i.issue_id in (
                 select s.issue_id from issues s
                 where s.org_id = $1 and s.search @@ to_tsquery('simple', $12)
                 union
                 select c.issue_id from issue_comments c
                 where c.org_id = $1 and c.search @@ to_tsquery('simple', $12)))
           order by case when $7 = 'priority' then priority_rank(i.priority) end,
                    case when $7 = 'due' then issue_due_key(i.due_on) end,
                    case when $7 = 'oldest' then i.number end asc,
                    i.number desc
           limit $11"#,
        m.org_id,
        f.status.map(Status::as_str),
        f.priority.map(Priority::as_str),
        f.assignee,
        f.business,
        f.overdue,
        f.order.as_str(),
        f.after.as_ref().map(|c| c.number),
        f.after.as_ref().and_then(|c| c.rank),
        f.after.as_ref().and_then(|c| c.due),
        PAGE + 1,
        f.search.as_deref(),
        f.archived,
        m.today(),
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let next = (rows.len() as i64 > PAGE)
        .then(|| {
            rows.truncate(PAGE as usize);
            rows.last().map(|last| Cursor::after(f.order, last))
        })
        .flatten();
    Ok(IssuePage {
        items: rows.into_iter().filter_map(Row::summary).collect(),
        next,
    })
}

#[server(endpoint = "work/issue", client = CsrfClient)]
pub async fn get_issue(slug: String, number: i32) -> Result<Issue, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let r = sqlx::query!(
        r#"select i.issue_id, i.number, i.title, i.kind, i.priority, i.status, i.business_id,
                  b.name as "business?", u.name as "assignee?", i.due_on::text as due_on,
                  coalesce(i.due_on < $4 and issue_is_open(i.status), false) as "overdue!",
                  i.version, priority_rank(i.priority) as "rank!", issue_due_key(i.due_on) as "due_key!",
                  i.description, i.assignee_id, coalesce(c.name, 'a former member') as "created_by!",
                  i.created_at,
                  i.archived_at is not null as "archived!",
                  exists (select 1 from issue_followers f
                          where f.org_id = i.org_id and f.issue_id = i.issue_id and f.user_id = $3) as "following!"
           from issues i
           left join businesses b on b.org_id = i.org_id and b.business_id = i.business_id
           left join users u on u.user_id = i.assignee_id
           left join users c on c.user_id = i.created_by
           where i.org_id = $1 and i.number = $2"#,
        m.org_id,
        number,
        m.user_id,
        m.today()
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let comments = sqlx::query!(
        r#"select coalesce(u.name, 'a former member') as "author!", body, c.created_at
           from issue_comments c left join users u on u.user_id = c.author_id
           where c.org_id = $1 and c.issue_id = $2 order by c.created_at, c.comment_id"#,
        m.org_id,
        r.issue_id
    )
    .fetch_all(&mut *m.tx)
    .await?
    .into_iter()
    .map(|c| Comment {
        author: c.author,
        at: m.moment(c.created_at),
        body: c.body,
    })
    .collect();
    let timeline = sqlx::query!(
        r#"select coalesce(u.name, 'a former member') as "actor!", field, old_value, new_value, e.created_at
           from issue_events e left join users u on u.user_id = e.actor_id
           where e.org_id = $1 and e.issue_id = $2 order by e.event_id"#,
        m.org_id,
        r.issue_id
    )
    .fetch_all(&mut *m.tx)
    .await?
    .into_iter()
    .map(|e| Change {
        actor: e.actor,
        at: m.moment(e.created_at),
        field: e.field,
        from: e.old_value,
        to: e.new_value,
    })
    .collect();
    let conversations = sqlx::query!(
        "select thread_id, subject from inbox_threads where org_id = $1 and issue_id = $2
         order by created_at",
        m.org_id,
        r.issue_id
    )
    .fetch_all(&mut *m.tx)
    .await?
    .into_iter()
    .map(|t| Named {
        id: t.thread_id.to_string(),
        name: t.subject,
    })
    .collect();
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
        rank: r.rank,
        due_key: r.due_key,
    }
    .summary()
    .ok_or(AppError::Internal)?;
    Ok(Issue {
        summary,
        description: r.description,
        assignee_id: r.assignee_id.map(|a| a.to_string()),
        created_by: r.created_by,
        created_at: m.moment(r.created_at),
        comments,
        timeline,
        conversations,
        archived: r.archived,
        following: r.following,
    })
}

/// Checks that the business and the assignee of an input belong to this organisation. Another
/// organisation's id is "not found", like one that never existed.
#[cfg(feature = "ssr")]
async fn check_links(m: &mut Member, input: &IssueInput) -> Result<(), AppError> {
    let found = sqlx::query_scalar!(
        r#"select ($2::uuid is null or exists (select 1 from businesses where org_id = $1 and business_id = $2))
              and ($3::uuid is null or exists (select 1 from memberships where org_id = $1 and user_id = $3)) as "found!""#,
        m.org_id,
        input.business,
        input.assignee
    )
    .fetch_one(&mut *m.tx)
    .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Creates an issue with the organisation's next number. The counter row stays locked until the
/// transaction ends, so concurrent creations queue and a failed one leaves no gap.
#[cfg(feature = "ssr")]
pub(crate) async fn insert_issue(m: &mut Member, input: &IssueInput) -> Result<i32, AppError> {
    check_links(m, input).await?;
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
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                 case when issue_is_done($7) then now() end)
         returning issue_id",
        m.org_id,
        number,
        input.title.as_str(),
        input.description.as_str(),
        input.kind.as_str(),
        input.priority.as_str(),
        input.status.as_str(),
        input.business,
        input.assignee,
        input.due_on,
        m.user_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    record_change(m, id, "created", None, Some(&format!("#{number}"))).await?;
    let (org, creator) = (m.org_id, m.user_id);
    notifications::add_follower(&mut m.tx, org, id, creator).await?;
    if let Some(assignee) = input.assignee {
        notifications::issue_assigned(m, id, number, input.title.as_str(), assignee).await?;
    }
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

/// Opens an issue; whatever status the form carries, a new issue is open.
#[server(endpoint = "work/create_issue", client = CsrfClient)]
pub async fn create_issue(slug: String, form: IssueForm) -> Result<i32, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let input = IssueInput::try_from(form.opening())?;
    let number = insert_issue(&mut m, &input).await?;
    m.audit(
        AuditAction::IssueCreated,
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
pub async fn update_issue(
    slug: String,
    issue_id: String,
    version: i32,
    form: IssueForm,
) -> Result<i32, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&issue_id)?;
    let input = IssueInput::try_from(form)?;
    check_links(&mut m, &input).await?;
    let before = sqlx::query!(
        r#"select i.number, i.title, i.description, i.kind, i.priority, i.status, b.name as "business?",
                  u.name as "assignee?", i.due_on::text as due_on, i.assignee_id
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
                business_id = $8, assignee_id = $9, due_on = $10, version = version + 1,
                resolved_at = case when issue_is_done($7) then coalesce(resolved_at, now()) end
         where org_id = $1 and issue_id = $2
         returning version",
        m.org_id,
        id,
        input.title.as_str(),
        input.description.as_str(),
        input.kind.as_str(),
        input.priority.as_str(),
        input.status.as_str(),
        input.business,
        input.assignee,
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
    if let Some(assignee) = input.assignee.filter(|a| before.assignee_id != Some(*a)) {
        notifications::issue_assigned(&mut m, id, before.number, input.title.as_str(), assignee)
            .await?;
    }
    let label = |parse: Option<&'static str>| parse.map(str::to_string);
    let changes: Vec<(&str, Option<String>, Option<String>)> = vec![
        ("title", Some(before.title), Some(input.title.to_string())),
        (
            "description",
            Some(before.description),
            Some(input.description.to_string()),
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
        (
            "due date",
            before.due_on,
            input.due_on.map(|d| d.to_string()),
        ),
    ];
    let mut changed = Vec::new();
    for (field, from, to) in changes.into_iter().filter(|(_, a, b)| a != b) {
        record_change(&mut m, id, field, from.as_deref(), to.as_deref()).await?;
        changed.push(field);
    }
    if !changed.is_empty() {
        let summary = format!("Changed issue #{}: {}", before.number, changed.join(", "));
        m.audit(
            AuditAction::IssueUpdated,
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
    let status = choice(&status, Status::parse, "status", "Choose a status.")?;
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
        m.audit(
            AuditAction::IssueUpdated,
            Some(&format!("#{}", row.number)),
            &summary,
        )
        .await?;
    }
    m.commit().await?;
    Ok(row.version)
}

/// A change to several issues at once, as the list's bulk form sends it (nested, as
/// `form[numbers]` and so on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkForm {
    /// The selected issues' numbers, separated by commas or spaces.
    pub numbers: String,
    /// The new status's stored name, or empty to leave each issue's as it is.
    pub status: String,
    /// The new assignee's id, `none` to unassign, or empty to leave each issue's as it is.
    pub assignee_id: String,
}

/// What a bulk change does to each issue's assignee.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reassignment {
    Keep,
    Unassign,
    To(Uuid),
}

/// A [`BulkForm`] checked: which issues, and a change to at least one of status and assignee.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
struct BulkChange {
    numbers: IssueNumbers,
    status: Option<Status>,
    assignee: Reassignment,
}

#[cfg(feature = "ssr")]
impl TryFrom<BulkForm> for BulkChange {
    type Error = AppError;

    fn try_from(form: BulkForm) -> Result<Self, AppError> {
        let numbers = IssueNumbers::parse(&form.numbers).in_field("numbers")?;
        let status = optional_choice(&form.status, Status::parse, "status", "Choose a status.")?;
        let assignee = match form.assignee_id.trim() {
            "" => Reassignment::Keep,
            "none" => Reassignment::Unassign,
            id => Reassignment::To(parse_id(id)?),
        };
        if status.is_none() && assignee == Reassignment::Keep {
            return Err(AppError::invalid(
                "status",
                "Choose a new status or assignee for the selected issues.",
            ));
        }
        Ok(Self {
            numbers,
            status,
            assignee,
        })
    }
}

/// Sets the status and/or the assignee of several issues at once, each change on its issue's
/// timeline. Returns how many issues changed.
#[server(endpoint = "work/bulk_update", client = CsrfClient)]
pub async fn bulk_update(slug: String, form: BulkForm) -> Result<usize, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let BulkChange {
        numbers,
        status,
        assignee,
    } = BulkChange::try_from(form)?;
    let new_assignee = match assignee {
        Reassignment::To(id) => Some(
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
        Reassignment::Keep | Reassignment::Unassign => None,
    };
    let reassigned = assignee != Reassignment::Keep;
    let before = sqlx::query!(
        r#"select i.issue_id, i.number, i.title, i.status, u.name as "assignee?", i.assignee_id
           from issues i left join users u on u.user_id = i.assignee_id
           where i.org_id = $1 and i.number = any($2)
           order by i.number
           for update of i"#,
        m.org_id,
        numbers.as_slice()
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
        numbers.as_slice(),
        status.map(Status::as_str),
        reassigned,
        match assignee {
            Reassignment::To(id) => Some(id),
            Reassignment::Keep | Reassignment::Unassign => None,
        }
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
        if reassigned && row.assignee != new_assignee {
            let (from, to) = (row.assignee.as_deref(), new_assignee.as_deref());
            record_change(&mut m, row.issue_id, "assignee", from, to).await?;
            if let Reassignment::To(to) = assignee {
                if row.assignee_id != Some(to) {
                    notifications::issue_assigned(&mut m, row.issue_id, row.number, &row.title, to)
                        .await?;
                }
            }
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
        if reassigned {
            let to = new_assignee.as_deref().unwrap_or("nobody");
            what.push(format!("assignee to {to}"));
        }
        let summary = format!(
            "Changed {} issues at once ({}): {}",
            changed.len(),
            what.join(", "),
            changed.join(", ")
        );
        m.audit(AuditAction::IssueUpdated, None, &summary).await?;
    }
    m.commit().await?;
    Ok(changed.len())
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
    Ok(Choices {
        members,
        businesses,
    })
}

#[server(endpoint = "work/comment", client = CsrfClient)]
pub async fn add_comment(slug: String, issue_id: String, body: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&issue_id)?;
    let body = CommentBody::parse(&body).in_field("body")?;
    let issue = sqlx::query!(
        "select number, title from issues where org_id = $1 and issue_id = $2",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let number = issue.number;
    notifications::issue_commented(&mut m, id, number, &issue.title, body.as_str()).await?;
    sqlx::query!(
        "insert into issue_comments (org_id, issue_id, author_id, body) values ($1, $2, $3, $4)",
        m.org_id,
        id,
        m.user_id,
        body.as_str()
    )
    .execute(&mut *m.tx)
    .await?;
    m.audit(
        AuditAction::IssueCommented,
        Some(&format!("#{number}")),
        &format!("Commented on issue #{number}"),
    )
    .await?;
    m.commit().await
}

/// Archives an issue (the delete people are offered: restorable) or restores it. Either way
/// the timeline and the audit log say who did it.
#[server(endpoint = "work/archive_issue", client = CsrfClient)]
pub async fn archive_issue(slug: String, issue_id: String, archived: bool) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::ArchiveDelete).await?;
    let id = parse_id(&issue_id)?;
    let row = sqlx::query!(
        r#"update issues set archived_at = case when $3 then coalesce(archived_at, now()) end,
                  version = version + 1
           where org_id = $1 and issue_id = $2 and (archived_at is not null) <> $3
           returning number, title"#,
        m.org_id,
        id,
        archived
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    let Some(row) = row else {
        // Already as asked (someone else did it first), or not there at all.
        return match issue_number(&mut m, id).await? {
            Some(_) => m.commit().await,
            None => Err(AppError::NotFound),
        };
    };
    let (action, verb, to) = if archived {
        (AuditAction::IssueArchived, "Archived", Some("archived"))
    } else {
        (AuditAction::IssueRestored, "Restored", None)
    };
    record_change(&mut m, id, "archive", None, to).await?;
    m.audit(
        action,
        Some(&format!("#{}", row.number)),
        &format!("{verb} issue #{}: {}", row.number, row.title),
    )
    .await?;
    m.commit().await
}

/// The number of the organisation's issue `id`, if there is one.
#[cfg(feature = "ssr")]
pub(crate) async fn issue_number(m: &mut Member, id: Uuid) -> Result<Option<i32>, AppError> {
    Ok(sqlx::query_scalar!(
        "select number from issues where org_id = $1 and issue_id = $2",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?)
}

/// Deletes an archived issue for good, with its comments and timeline; the audit log keeps
/// that it was deleted, by whom. An issue in use is archived first.
#[server(endpoint = "work/delete_issue", client = CsrfClient)]
pub async fn delete_issue(slug: String, issue_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Purge).await?;
    let id = parse_id(&issue_id)?;
    let row = sqlx::query!(
        "delete from issues where org_id = $1 and issue_id = $2 and archived_at is not null
         returning number, title",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    let Some(row) = row else {
        return Err(match issue_number(&mut m, id).await? {
            Some(n) => AppError::Refused(format!(
                "Issue #{n} is in use: archive it before deleting it for good."
            )),
            None => AppError::NotFound,
        });
    };
    m.audit(
        AuditAction::IssueDeleted,
        Some(&format!("#{}", row.number)),
        &format!("Deleted issue #{} for good: {}", row.number, row.title),
    )
    .await?;
    let slug = m.slug.clone();
    m.commit().await?;
    leptos_axum::redirect(&format!("/o/{slug}/issues?archived=true"));
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn form() -> IssueForm {
        IssueForm {
            title: "Boiler leak".into(),
            description: "Under the sink.\nCall Sam.".into(),
            kind: "maintenance".into(),
            priority: "urgent".into(),
            status: "open".into(),
            business_id: String::new(),
            assignee_id: String::new(),
            due_on: "2026-12-01".into(),
        }
    }

    fn refused(form: IssueForm) -> AppError {
        IssueInput::try_from(form).unwrap_err()
    }

    fn invalid(field: &str) -> impl Fn(&AppError) -> bool + '_ {
        move |e| matches!(e, AppError::Invalid { field: f, .. } if f == field)
    }

    #[test]
    fn an_issue_form_becomes_a_typed_input() {
        let input = IssueInput::try_from(form()).unwrap();
        assert_eq!(input.title.as_str(), "Boiler leak");
        assert_eq!(input.kind, IssueKind::Maintenance);
        assert_eq!(input.priority, Priority::Urgent);
        assert_eq!(input.due_on, Some(parse_date("2026-12-01").unwrap()));
        assert_eq!((input.business, input.assignee), (None, None));
    }

    #[test]
    fn a_new_issue_is_open_whatever_status_its_form_carries() {
        let form = IssueForm {
            status: "closed".into(),
            ..form()
        };
        let input = IssueInput::try_from(form.opening()).unwrap();
        assert_eq!(input.status, Status::Open);
    }

    #[test]
    fn a_refused_issue_form_names_the_field_at_fault() {
        let cases = [
            (
                IssueForm {
                    title: "".into(),
                    ..form()
                },
                "title",
            ),
            (
                IssueForm {
                    kind: "chore".into(),
                    ..form()
                },
                "kind",
            ),
            (
                IssueForm {
                    priority: "asap".into(),
                    ..form()
                },
                "priority",
            ),
            (
                IssueForm {
                    status: "done".into(),
                    ..form()
                },
                "status",
            ),
            (
                IssueForm {
                    status: "".into(),
                    ..form()
                },
                "status",
            ),
            (
                IssueForm {
                    due_on: "tomorrow".into(),
                    ..form()
                },
                "due_on",
            ),
            (
                IssueForm {
                    due_on: "2026-02-29".into(),
                    ..form()
                },
                "due_on",
            ),
            (
                IssueForm {
                    description: "\u{0}".into(),
                    ..form()
                },
                "description",
            ),
        ];
        for (form, field) in cases {
            let e = refused(form.clone());
            assert!(invalid(field)(&e), "{form:?}: {e:?}");
        }
    }

    #[test]
    fn the_first_field_at_fault_is_the_one_reported() {
        let e = refused(IssueForm {
            kind: "chore".into(),
            due_on: "tomorrow".into(),
            ..form()
        });
        assert!(invalid("due_on")(&e), "{e:?}");
    }

    #[test]
    fn an_id_that_is_not_an_id_is_not_found_once_the_fields_are_right() {
        let bad_link = IssueForm {
            business_id: "not-an-id".into(),
            ..form()
        };
        assert_eq!(refused(bad_link.clone()), AppError::NotFound);
        let also_bad_date = IssueForm {
            due_on: "tomorrow".into(),
            ..bad_link
        };
        assert!(invalid("due_on")(&refused(also_bad_date)));
    }

    #[test]
    fn an_empty_issue_query_is_every_issue_newest_first() {
        assert_eq!(
            IssueFilter::try_from(IssueQuery::default()).unwrap(),
            IssueFilter::default()
        );
    }

    #[test]
    fn an_issue_query_refuses_unknown_values_by_field() {
        let cases = [
            (
                IssueQuery {
                    status: "done".into(),
                    ..IssueQuery::default()
                },
                "status",
            ),
            (
                IssueQuery {
                    priority: "asap".into(),
                    ..IssueQuery::default()
                },
                "priority",
            ),
            (
                IssueQuery {
                    order: "random".into(),
                    ..IssueQuery::default()
                },
                "order",
            ),
            (
                IssueQuery {
                    order: "priority".into(),
                    after: "urgent.3".into(),
                    ..IssueQuery::default()
                },
                "after",
            ),
        ];
        for (query, field) in cases {
            let e = IssueFilter::try_from(query.clone()).unwrap_err();
            assert!(invalid(field)(&e), "{query:?}: {e:?}");
        }
        let someone = IssueQuery {
            assignee_id: "someone".into(),
            ..IssueQuery::default()
        };
        assert_eq!(IssueFilter::try_from(someone), Err(AppError::NotFound));
    }

    #[test]
    fn page_cursors_round_trip() {
        use IssueOrder::*;
        assert_eq!(Cursor::parse(Newest, "41").unwrap().number, 41);
        let c = Cursor::parse(Priority, "2.17").unwrap();
        assert_eq!((c.rank, c.number), (Some(2), 17));
        let c = Cursor::parse(Due, "2026-12-01.9").unwrap();
        assert_eq!(
            (c.due.map(|d| d.to_string()), c.number),
            (Some("2026-12-01".into()), 9)
        );
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
    fn a_cursor_is_made_from_the_keys_the_database_sorted_by() {
        let last = Row {
            issue_id: Uuid::nil(),
            number: 9,
            title: "Boiler leak".into(),
            kind: "task".into(),
            priority: "high".into(),
            status: "open".into(),
            business_id: None,
            business: None,
            assignee: None,
            due_on: None,
            overdue: false,
            version: 1,
            rank: 2,
            due_key: parse_date("9999-12-31").unwrap(),
        };
        assert_eq!(Cursor::after(IssueOrder::Oldest, &last), "9");
        assert_eq!(Cursor::after(IssueOrder::Priority, &last), "2.9");
        let due = Cursor::after(IssueOrder::Due, &last);
        assert_eq!(due, "9999-12-31.9");
        assert_eq!(
            Cursor::parse(IssueOrder::Due, &due).unwrap().due,
            Some(last.due_key)
        );
    }

    fn bulk(numbers: &str, status: &str, assignee_id: &str) -> Result<BulkChange, AppError> {
        BulkChange::try_from(BulkForm {
            numbers: numbers.into(),
            status: status.into(),
            assignee_id: assignee_id.into(),
        })
    }

    #[test]
    fn a_bulk_change_changes_the_status_the_assignee_or_both() {
        let change = bulk("3, 5 #8,3", "blocked", "none").unwrap();
        assert_eq!(change.numbers.as_slice(), [3, 5, 8]);
        assert_eq!(change.status, Some(Status::Blocked));
        assert_eq!(change.assignee, Reassignment::Unassign);
        let id = Uuid::nil().to_string();
        assert_eq!(
            bulk("3", "", &id).unwrap().assignee,
            Reassignment::To(Uuid::nil())
        );
        assert_eq!(bulk("3", "open", "").unwrap().assignee, Reassignment::Keep);
    }

    #[test]
    fn a_bulk_change_that_changes_nothing_is_refused() {
        assert!(invalid("status")(&bulk("3", "", "").unwrap_err()));
        assert!(invalid("numbers")(&bulk("", "open", "").unwrap_err()));
        assert!(invalid("status")(&bulk("3", "done", "").unwrap_err()));
        assert_eq!(bulk("3", "", "someone"), Err(AppError::NotFound));
    }
}
