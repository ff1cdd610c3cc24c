//! The inbox against SendGrid's stand-in: Inbound Parse payloads in both modes, signed as the
//! security policy signs them, threaded across a reply chain, stored once however often they
//! arrive; hostile HTML made harmless; answers sent with the headers that thread them.

use app::work::inbox::{
    AttachmentRef, DownloadAttachment, GetInboundAddress, GetThread, InboxQuery, ListThreads,
    MessageForm, RegenerateInboundAddress, ReplyToThread, ThreadQuery,
};
use server::standins::sendgrid::inbound::{Attached, Mail, Payload, Signer};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    fake_sendgrid::{self, API_KEY},
    orgs::{email_of, sign_in, Fixture, A_SLUG},
    wait::wait_for,
    TestApp,
};

const DOMAIN: &str = "in.ops.test";

fn signer() -> Signer {
    Signer::from_seed(b"inbox tests")
}

async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let key = signer().public_key_base64();
    let mut vars = vec![
        ("OPS_INBOUND_DOMAIN", DOMAIN),
        ("OPS_SENDGRID_INBOUND_KEY", key.as_str()),
        ("OPS_ATTACHMENT_ALLOWANCE_MB", "25"),
        ("OPS_EMAIL_RETRY_SECS", "1"),
    ];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(&vars).await
}

async fn post(app: &TestApp, payload: &Payload, signer: Option<&Signer>) -> u16 {
    payload
        .post(
            &app.client,
            &format!("{}/webhooks/sendgrid/inbound", app.base),
            signer,
        )
        .await
        .expect("the server answers")
}

async fn address_of(db: &PgPool, org: Uuid) -> String {
    let local: String = sqlx::query_scalar(
        "select local_part from inbound_addresses where org_id = $1 and retired_at is null",
    )
    .bind(org)
    .fetch_one(db)
    .await
    .unwrap();
    format!("{local}@{DOMAIN}")
}

async fn count(db: &PgPool, sql: &str, org: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(org)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn threads(db: &PgPool, org: Uuid) -> i64 {
    count(
        db,
        "select count(*) from inbox_threads where org_id = $1",
        org,
    )
    .await
}

async fn messages(db: &PgPool, org: Uuid) -> i64 {
    count(
        db,
        "select count(*) from inbox_messages where org_id = $1",
        org,
    )
    .await
}

#[tokio::test]
async fn mail_in_both_modes_is_threaded_by_its_headers_or_reply_address_and_stored_once() {
    let app = app_with(&[]).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    sqlx::query("delete from inbox_threads")
        .execute(&db)
        .await
        .unwrap();
    let to = address_of(&db, f.a).await;
    let s = signer();

    // Parsed mode, Latin-1, with an attachment.
    let mut first = Mail::new(
        "jo@customer.example",
        &to,
        "Crème brûlée was cold",
        "La crème brûlée était froide.",
    );
    first.from_name = "Jo Été".into();
    first.charset = "ISO-8859-1".into();
    first.message_id = "first@customer.example".into();
    first.attachments = vec![Attached {
        name: "reçu.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4 receipt".to_vec(),
    }];
    assert_eq!(post(&app, &first.parsed_payload(), Some(&s)).await, 200);
    // SendGrid delivers it again: acknowledged, not stored twice.
    assert_eq!(post(&app, &first.parsed_payload(), Some(&s)).await, 200);
    assert_eq!((threads(&db, f.a).await, messages(&db, f.a).await), (1, 1));
    let (text, name): (String, String) =
        sqlx::query_as("select text_body, from_name from inbox_messages where org_id = $1")
            .bind(f.a)
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(text.contains("La crème brûlée était froide."), "{text}");
    assert_eq!(name, "Jo Été");

    // Raw mode, answering the first by its headers.
    let mut second = Mail::new(
        "jo@customer.example",
        &to,
        "Re: Crème brûlée was cold",
        "Still waiting.",
    );
    second.message_id = "second@customer.example".into();
    second.in_reply_to = Some("first@customer.example".into());
    second.references = vec!["first@customer.example".into()];
    assert_eq!(post(&app, &second.raw_payload(), Some(&s)).await, 200);
    assert_eq!((threads(&db, f.a).await, messages(&db, f.a).await), (1, 2));

    // A mail program that dropped the headers: the reply address's token finds the thread.
    let token: String =
        sqlx::query_scalar("select reply_token from inbox_threads where org_id = $1")
            .bind(f.a)
            .fetch_one(&db)
            .await
            .unwrap();
    let (local, _) = to.split_once('@').unwrap();
    let mut third = Mail::new(
        "jo@customer.example",
        &format!("{local}+{token}@{DOMAIN}"),
        "cold",
        "Hello?",
    );
    third.message_id = "third@customer.example".into();
    assert_eq!(post(&app, &third.raw_payload(), Some(&s)).await, 200);
    assert_eq!((threads(&db, f.a).await, messages(&db, f.a).await), (1, 3));

    // Another sender, the same subject, no threading headers: a conversation of its own.
    let mut other = Mail::new(
        "sam@elsewhere.example",
        &to,
        "Re: Crème brûlée was cold",
        "Me too!",
    );
    other.message_id = "other@elsewhere.example".into();
    assert_eq!(post(&app, &other.parsed_payload(), Some(&s)).await, 200);
    assert_eq!((threads(&db, f.a).await, messages(&db, f.a).await), (2, 4));
    // Nothing of it reached the other organisation.
    assert_eq!(count(&db, "select count(*) from inbox_messages where org_id = $1 and direction = 'in' and rfc_message_id like '%customer.example'", f.b).await, 0);

    // Members see it in the list and the thread, attachment included; Viewers read too.
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    let page = viewer
        .ok(ListThreads {
            slug: A_SLUG.into(),
            form: InboxQuery::default(),
        })
        .await;
    let jo = page
        .threads
        .iter()
        .find(|t| t.customer == "Jo Été")
        .expect("Jo's thread");
    assert!(jo.awaiting_reply);
    assert_eq!(jo.messages, 3);
    let thread = viewer
        .ok(GetThread {
            slug: A_SLUG.into(),
            form: ThreadQuery {
                thread_id: jo.id.clone(),
                images: false,
            },
        })
        .await;
    assert_eq!(thread.messages.len(), 3);
    let attachment = &thread.messages[0].attachments[0];
    assert_eq!(
        (attachment.name.as_str(), attachment.size),
        ("reçu.pdf", 16)
    );
    let file = viewer
        .ok(DownloadAttachment {
            slug: A_SLUG.into(),
            form: AttachmentRef {
                attachment_id: attachment.id.clone(),
            },
        })
        .await;
    assert_eq!(file.base64, "JVBERi0xLjQgcmVjZWlwdA==");
}

#[tokio::test]
async fn unsigned_badly_signed_or_altered_mail_is_refused_and_stored_nowhere() {
    let app = app_with(&[]).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let to = address_of(&db, f.a).await;
    let before = messages(&db, f.a).await;
    let mail = Mail::new("mallory@evil.example", &to, "Free money", "Click here.");
    let payload = mail.parsed_payload();
    assert_eq!(post(&app, &payload, None).await, 403, "unsigned");
    assert_eq!(
        post(&app, &payload, Some(&Signer::from_seed(b"not sendgrid"))).await,
        403,
        "another key"
    );
    // Signed, then changed on the way.
    let signed = signer().headers(
        time::OffsetDateTime::now_utc().unix_timestamp(),
        &payload.body,
    );
    let mut altered = payload.body.clone();
    let at = altered.windows(5).position(|w| w == b"Click").unwrap();
    altered[at] = b'K';
    let mut request = app
        .client
        .post(format!("{}/webhooks/sendgrid/inbound", app.base))
        .header("content-type", &payload.content_type)
        .body(altered);
    for (name, value) in signed {
        request = request.header(name, value);
    }
    assert_eq!(
        request.send().await.unwrap().status().as_u16(),
        403,
        "altered"
    );
    assert_eq!(messages(&db, f.a).await, before, "nothing stored");
}

#[tokio::test]
async fn mail_to_a_retired_or_unknown_address_is_acknowledged_and_dropped() {
    let app = app_with(&[]).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let old = address_of(&db, f.a).await;
    let mut admin = sign_in(&app, email_of("a-admin")).await;
    let shown = admin
        .ok(GetInboundAddress {
            slug: A_SLUG.into(),
        })
        .await;
    assert_eq!(shown.address, old);
    let new = admin
        .ok(RegenerateInboundAddress {
            slug: A_SLUG.into(),
        })
        .await
        .address;
    assert_ne!(new, old);
    assert!(
        new.ends_with(&format!("@{DOMAIN}")) && new.starts_with("alpha-cafes-"),
        "{new}"
    );
    let before = messages(&db, f.a).await;
    let s = signer();
    for to in [
        old.clone(),
        format!("nobody-12345678@{DOMAIN}"),
        "someone@another.example".into(),
    ] {
        let mut mail = Mail::new("jo@customer.example", &to, "Hello", "Anyone there?");
        mail.message_id = format!("{}@customer.example", Uuid::new_v4());
        assert_eq!(
            post(&app, &mail.parsed_payload(), Some(&s)).await,
            200,
            "{to}"
        );
    }
    assert_eq!(messages(&db, f.a).await, before, "dropped");
    let mail = Mail::new("jo@customer.example", &new, "Hello", "Anyone there?");
    assert_eq!(post(&app, &mail.raw_payload(), Some(&s)).await, 200);
    assert_eq!(messages(&db, f.a).await, before + 1);
}

#[tokio::test]
async fn a_20_mb_message_is_stored_attachments_stop_at_the_allowance_and_oversized_requests_are_refused(
) {
    let app = app_with(&[]).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let to = address_of(&db, f.a).await;
    let s = signer();
    let big = |name: &str, mb: usize| Attached {
        name: name.into(),
        content_type: "application/zip".into(),
        bytes: (0..mb * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect(),
    };
    let mut mail = Mail::new("jo@customer.example", &to, "Photos", "Attached.");
    mail.attachments = vec![big("photos.zip", 20)];
    assert_eq!(post(&app, &mail.raw_payload(), Some(&s)).await, 200);
    let size: i32 = sqlx::query_scalar(
        "select size_bytes from inbox_attachments where org_id = $1 and file_name = 'photos.zip'",
    )
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(size, 20 * 1024 * 1024);
    // The allowance (25 MB) has no room for 10 MB more: the message is kept, the file not.
    let mut more = Mail::new("jo@customer.example", &to, "More photos", "And these.");
    more.attachments = vec![big("more.zip", 10)];
    assert_eq!(post(&app, &more.parsed_payload(), Some(&s)).await, 200);
    let dropped: i32 = sqlx::query_scalar("select attachments_dropped from inbox_messages where org_id = $1 and subject = 'More photos'")
        .bind(f.a)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(dropped, 1);
    // Over the request limit: refused before it is read, and the server carries on.
    let mut huge = Mail::new("jo@customer.example", &to, "Too big", "Sorry.");
    huge.attachments = vec![big("huge.bin", 33)];
    assert_eq!(post(&app, &huge.parsed_payload(), Some(&s)).await, 413);
    let mut after = Mail::new("jo@customer.example", &to, "Small", "Fine.");
    after.message_id = "small@customer.example".into();
    assert_eq!(post(&app, &after.parsed_payload(), Some(&s)).await, 200);
}

#[tokio::test]
async fn hostile_html_reaches_the_reader_harmless_and_remote_images_wait_to_be_asked_for() {
    let app = app_with(&[]).await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let to = address_of(&db, f.a).await;
    let mut mail = Mail::new("mallory@evil.example", &to, "Invoice", "");
    mail.html = Some(
        r#"<meta http-equiv="refresh" content="0;url=https://evil.example/"><script>alert(1)</script>
           <p onclick="alert(2)" style="x: expression(alert(3))">Pay <a href="javascript:alert(4)">here</a>
           or <a href="https://shop.example/pay">there</a></p><img src="https://tracker.example/p.gif">"#
            .into(),
    );
    assert_eq!(post(&app, &mail.raw_payload(), Some(&signer())).await, 200);
    let thread: Uuid = sqlx::query_scalar(
        "select thread_id from inbox_threads where org_id = $1 and subject = 'Invoice'",
    )
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    let mut member = sign_in(&app, email_of("a-manager")).await;
    for images in [false, true] {
        let t = member
            .ok(GetThread {
                slug: A_SLUG.into(),
                form: ThreadQuery {
                    thread_id: thread.to_string(),
                    images,
                },
            })
            .await;
        let html = t.messages[0]
            .html
            .clone()
            .expect("an HTML-only message is shown as HTML");
        for banned in [
            "<script",
            "alert(",
            "onclick",
            "javascript:",
            "expression(",
            "<meta",
            "refresh",
        ] {
            assert!(!html.contains(banned), "{banned}: {html}");
        }
        assert!(
            html.contains(r#"href="https://shop.example/pay""#)
                && html.contains("noopener noreferrer"),
            "{html}"
        );
        assert_eq!(html.contains("tracker.example"), images, "{html}");
        assert_eq!(t.messages[0].blocked_images, usize::from(!images));
    }
    // The page that shows images allows them in its CSP, and only then; never inline script.
    let csp = |query: &'static str| {
        let (app, thread) = (&app, thread);
        async move {
            let r = app
                .client
                .get(format!("{}/o/{A_SLUG}/inbox/{thread}{query}", app.base))
                .send()
                .await
                .unwrap();
            r.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    assert!(csp("").await.contains("img-src 'self' data:;"));
    assert!(csp("?images=shown")
        .await
        .contains("img-src 'self' data: https:;"));
    assert!(!csp("?images=shown").await.contains("unsafe-inline"));
}

#[tokio::test]
async fn an_answer_goes_out_threaded_survives_an_outage_and_the_customer_reply_comes_back() {
    let (fake, addr) = fake_sendgrid::start(1).await;
    let base = format!("http://{addr}");
    let app = app_with(&[
        ("SENDGRID_API_KEY", API_KEY),
        ("OPS_EMAIL_FROM", "no-reply@ops.test"),
        ("OPS_SENDGRID_BASE_URL", &base),
    ])
    .await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    sqlx::query("delete from inbox_threads")
        .execute(&db)
        .await
        .unwrap();
    let to = address_of(&db, f.a).await;
    let mut first = Mail::new(
        "jo@customer.example",
        &to,
        "Cold coffee",
        "My flat white was cold.\nTwice.",
    );
    first.message_id = "cold@customer.example".into();
    assert_eq!(
        post(&app, &first.parsed_payload(), Some(&signer())).await,
        200
    );
    let (thread, token): (Uuid, String) =
        sqlx::query_as("select thread_id, reply_token from inbox_threads where org_id = $1")
            .bind(f.a)
            .fetch_one(&db)
            .await
            .unwrap();

    let mut manager = sign_in(&app, email_of("a-manager")).await;
    manager
        .ok(ReplyToThread {
            slug: A_SLUG.into(),
            form: MessageForm {
                thread_id: thread.to_string(),
                body: "Sorry, Jo. Your next one is on us.".into(),
                ..Default::default()
            },
        })
        .await;
    // SendGrid is down at first: the answer waits as "sending", then goes.
    let delivery = || async {
        sqlx::query_scalar::<_, String>(
            "select delivery from inbox_messages where org_id = $1 and direction = 'out'",
        )
        .bind(f.a)
        .fetch_one(&db)
        .await
        .unwrap()
    };
    wait_for("the answer to be sent", async || delivery().await == "sent").await;
    let sent = fake.accepted.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        sent["personalizations"][0]["to"][0]["email"],
        "jo@customer.example"
    );
    assert_eq!(sent["from"]["name"], "Alpha Cafés");
    assert_eq!(sent["subject"], "Re: Cold coffee");
    let (local, _) = to.split_once('@').unwrap();
    assert_eq!(
        sent["reply_to"]["email"],
        format!("{local}+{token}@{DOMAIN}")
    );
    assert_eq!(sent["headers"]["In-Reply-To"], "<cold@customer.example>");
    assert_eq!(sent["headers"]["References"], "<cold@customer.example>");
    let ours = sent["headers"]["Message-ID"].as_str().unwrap().to_string();
    assert!(ours.ends_with(&format!("@{DOMAIN}>")), "{ours}");
    let text = sent["content"][0]["value"].as_str().unwrap();
    assert!(
        text.starts_with("Sorry, Jo. Your next one is on us.\n\nOn "),
        "{text}"
    );
    assert!(
        text.contains("> My flat white was cold.\n> Twice."),
        "{text}"
    );
    assert_eq!(
        sent["content"].as_array().unwrap().len(),
        1,
        "plain text only"
    );

    // The thread waits on the customer; their answer names ours and reopens it.
    let status: (String, bool) =
        sqlx::query_as("select status, awaiting_reply from inbox_threads where thread_id = $1")
            .bind(thread)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(status, ("waiting".into(), false));
    let mut answer = Mail::new("jo@customer.example", &to, "Re: Cold coffee", "Thank you!");
    answer.in_reply_to = Some(ours.trim_matches(['<', '>']).to_string());
    assert_eq!(
        post(&app, &answer.raw_payload(), Some(&signer())).await,
        200
    );
    let status: (String, bool, i64) = sqlx::query_as(
        "select status, awaiting_reply, (select count(*) from inbox_threads where org_id = $2) from inbox_threads where thread_id = $1",
    )
    .bind(thread)
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(status, ("open".into(), true, 1));

    // An answer SendGrid refuses for good shows as not delivered, with the reason.
    sqlx::query("update inbox_threads set customer_address = 'no-address' where thread_id = $1")
        .bind(thread)
        .execute(&db)
        .await
        .unwrap();
    manager
        .ok(ReplyToThread {
            slug: A_SLUG.into(),
            form: MessageForm {
                thread_id: thread.to_string(),
                body: "Hello again.".into(),
                ..Default::default()
            },
        })
        .await;
    let failed = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from inbox_messages where org_id = $1 and delivery = 'failed' and delivery_error is not null")
            .bind(f.a)
            .fetch_one(&db)
            .await
            .unwrap()
    };
    wait_for("the refused answer to show as failed", async || {
        failed().await == 1
    })
    .await;
}
