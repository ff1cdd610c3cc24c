//! Demo data for development: a UK café group with six sites, about forty outside businesses and
//! three hundred issues over the last ninety days. Loaded once; running it again changes nothing.
//! It writes through the application's role, inside the demo organisation's tenant transaction,
//! like any request would.

use app::{
    auth::password::{DjangoHash, DEFAULT_ITERATIONS},
    tenancy::act_for,
};
use sqlx::PgPool;
use uuid::Uuid;

pub const EMAIL: &str = "demo@opsintel.test";
/// Development only: the server refuses to load demo data in production.
pub const PASSWORD: &str = "harbour lights espresso";
pub const SLUG: &str = "harbour-coffee";

const SITES: [(&str, &str); 6] = [
    (
        "Harbour Coffee Leeds Kirkgate",
        "14 Kirkgate, Leeds LS2 7DJ",
    ),
    (
        "Harbour Coffee York Stonegate",
        "31 Stonegate, York YO1 8AW",
    ),
    ("Harbour Coffee Whitby Pier", "2 Pier Road, Whitby YO21 3PU"),
    (
        "Harbour Coffee Harrogate",
        "9 Parliament Street, Harrogate HG1 2QU",
    ),
    (
        "Harbour Coffee Sheffield",
        "118 Division Street, Sheffield S1 4GF",
    ),
    (
        "Harbour Coffee Manchester NQ",
        "46 Oldham Street, Manchester M4 1LE",
    ),
];

const OUTSIDE: [(&str, &str, &str); 38] = [
    (
        "Northern Bean Roasters",
        "supplier",
        "Unit 4, Canal Wharf, Leeds LS11 5PS",
    ),
    (
        "Dales Dairy Co-operative",
        "supplier",
        "Hawes Road, Leyburn DL8 5AR",
    ),
    (
        "Oatly UK Wholesale",
        "supplier",
        "Trade Counter, Wakefield WF2 0XQ",
    ),
    (
        "Sourdough & Sons Bakery",
        "supplier",
        "7 Mill Lane, York YO30 4WE",
    ),
    (
        "Yorkshire Cleaning Services",
        "supplier",
        "22 Station Parade, Harrogate HG1 1TT",
    ),
    (
        "Espresso Engineers Ltd",
        "supplier",
        "5 Tannery Yard, Sheffield S3 8RT",
    ),
    (
        "Coastal Fridge Repairs",
        "supplier",
        "Fishergate Works, Scarborough YO11 1XQ",
    ),
    (
        "Pennine Packaging",
        "supplier",
        "Unit 12, Calder Park, Huddersfield HD2 1YF",
    ),
    (
        "Moorland Water Filters",
        "supplier",
        "3 Bridge End, Skipton BD23 1NP",
    ),
    (
        "Cocoa Lane Chocolate",
        "supplier",
        "18 Micklegate, York YO1 6JX",
    ),
    (
        "Greenleaf Tea Merchants",
        "supplier",
        "4 Corn Exchange, Manchester M4 3TR",
    ),
    (
        "Whitby Fresh Produce",
        "supplier",
        "Harbour Market, Whitby YO22 4DE",
    ),
    (
        "Aire Valley Waste",
        "supplier",
        "Kirkstall Road, Leeds LS4 2AZ",
    ),
    (
        "Brightside Electrical",
        "supplier",
        "66 Attercliffe Road, Sheffield S4 7WZ",
    ),
    (
        "Leeds Beckett Catering Office",
        "customer",
        "City Campus, Leeds LS1 3HE",
    ),
    ("York Minster Events", "customer", "Deangate, York YO1 7HH"),
    (
        "Harrogate Convention Centre",
        "customer",
        "Kings Road, Harrogate HG1 5LA",
    ),
    (
        "Sheffield Tech Hub",
        "customer",
        "Kelham Island, Sheffield S3 8SA",
    ),
    (
        "Ancoats Co-working",
        "customer",
        "Cotton Field Wharf, Manchester M4 6GA",
    ),
    (
        "Whitby Lifeboat Museum",
        "customer",
        "Pier Road, Whitby YO21 3PU",
    ),
    (
        "Northern Rail Staff Canteen",
        "customer",
        "Leeds Station, Leeds LS1 4DY",
    ),
    (
        "St James's Hospital Friends",
        "customer",
        "Beckett Street, Leeds LS9 7TF",
    ),
    (
        "Kirkgate Market Traders",
        "customer",
        "Vicar Lane, Leeds LS2 7HY",
    ),
    (
        "Bettys Café Tea Rooms",
        "competitor",
        "1 Parliament Street, Harrogate HG1 2QU",
    ),
    (
        "Grindsmith Coffee",
        "competitor",
        "Deansgate, Manchester M3 2BW",
    ),
    (
        "Laynes Espresso",
        "competitor",
        "16 New Station Street, Leeds LS1 5DL",
    ),
    (
        "Tamper Coffee",
        "competitor",
        "9 Arundel Street, Sheffield S1 2NU",
    ),
    ("Spring Espresso", "competitor", "45 Fossgate, York YO1 9TF"),
    (
        "Bothams of Whitby",
        "competitor",
        "35 Skinner Street, Whitby YO21 3AH",
    ),
    (
        "Ezra & Gil",
        "competitor",
        "20 Hilton Street, Manchester M1 1FR",
    ),
    (
        "Costa Coffee Briggate",
        "competitor",
        "Briggate, Leeds LS1 6HD",
    ),
    (
        "Caffè Nero Stonegate",
        "competitor",
        "Stonegate, York YO1 8AS",
    ),
    (
        "Leeds Coffee Festival",
        "partner",
        "Victoria Gate, Leeds LS2 7AU",
    ),
    ("York BID", "partner", "Swinegate Court, York YO1 8AJ"),
    (
        "Independent Sheffield",
        "partner",
        "Orchard Square, Sheffield S1 2FB",
    ),
    (
        "Barista Skills Academy",
        "partner",
        "Cross Street, Manchester M2 7AE",
    ),
    ("Too Good To Go", "partner", "Online"),
    (
        "Harrogate BID",
        "partner",
        "Cambridge Street, Harrogate HG1 1RS",
    ),
];

const TITLES: [(&str, &[&str]); 4] = [
    (
        "incident",
        &[
            "Espresso machine leaking",
            "Till offline during the morning rush",
            "Customer slipped near the entrance",
            "Fridge temperature above 8°C",
            "Card reader declining contactless",
            "Burst pipe in the back kitchen",
        ],
    ),
    (
        "task",
        &[
            "Order more oat milk",
            "Update the autumn menu boards",
            "Train new starter on latte art",
            "Renew the pavement licence",
            "Book the deep clean",
            "Count the weekly stock",
        ],
    ),
    (
        "maintenance",
        &[
            "Descale the grinder",
            "Replace the water filter",
            "Service the dishwasher",
            "Repaint the terrace rail",
            "Fix the wobbly table by the window",
            "Check the fire extinguishers",
        ],
    ),
    (
        "complaint",
        &[
            "Cold flat white served",
            "Long wait at lunchtime",
            "Wrong order on a delivery",
            "Music too loud",
            "Table left uncleared",
            "Allergen information missing",
        ],
    ),
];

/// A small deterministic generator, so every demo load is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is for development only")]
    Production,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Starts a tenant transaction's organisation: the organisation, its slug, and its members (made
/// verified users with password `hash` when new). Returns each member's id and role.
pub(crate) async fn insert_organisation<'r>(
    tx: &mut sqlx::PgConnection,
    org_id: Uuid,
    name: &str,
    slug: &str,
    members: &[(&str, &str, &'r str)],
    hash: &str,
) -> Result<Vec<(Uuid, &'r str)>, sqlx::Error> {
    sqlx::query!(
        "select set_config('app.org_id', $1, true)",
        org_id.to_string()
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut ids = Vec::new();
    for (email, name, role) in members {
        // Each account is written acting for it, as row-level security requires.
        let known = sqlx::query_scalar!(
            r#"select user_id as "user_id!" from app_account_by_email($1)"#,
            email
        )
        .fetch_optional(&mut *tx)
        .await?;
        let user_id = known.unwrap_or_else(Uuid::new_v4);
        act_for(&mut *tx, user_id).await?;
        sqlx::query!(
            "insert into users (user_id, email, name, password_hash, email_verified_at) values ($1, $2, $3, $4, now())
             on conflict (user_id) do update set name = excluded.name",
            user_id,
            email as _,
            name,
            hash
        )
        .execute(&mut *tx)
        .await?;
        ids.push((user_id, *role));
    }
    sqlx::query!(
        "insert into organisations (org_id, name, slug) values ($1, $2, $3)",
        org_id,
        name,
        slug as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into organisation_slugs (org_id, slug) values ($1, $2)",
        org_id,
        slug as _
    )
    .execute(&mut *tx)
    .await?;
    for (user_id, role) in &ids {
        sqlx::query!(
            "insert into memberships (org_id, user_id, role) values ($1, $2, $3)",
            org_id,
            user_id,
            role
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(ids)
}

/// What enrichment from Google Maps would have brought for a business, so the demo shows it
/// without a Google account: a rating, a review count, opening hours and a Maps link (a search
/// for the business, which is a real link).
async fn enriched(
    tx: &mut sqlx::PgConnection,
    org_id: Uuid,
    id: Uuid,
    name: &str,
    address: &str,
    rng: &mut Rng,
) -> Result<(), sqlx::Error> {
    let rating = 3.8 + rng.below(11) as f64 / 10.0;
    let reviews = 40 + rng.below(1200) as i32;
    let hours = serde_json::json!([
        "Monday: 7:30 AM – 5:00 PM",
        "Tuesday: 7:30 AM – 5:00 PM",
        "Wednesday: 7:30 AM – 5:00 PM",
        "Thursday: 7:30 AM – 5:00 PM",
        "Friday: 7:30 AM – 6:00 PM",
        "Saturday: 8:30 AM – 6:00 PM",
        "Sunday: 9:00 AM – 4:00 PM"
    ]);
    let query: String = format!("{name} {address}")
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '+' })
        .collect();
    sqlx::query!(
        "update businesses set enrichment = 'matched', enriched_at = now(),
                formatted_address = $3 || ', UK', opening_hours = $4,
                rating = $5::float8::numeric(2, 1), rating_count = $6,
                business_status = 'OPERATIONAL', maps_url = $7
         where org_id = $1 and business_id = $2",
        org_id,
        id,
        address,
        hours,
        rating,
        reviews,
        format!("https://www.google.com/maps/search/?api=1&query={query}")
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Loads the demo organisation unless it is there already. Returns whether it loaded anything.
pub async fn load(pool: &PgPool) -> Result<bool, DemoError> {
    let existing = sqlx::query_scalar!(
        r#"select count(*) as "n!" from app_user_organisations((select user_id from app_account_by_email($1)))
           where slug = $2"#,
        EMAIL,
        SLUG
    )
    .fetch_one(pool)
    .await?;
    if existing > 0 {
        return Ok(false);
    }
    let hash = DjangoHash::new(PASSWORD, DEFAULT_ITERATIONS).to_string();
    let org_id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    let members = insert_organisation(
        &mut tx,
        org_id,
        "Harbour Coffee Co.",
        SLUG,
        &[
            (EMAIL, "Dana Demo", "owner"),
            ("sam.manager@opsintel.test", "Sam Patel", "manager"),
            ("alex.manager@opsintel.test", "Alex Murphy", "manager"),
            ("jo.viewer@opsintel.test", "Jo Clarke", "viewer"),
        ],
        &hash,
    )
    .await?;

    let mut sites = Vec::new();
    let mut businesses = Vec::new();
    let mut looks = Rng(0x2545_f491_4f6c_dd1d);
    for (name, relationship, address) in SITES
        .iter()
        .map(|(n, a)| (*n, "own_site", *a))
        .chain(OUTSIDE.iter().copied())
    {
        let id = sqlx::query_scalar!(
            "insert into businesses (org_id, name, relationship, address, tags)
             values ($1, $2, $3, $4, $5) returning business_id",
            org_id,
            name,
            relationship,
            address,
            &[relationship.replace('_', "-")] as &[String]
        )
        .fetch_one(&mut *tx)
        .await?;
        if relationship == "own_site" {
            sites.push(id);
        } else {
            businesses.push(id);
        }
        if matches!(relationship, "own_site" | "competitor") {
            enriched(&mut tx, org_id, id, name, address, &mut looks).await?;
        }
    }

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for number in 1..=300i32 {
        let (kind, titles) = *rng.pick(&TITLES);
        let title = *rng.pick(titles);
        let age_days = rng.below(90) as i32;
        // Older issues are more likely to be done.
        let status = match (rng.below(100) as i32) < (age_days + 10) {
            true if rng.below(4) == 0 => "closed",
            true => "resolved",
            false => *rng.pick(&["open", "open", "in_progress", "blocked"]),
        };
        let priority = *rng.pick(&[
            "urgent", "high", "high", "normal", "normal", "normal", "low",
        ]);
        let site = *rng.pick(&sites);
        let business = if rng.below(3) == 0 {
            *rng.pick(&businesses)
        } else {
            site
        };
        let assignee = members[rng.below(3) as usize].0;
        let resolve_hours = 2 + rng.below(24 * 10) as i32;
        let due_in_days = (rng.below(2) == 0).then(|| rng.below(21) as i32 - 7);
        let issue_id = sqlx::query_scalar!(
            "insert into issues (org_id, number, title, kind, priority, status, business_id, assignee_id,
                                 due_on, created_by, created_at, updated_at, resolved_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8,
                     (now() - make_interval(days => $9) + make_interval(days => $10))::date, $11,
                     now() - make_interval(days => $9, hours => $12), now() - make_interval(days => $9),
                     case when $6 in ('resolved', 'closed')
                          then least(now(), now() - make_interval(days => $9, hours => $12) + make_interval(hours => $13)) end)
             returning issue_id",
            org_id,
            number,
            title,
            kind,
            priority,
            status,
            business,
            assignee,
            age_days,
            due_in_days,
            members[0].0,
            rng.below(12) as i32,
            resolve_hours
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            "insert into issue_events (org_id, issue_id, actor_id, field, new_value, created_at)
             select $1, $2, created_by, 'created', '#' || number, created_at from issues where org_id = $1 and issue_id = $2",
            org_id,
            issue_id
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "update organisations set next_issue_number = 301 where org_id = $1",
        org_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into org_audit_events (org_id, actor_user_id, actor_email, action, summary)
         values ($1, $2, $3, 'organisation.created', 'Loaded the demo organisation')",
        org_id,
        members[0].0,
        EMAIL
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}
