//! Notifications: what a member should know of, in the app (the bell in the organisation's
//! header) and by email, batched to one email in a few minutes at most, as each person chooses
//! per kind. Made in the transaction of the change they tell of, so one exists if and only if
//! the change commits.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    crate::access::{self, Member},
    crate::jobs::{enqueue, Job, Queue},
    crate::roles::Permission,
    sqlx::PgConnection,
    time::OffsetDateTime,
    uuid::Uuid,
};

choice!(
    /// What a notification tells of.
    Kind {
        Assigned => ("assigned", "An issue is assigned to you"),
        Commented => ("commented", "A comment on an issue you follow or are assigned"),
        Mentioned => ("mentioned", "Someone mentions you"),
        Overdue => ("overdue", "An issue of yours is overdue"),
        ThreadAssigned => ("thread_assigned", "A conversation is assigned to you"),
        InvitationAccepted => ("invitation_accepted", "Someone accepts your invitation"),
    }
);

choice!(
    /// Where a kind of notification reaches a person.
    Channel {
        Both => ("both", "In the app and by email"),
        App => ("app", "In the app"),
        Email => ("email", "By email"),
        Off => ("none", "Not at all"),
    }
);

impl Kind {
    /// The channel of a kind nobody chose one for: comments only in the app (they are many),
    /// everything else both ways. The database says the same (`app_notification_channel`).
    pub fn default_channel(self) -> Channel {
        match self {
            Kind::Commented => Channel::App,
            _ => Channel::Both,
        }
    }
}

impl Channel {
    pub fn in_app(self) -> bool {
        matches!(self, Channel::Both | Channel::App)
    }

    pub fn by_email(self) -> bool {
        matches!(self, Channel::Both | Channel::Email)
    }

    /// The same channel without email: what unsubscribing leaves.
    pub fn without_email(self) -> Channel {
        match self {
            Channel::Both | Channel::App => Channel::App,
            Channel::Email | Channel::Off => Channel::Off,
        }
    }
}

/// One notification as the bell lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    /// The whole sentence: who did what.
    pub text: String,
    pub link: String,
    pub at: crate::domain::Moment,
    pub read: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Notifications {
    pub unread: i64,
    /// The newest first, at most [`LISTED`].
    pub items: Vec<Notification>,
}

/// How many notifications the bell lists.
pub const LISTED: i64 = 30;

/// The caller's notifications in this organisation, newest first, with how many are unread.
#[server(endpoint = "work/notifications", client = CsrfClient)]
pub async fn list_notifications(slug: String) -> Result<Notifications, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let unread = sqlx::query_scalar!(
        r#"select count(*) as "n!" from notifications
           where org_id = $1 and user_id = $2 and in_app and read_at is null"#,
        m.org_id,
        m.user_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    let items = sqlx::query!(
        r#"select n.notification_id, n.kind, coalesce(u.name, 'A former member') as "actor!", n.title,
                  n.link, n.created_at, n.read_at is not null as "read!"
           from notifications n left join users u on u.user_id = n.actor_id
           where n.org_id = $1 and n.user_id = $2 and n.in_app
           order by n.notification_id desc limit $3"#,
        m.org_id,
        m.user_id,
        LISTED
    )
    .fetch_all(&mut *m.tx)
    .await?
    .into_iter()
    .map(|n| Notification {
        id: n.notification_id,
        text: sentence(&n.kind, &n.actor, &n.title),
        link: n.link,
        at: m.moment(n.created_at),
        read: n.read,
    })
    .collect();
    Ok(Notifications { unread, items })
}

/// A notification as one sentence: who did what, or (of what nobody did, such as an issue
/// becoming overdue) what happened.
#[cfg(feature = "ssr")]
pub fn sentence(kind: &str, actor: &str, title: &str) -> String {
    match Kind::parse(kind) {
        Some(Kind::Overdue) => title.to_string(),
        _ => format!("{actor} {title}"),
    }
}

/// Which notifications to mark read: one by its id, or every one when empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadForm {
    pub id: String,
}

/// Marks one of the caller's notifications read, or all of them in this organisation.
#[server(endpoint = "work/notifications_read", client = CsrfClient)]
pub async fn mark_read(slug: String, form: ReadForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let id = match form.id.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::invalid("id", "Not a notification."))?,
        ),
    };
    sqlx::query!(
        "update notifications set read_at = now()
         where org_id = $1 and user_id = $2 and read_at is null
           and ($3::bigint is null or notification_id = $3)",
        m.org_id,
        m.user_id,
        id
    )
    .execute(&mut *m.tx)
    .await?;
    m.commit().await
}

/// Following an issue: its comments are notified to the caller, or no longer.
#[server(endpoint = "work/follow_issue", client = CsrfClient)]
pub async fn follow_issue(slug: String, issue_id: String, follow: bool) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let id = super::fields::parse_id(&issue_id)?;
    if follow {
        if super::issues::issue_number(&mut m, id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let (org, me) = (m.org_id, m.user_id);
        add_follower(&mut m.tx, org, id, me).await?;
    } else {
        sqlx::query!(
            "delete from issue_followers where org_id = $1 and issue_id = $2 and user_id = $3",
            m.org_id,
            id,
            m.user_id
        )
        .execute(&mut *m.tx)
        .await?;
    }
    m.commit().await
}

/// Each kind with the caller's channel for it (the default where they chose none).
#[server(endpoint = "account/notification_preferences", client = CsrfClient)]
pub async fn notification_preferences() -> Result<Vec<(Kind, Channel)>, AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    channels(&mut tx, me.user_id).await
}

/// Each kind with `user`'s channel for it, the default where they chose none.
#[cfg(feature = "ssr")]
async fn channels(conn: &mut PgConnection, user: Uuid) -> Result<Vec<(Kind, Channel)>, AppError> {
    let chosen = sqlx::query!(
        "select kind, channel from notification_preferences where user_id = $1",
        user
    )
    .fetch_all(conn)
    .await?;
    Ok(Kind::ALL
        .iter()
        .map(|&kind| {
            let channel = chosen
                .iter()
                .find(|c| c.kind == kind.as_str())
                .and_then(|c| Channel::parse(&c.channel))
                .unwrap_or(kind.default_channel());
            (kind, channel)
        })
        .collect())
}

/// One kind's channel, as the preferences form sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PreferenceForm {
    /// A [`Kind`]'s stored name.
    pub kind: String,
    /// A [`Channel`]'s stored name.
    pub channel: String,
}

#[server(endpoint = "account/set_notification_preference", client = CsrfClient)]
pub async fn set_notification_preference(form: PreferenceForm) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let kind =
        Kind::parse(&form.kind).ok_or_else(|| AppError::invalid("kind", "Choose a kind."))?;
    let channel = Channel::parse(&form.channel)
        .ok_or_else(|| AppError::invalid("channel", "Choose where it reaches you."))?;
    let mut tx = me.begin().await?;
    set_channel(&mut tx, me.user_id, kind, channel).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "ssr")]
async fn set_channel(
    conn: &mut PgConnection,
    user: Uuid,
    kind: Kind,
    channel: Channel,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into notification_preferences (user_id, kind, channel) values ($1, $2, $3)
         on conflict (user_id, kind) do update set channel = excluded.channel",
        user,
        kind.as_str(),
        channel.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The unsubscribe link's two parts, as its page sends them back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnsubscribeForm {
    pub user: String,
    pub signature: String,
}

/// What the signature of an unsubscribe link signs: its one purpose and the person.
#[cfg(feature = "ssr")]
pub fn unsubscribe_message(user: Uuid) -> String {
    format!("unsubscribe from notification emails:{user}")
}

/// Stops every notification email to the person the link was made for, without signing in: the
/// link is signed with the server's key for this purpose alone. In the app they stay.
#[server(endpoint = "notifications/unsubscribe", client = CsrfClient)]
pub async fn unsubscribe(form: UnsubscribeForm) -> Result<(), AppError> {
    let svc = access::public()?;
    let user = Uuid::parse_str(form.user.trim()).map_err(|_| AppError::BadToken)?;
    if !svc
        .two_factor_key
        .verify_link(&unsubscribe_message(user), form.signature.trim())
    {
        return Err(AppError::BadToken);
    }
    let mut tx = crate::tenancy::user_tx(&svc.pool, user).await?;
    for (kind, now) in channels(&mut tx, user).await? {
        set_channel(&mut tx, user, kind, now.without_email()).await?;
    }
    // Nothing waiting goes out either.
    sqlx::query!(
        "update notifications set email_due = false where user_id = $1 and email_due",
        user
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The job that sends a person's waiting notifications in one email.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailNotifications {
    pub user_id: Uuid,
}

#[cfg(feature = "ssr")]
impl Job for EmailNotifications {
    const KIND: &'static str = "notifications.email";
}

/// A notification to make: for whom, of what kind, the sentence after the actor's name, and
/// where in the organisation it points.
#[cfg(feature = "ssr")]
pub struct Notice {
    pub to: Uuid,
    pub kind: Kind,
    pub title: String,
    pub link: String,
}

/// Where a notice is made: the organisation's transaction, who acted (nobody, for what the
/// clock brings, such as an issue becoming overdue), and how many seconds the emails of
/// notifications gather for (a person gets at most one such email in that time).
#[cfg(feature = "ssr")]
pub struct Notifier<'c> {
    pub conn: &'c mut PgConnection,
    pub org: Uuid,
    pub actor: Option<Uuid>,
    pub email_secs: i64,
}

#[cfg(feature = "ssr")]
impl<'c> Notifier<'c> {
    /// A member's, acting in their organisation.
    pub fn of(m: &'c mut Member) -> Self {
        Self {
            org: m.org_id,
            actor: Some(m.user_id),
            email_secs: m.svc.notification_email_secs,
            conn: &mut m.tx,
        }
    }
}

/// Makes `notice` in the organisation `org`, by `actor`, as its recipient chose: in the app,
/// waiting for the next batched email, both, or not at all. Nothing is made for the actor
/// themselves, nor for anyone who is not a member. Whether one was made.
#[cfg(feature = "ssr")]
pub async fn notify(n: &mut Notifier<'_>, notice: Notice) -> Result<bool, AppError> {
    let (conn, org, actor) = (&mut *n.conn, n.org, n.actor);
    if Some(notice.to) == actor {
        return Ok(false);
    }
    let channel = sqlx::query_scalar!(
        "select app_notification_channel($1, $2)",
        notice.to,
        notice.kind.as_str()
    )
    .fetch_one(&mut *conn)
    .await?
    .and_then(|c| Channel::parse(&c));
    let Some(channel) = channel.filter(|c| c.in_app() || c.by_email()) else {
        return Ok(false);
    };
    sqlx::query!(
        "insert into notifications (org_id, user_id, kind, actor_id, title, link, in_app, email_due)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        org,
        notice.to,
        notice.kind.as_str(),
        actor,
        notice.title,
        notice.link,
        channel.in_app(),
        channel.by_email()
    )
    .execute(&mut *conn)
    .await?;
    if channel.by_email() {
        // One job per person per batch window: what is made within it goes out together at its
        // end; what comes later has the next window's job.
        let every = n.email_secs.max(1);
        let window = OffsetDateTime::now_utc().unix_timestamp().div_euclid(every);
        let due = OffsetDateTime::from_unix_timestamp((window + 1) * every)
            .map_err(|_| AppError::Internal)?;
        enqueue(
            conn,
            &EmailNotifications { user_id: notice.to },
            Queue::default()
                .dedupe(format!("{}@{window}", notice.to))
                .at(due),
        )
        .await?;
    }
    Ok(true)
}

/// `user` follows the issue from now on (once).
#[cfg(feature = "ssr")]
pub(crate) async fn add_follower(
    conn: &mut PgConnection,
    org: Uuid,
    issue: Uuid,
    user: Uuid,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into issue_followers (org_id, issue_id, user_id) values ($1, $2, $3)
         on conflict do nothing",
        org,
        issue,
        user
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An issue's assignee is told, and follows it.
#[cfg(feature = "ssr")]
pub(crate) async fn issue_assigned(
    m: &mut Member,
    issue: Uuid,
    number: i32,
    title: &str,
    assignee: Uuid,
) -> Result<(), AppError> {
    let link = format!("/o/{}/issues/{number}", m.slug);
    let mut n = Notifier::of(m);
    add_follower(n.conn, n.org, issue, assignee).await?;
    let notice = Notice {
        to: assignee,
        kind: Kind::Assigned,
        title: format!("assigned #{number} {title} to you"),
        link,
    };
    notify(&mut n, notice).await?;
    Ok(())
}

/// A comment: the people it mentions (`@` and a member's name) are told so; the issue's
/// assignee and followers are told of the comment; the commenter follows the issue.
#[cfg(feature = "ssr")]
pub(crate) async fn issue_commented(
    m: &mut Member,
    issue: Uuid,
    number: i32,
    title: &str,
    body: &str,
) -> Result<(), AppError> {
    let link = format!("/o/{}/issues/{number}", m.slug);
    let commenter = m.user_id;
    let mut n = Notifier::of(m);
    let org = n.org;
    let members = sqlx::query!(
        "select u.user_id, u.name from memberships ms join users u using (user_id) where ms.org_id = $1",
        org
    )
    .fetch_all(&mut *n.conn)
    .await?;
    let mentioned: Vec<Uuid> = mentions(body, members.iter().map(|u| (u.user_id, u.name.as_str())));
    let watching = sqlx::query_scalar!(
        r#"select user_id as "user_id!" from issue_followers where org_id = $1 and issue_id = $2
           union
           select assignee_id as "user_id!" from issues
           where org_id = $1 and issue_id = $2 and assignee_id is not null"#,
        org,
        issue
    )
    .fetch_all(&mut *n.conn)
    .await?;
    // Whoever is mentioned hears of the mention, not of the comment as well.
    let told: Vec<(Uuid, Kind, &str)> = mentioned
        .iter()
        .map(|&to| (to, Kind::Mentioned, "mentioned you on"))
        .chain(
            watching
                .into_iter()
                .filter(|u| !mentioned.contains(u))
                .map(|to| (to, Kind::Commented, "commented on")),
        )
        .collect();
    for (to, kind, what) in told {
        let notice = Notice {
            to,
            kind,
            title: format!("{what} #{number} {title}"),
            link: link.clone(),
        };
        notify(&mut n, notice).await?;
    }
    add_follower(n.conn, org, issue, commenter).await
}

/// Tells each assignee of an open issue in this organisation that became overdue (due before
/// `today`, the organisation's date) and was not told of yet at this due date. How many.
#[cfg(feature = "ssr")]
pub async fn notify_overdue(
    n: &mut Notifier<'_>,
    slug: &str,
    today: time::Date,
) -> Result<usize, AppError> {
    let due = sqlx::query!(
        r#"select i.issue_id, i.number, i.title, i.due_on as "due_on!", i.assignee_id as "assignee_id!"
           from issues i
           where i.org_id = $1 and issue_is_open(i.status) and i.archived_at is null
             and i.assignee_id is not null and i.due_on < $2
             and not exists (select 1 from overdue_notices o
                             where o.org_id = i.org_id and o.issue_id = i.issue_id and o.due_on = i.due_on)
           order by i.due_on, i.number
           for update of i skip locked"#,
        n.org,
        today
    )
    .fetch_all(&mut *n.conn)
    .await?;
    for issue in &due {
        let notice = Notice {
            to: issue.assignee_id,
            kind: Kind::Overdue,
            title: format!(
                "#{} {} is overdue: it was due on {}",
                issue.number,
                issue.title,
                crate::domain::date::long_date(issue.due_on)
            ),
            link: format!("/o/{slug}/issues/{}", issue.number),
        };
        notify(n, notice).await?;
        sqlx::query!(
            "insert into overdue_notices (org_id, issue_id, due_on) values ($1, $2, $3)
             on conflict do nothing",
            n.org,
            issue.issue_id,
            issue.due_on
        )
        .execute(&mut *n.conn)
        .await?;
    }
    Ok(due.len())
}

/// The members a text mentions: `@` followed by a member's whole name (any case), not inside a
/// longer word. Each once, longest names first so "@Sam Smith" is not also "@Sam".
pub fn mentions<'a, Id: Copy + PartialEq>(
    text: &str,
    members: impl IntoIterator<Item = (Id, &'a str)>,
) -> Vec<Id> {
    let lower = text.to_lowercase();
    let mut members: Vec<(Id, String)> = members
        .into_iter()
        .map(|(id, name)| (id, name.trim().to_lowercase()))
        .filter(|(_, name)| !name.is_empty())
        .collect();
    members.sort_by_key(|(_, name)| std::cmp::Reverse(name.len()));
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut found = Vec::new();
    for (id, name) in members {
        let needle = format!("@{name}");
        let mut from = 0;
        while let Some(at) = lower[from..].find(&needle).map(|i| i + from) {
            let end = at + needle.len();
            let ends_word = lower[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            let starts_word = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            let inside_other = taken.iter().any(|&(s, e)| at >= s && at < e);
            if ends_word && starts_word && !inside_other {
                taken.push((at, end));
                if !found.contains(&id) {
                    found.push(id);
                }
            }
            from = end;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_whole_member_names_after_an_at_sign() {
        let members = [
            (1, "Sam"),
            (2, "Sam Smith"),
            (3, "Robin Example"),
            (4, "Al"),
        ];
        assert_eq!(mentions("@sam smith can you look?", members), vec![2]);
        assert_eq!(
            mentions("@Sam and @Robin Example, thanks", members),
            vec![3, 1]
        );
        assert_eq!(mentions("@Samuel is not Sam", members), Vec::<i32>::new());
        assert_eq!(mentions("mail al@example.com or @al.", members), vec![4]);
        assert_eq!(mentions("@Sam @sam", members), vec![1]);
        assert_eq!(mentions("no one", members), Vec::<i32>::new());
    }

    #[test]
    fn unsubscribing_keeps_what_the_app_shows() {
        for &c in Channel::ALL {
            let after = c.without_email();
            assert!(!after.by_email(), "{c:?}");
            assert_eq!(after.in_app(), c.in_app(), "{c:?}");
        }
        assert_eq!(Kind::Commented.default_channel(), Channel::App);
        assert!(Kind::ALL
            .iter()
            .filter(|k| **k != Kind::Commented)
            .all(|k| k.default_channel() == Channel::Both));
    }
}
