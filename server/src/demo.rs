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

/// What customers write about: a subject, their first message, and the team's answer.
const CONVERSATIONS: [(&str, &str, &str); 12] = [
    (
        "Cold flat white this morning",
        "Hi, I picked up a flat white at your {site} branch at about 8:15 and it was barely warm. Not the first time either. Could someone look into it?",
        "Thank you for telling us, and sorry about your coffee. We've checked the machine at {site} and recalibrated the steam wand; your next drink is on us.",
    ),
    (
        "Table booking for Saturday",
        "Hello, could we book a table for eight at {site} this Saturday at 11am? One of us uses a wheelchair.",
        "Happy to. You're booked for eight at 11am on Saturday, at the step-free tables by the window.",
    ),
    (
        "Lost umbrella",
        "I think I left a green umbrella at {site} yesterday afternoon. Has anyone handed it in?",
        "Yes, it's behind the counter at {site}. Ask any of the team when you're next in.",
    ),
    (
        "Allergy question: oat milk and nuts",
        "Is the oat milk you use at {site} made in a factory that handles nuts? My son has a severe allergy.",
        "Good question. Our oat milk is made in a nut-free facility; the allergen sheet for {site} is attached to this answer on request.",
    ),
    (
        "Invoice 4471 overdue",
        "Dear accounts, invoice 4471 for deliveries to {site} is now 14 days overdue. Please arrange payment.",
        "Thanks for the reminder. Payment for invoice 4471 was released today; apologies for the delay.",
    ),
    (
        "Wonderful service from Priya",
        "Just wanted to say Priya at {site} made our morning. Friendly, quick, and remembered my order.",
        "That's lovely to hear; we've passed it on to Priya and the {site} team.",
    ),
    (
        "Card machine declined twice",
        "The card reader at {site} declined my card twice today but the bank says nothing was attempted.",
        "Sorry for the trouble. The reader at {site} had a fault and has been replaced.",
    ),
    (
        "Catering order for 40",
        "We'd like coffee and pastries for 40 people delivered near {site} next Thursday. Can you quote?",
        "We can. For 40 people it's £260 including delivery; reply to confirm and we'll book it in.",
    ),
    (
        "Broken chair",
        "One of the chairs at {site} wobbled and nearly tipped over with my mum on it. Please fix it before someone gets hurt.",
        "Thank you, and we're very sorry. The chair has been taken out of use and a replacement ordered.",
    ),
    (
        "Music too loud",
        "Love the place but the music at {site} was far too loud to talk on Tuesday evening.",
        "Thanks for the honest feedback; we've set a lower volume limit for evenings at {site}.",
    ),
    (
        "Gluten-free options",
        "Do you have anything gluten free at {site}? The menu online doesn't say.",
        "We do: the brownies and the granola pots at {site} are gluten free. The online menu is updated now too.",
    ),
    (
        "Delivery slot change",
        "Hi, can we move Friday's milk delivery to {site} from 6am to 7am? The early slot keeps being missed.",
        "Done: Friday deliveries to {site} now arrive at 7am.",
    ),
];

const CUSTOMERS: [(&str, &str); 12] = [
    ("Hannah Wright", "hannah.wright@example.com"),
    ("Tom Okafor", "tom.okafor@example.net"),
    ("Priti Shah", "priti@example.org"),
    ("Gareth Jones", "gareth.jones@example.co.uk"),
    ("Accounts Team", "accounts@dalesdairy.example"),
    ("Mei Chen", "mei.chen@example.com"),
    ("Callum Reid", "callum.r@example.net"),
    ("Events Office", "events@leedsbusiness.example"),
    ("Ruth Adeyemi", "ruth.adeyemi@example.com"),
    ("Oliver Hughes", "oliver.hughes@example.org"),
    ("Siobhan Kelly", "siobhan.kelly@example.com"),
    ("Deliveries", "deliveries@northernbean.example"),
];

/// A few dozen conversations across the sites: some waiting for an answer, some answered and
/// waiting on the customer, some closed, and the complaints linked to issues.
async fn inbox(
    tx: &mut sqlx::PgConnection,
    org_id: Uuid,
    sites: &[Uuid],
    members: &[(Uuid, &str)],
    ai: bool,
) -> Result<(), DemoError> {
    let mut rng = Rng(0x51_7cc1_b727_220a);
    for n in 0..36usize {
        let (subject, first, answer) = CONVERSATIONS[n % CONVERSATIONS.len()];
        let (name, address) = CUSTOMERS[(n * 5) % CUSTOMERS.len()];
        let site = sites[n % sites.len()];
        let site_name: String = sqlx::query_scalar!(
            "select name from businesses where org_id = $1 and business_id = $2",
            org_id,
            site
        )
        .fetch_one(&mut *tx)
        .await?;
        let short = site_name.trim_start_matches("Harbour Coffee ");
        let hours_ago = 2 + rng.below(24 * 40) as i32;
        // 0: waiting for an answer; 1: answered, waiting on the customer; 2: closed.
        let stage = rng.below(3);
        let status = ["open", "waiting", "closed"][stage as usize];
        let assignee = (rng.below(3) > 0).then(|| members[1 + rng.below(2) as usize].0);
        let response_hours = 1 + rng.below(20.min(hours_ago as u64 - 1)) as i32;
        // Complaints become issues.
        let issue = if matches!(n % CONVERSATIONS.len(), 0 | 6 | 8) {
            sqlx::query_scalar!(
                "select issue_id from issues where org_id = $1 and number = $2",
                org_id,
                (n as i32) + 1
            )
            .fetch_optional(&mut *tx)
            .await?
        } else {
            None
        };
        let thread = sqlx::query_scalar!(
            "insert into inbox_threads (org_id, subject, customer_address, customer_name, status, awaiting_reply,
                                        assignee_id, business_id, issue_id, created_at, last_message_at,
                                        first_response_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() - make_interval(hours => $10),
                     now() - make_interval(hours => $10) + make_interval(hours => case when $6 then 0 else $11 end),
                     case when $6 then null else now() - make_interval(hours => $10) + make_interval(hours => $11) end)
             returning thread_id",
            org_id,
            subject,
            address,
            name,
            status,
            stage == 0,
            assignee,
            site,
            issue,
            hours_ago,
            response_hours
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            "insert into inbox_messages (org_id, thread_id, direction, rfc_message_id, from_address, from_name,
                                         subject, text_body, spf, dkim, created_at)
             values ($1, $2, 'in', $3, $4, $5, $6, $7, 'pass', 'pass', now() - make_interval(hours => $8))",
            org_id,
            thread,
            format!("demo-{n}@customers.example"),
            address,
            name,
            subject,
            first.replace("{site}", short),
            hours_ago
        )
        .execute(&mut *tx)
        .await?;
        // Those still waiting for an answer are triaged, as new mail is.
        if stage == 0 {
            app::work::ai::suggest::queue_triage(&mut *tx, org_id, thread, None, ai).await?;
        }
        if stage > 0 {
            let author = assignee.unwrap_or(members[1].0);
            sqlx::query!(
                "insert into inbox_messages (org_id, thread_id, direction, rfc_message_id, author_id, subject,
                                             text_body, delivery, created_at, sent_at)
                 values ($1, $2, 'out', $3, $4, $5, $6, 'sent', now() - make_interval(hours => $7),
                         now() - make_interval(hours => $7))",
                org_id,
                thread,
                format!("{}@in.opsintel.test", Uuid::new_v4()),
                author,
                format!("Re: {subject}"),
                answer.replace("{site}", short),
                hours_ago - response_hours
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Loads the demo organisation unless it is there already, on the Business plan with AI on (its
/// waiting conversations triaged when `ai`, the AI service, is configured). Returns whether it
/// loaded anything.
pub async fn load(pool: &PgPool, ai: bool) -> Result<bool, DemoError> {
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
        "update organisations set plan = 'business', ai_enabled = true,
                ai_signature = 'Harbour Coffee Co. · 01947 600100' where org_id = $1",
        org_id
    )
    .execute(&mut *tx)
    .await?;
    inbox(&mut tx, org_id, &sites, &members, ai).await?;
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
