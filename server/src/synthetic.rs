//! Large synthetic data sets for benchmarks: many organisations of the demo's shape, one of them
//! with exactly [`LARGE_ISSUES`] issues (the organisation the benchmark signs in to), the rest
//! sharing the remaining issues. Each organisation is written in its own tenant transaction,
//! through the application's role, with set-based inserts. Running it again adds nothing.

use app::auth::password::{DjangoHash, DEFAULT_ITERATIONS};
use sqlx::PgPool;
use uuid::Uuid;

/// The organisation the benchmark measures, and its owner's sign-in.
pub const LARGE_SLUG: &str = "bench-large";
pub const LARGE_ISSUES: i64 = 10_000;
pub const EMAIL: &str = "bench-1@opsintel.test";
pub const PASSWORD: &str = "synthetic benchmark data";

const SITES: i32 = 6;
const OUTSIDE: i32 = 34;

#[derive(Debug, Default)]
pub struct Generated {
    pub organisations: u64,
    pub issues: u64,
}

/// How many issues organisation `index` (0-based) of `orgs` gets out of `issues` in all.
fn share(index: u64, orgs: u64, issues: u64) -> i64 {
    if orgs <= 1 {
        return issues as i64;
    }
    let large = issues.min(LARGE_ISSUES as u64);
    if index == 0 {
        return large as i64;
    }
    let rest = issues - large;
    let others = orgs - 1;
    (rest / others + u64::from(index - 1 < rest % others)) as i64
}

pub async fn generate(pool: &PgPool, orgs: u64, issues: u64) -> Result<Generated, sqlx::Error> {
    let hash = DjangoHash::new(PASSWORD, DEFAULT_ITERATIONS).to_string();
    let mut done = Generated::default();
    for index in 0..orgs.max(1) {
        let count = share(index, orgs.max(1), issues);
        if add_organisation(pool, index + 1, count, &hash).await? {
            done.organisations += 1;
            done.issues += count as u64;
        }
    }
    Ok(done)
}

/// Writes organisation `n` with `issues` issues, unless it is there already.
async fn add_organisation(
    pool: &PgPool,
    n: u64,
    issues: i64,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let slug = if n == 1 {
        LARGE_SLUG.to_string()
    } else {
        format!("bench-{n:04}")
    };
    let exists = sqlx::query_scalar!(
        r#"select count(*) as "n!" from app_user_organisations(
               (select user_id from app_account_by_email($1)))
           where slug = $2"#,
        format!("bench-{n}@opsintel.test"),
        slug
    )
    .fetch_one(pool)
    .await?;
    if exists > 0 {
        return Ok(false);
    }
    let org_id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    let people: Vec<(String, String, &str)> = [
        ("", "owner"),
        ("-manager", "manager"),
        ("-viewer", "viewer"),
    ]
    .into_iter()
    .map(|(who, role)| {
        (
            format!("bench-{n}{who}@opsintel.test"),
            format!("Bench {n}{who}"),
            role,
        )
    })
    .collect();
    let people: Vec<(&str, &str, &str)> = people
        .iter()
        .map(|(email, name, role)| (email.as_str(), name.as_str(), *role))
        .collect();
    let members = crate::demo::insert_organisation(
        &mut tx,
        org_id,
        &format!("Synthetic Cafés {n}"),
        &slug,
        &people,
        hash,
    )
    .await?;
    let businesses = sqlx::query_scalar!(
        "insert into businesses (org_id, name, relationship, address, tags)
         select $1, case when b <= $2 then 'Site ' || b else 'Business ' || b end,
                case when b <= $2 then 'own_site'
                     else (array['customer', 'supplier', 'supplier', 'competitor', 'partner'])[1 + b % 5] end,
                b || ' High Street, Leeds LS' || (b % 28 + 1), array['synthetic']
         from generate_series(1, $2::int + $3::int) b
         returning business_id",
        org_id,
        SITES,
        OUTSIDE
    )
    .fetch_all(&mut *tx)
    .await?;
    let assignees: Vec<Uuid> = members.iter().map(|(u, _)| *u).collect();
    // Older issues are more likely done; most are about one of the sites, some about an outside
    // business; half have a due date around their opening.
    sqlx::query!(
        "insert into issues (org_id, number, title, kind, priority, status, business_id, assignee_id,
                             due_on, created_by, created_at, updated_at, resolved_at)
         select $1, n, 'Synthetic issue ' || n,
                (array['incident', 'task', 'maintenance', 'complaint'])[1 + n % 4],
                (array['urgent', 'high', 'high', 'normal', 'normal', 'normal', 'low'])[1 + (n * 7919) % 7],
                status, business, ($4::uuid[])[1 + n % 3],
                case when rd < 0.5 then (created + make_interval(days => (rd * 40)::int - 5))::date end,
                ($4::uuid[])[1], created, created,
                case when status in ('resolved', 'closed')
                     then least(now(), created + make_interval(hours => 2 + (rh * 240)::int)) end
         from (
             select n, rd, rh, now() - make_interval(secs => age * 365 * 86400) as created,
                    case when r < 0.5 + age * 0.45 then (case when rh < 0.2 then 'closed' else 'resolved' end)
                         else (array['open', 'open', 'in_progress', 'blocked'])[1 + floor(rd * 4)::int] end as status,
                    ($3::uuid[])[case when rb < 0.75 then 1 + floor(rb / 0.75 * $5::int)::int
                                      else 1 + $5::int + floor((rb - 0.75) / 0.25 * $6::int)::int end] as business
             from (select n, random() as r, random() as rd, random() as rh, random() as rb,
                          random() as age
                   from generate_series(1, $2::int) n) g
         ) s",
        org_id,
        issues as i32,
        &businesses,
        &assignees,
        SITES,
        OUTSIDE
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update organisations set next_issue_number = $2 + 1 where org_id = $1",
        org_id,
        issues as i32
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_are_shared_out_exactly() {
        let total: i64 = (0..1000).map(|i| share(i, 1000, 1_000_000)).sum();
        assert_eq!(total, 1_000_000);
        assert_eq!(share(0, 1000, 1_000_000), LARGE_ISSUES);
        assert_eq!(share(1, 1000, 1_000_000), 991);
        assert_eq!(share(0, 1, 20_000), 20_000);
        assert_eq!((0..3).map(|i| share(i, 3, 10_005)).sum::<i64>(), 10_005);
    }
}
