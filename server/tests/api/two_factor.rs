//! Two-factor sign-in and recent proofs of identity against the real server: set-up, the two
//! steps of signing in, codes that work once, recovery codes, the organisation rule, and the
//! dangerous actions that need a password or code given in the last few minutes.

use crate::support::{
    browser::Browser,
    orgs::{create_user, sign_in, sign_in_as, Fixture, A_SLUG, B_SLUG, PASSWORD},
    TestApp,
};
use app::{
    auth::{
        forms::{ChangeEmailForm, ConfirmIdentityForm},
        functions::{ChangeEmail, SignOut},
        recent_proof::ConfirmIdentity,
        two_factor::{
            forms::CodeForm,
            functions::{
                BeginTwoFactorSetup, DisableTwoFactor, EnableTwoFactor, RegenerateRecoveryCodes,
                SignInSecondFactor, TwoFactorStatus,
            },
            totp,
        },
    },
    error::AppError,
    org::{
        forms::TwoFactorRuleForm,
        functions::{
            CurrentOrg, DeleteOrganisation, ListMembers, SetTwoFactorRule, TransferOwnership,
        },
    },
};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

async fn pool(app: &TestApp) -> PgPool {
    PgPool::connect(&app.db.url).await.unwrap()
}

/// RFC 4648 base32, as the set-up page shows the secret.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in text.trim_end_matches('=').chars() {
        value = (value << 5) | ALPHABET.find(c).expect("a base32 letter") as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

fn code(code: &str) -> CodeForm {
    CodeForm { code: code.into() }
}

/// The code of the step `offset` steps from now.
fn code_in(secret: &[u8], offset: i64) -> String {
    let at = totp::now_unix() as i64 + offset * totp::STEP_SECONDS as i64;
    totp::code_at(secret, at as u64)
}

/// Another code than `right`, certainly wrong.
fn wrong(right: &str) -> String {
    right
        .chars()
        .map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10))
        .collect()
}

/// Sets up two-factor for the signed-in browser and turns it on with the current code: the
/// secret, the code that turned it on, and the recovery codes.
pub(crate) async fn turn_on(b: &mut Browser<'_>) -> (Vec<u8>, String, Vec<String>) {
    let setup = b.ok(BeginTwoFactorSetup {}).await;
    assert!(setup.qr_code.starts_with("data:image/svg+xml;base64,"));
    let secret = base32_decode(&setup.secret);
    let first = code_in(&secret, 0);
    let codes = b.ok(EnableTwoFactor { form: code(&first) }).await;
    (secret, first, codes.0)
}

/// The password step of a sign-in, in a new browser.
async fn password_step<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    b.open("/sign-in").await;
    b.ok(sign_in_as(email, PASSWORD)).await;
    b
}

async fn actions(db: &PgPool, user: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "select action from audit_events where actor_user_id = $1 order by audit_event_id",
    )
    .bind(user)
    .fetch_all(db)
    .await
    .unwrap()
}

async fn subjects(db: &PgPool, to: &str) -> Vec<String> {
    sqlx::query_scalar("select subject from email_outbox where to_address = $1 order by email_id")
        .bind(to)
        .fetch_all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_with_two_factor_takes_a_second_step_and_each_code_works_once() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let tess = create_user(&db, "tess@example.com", true).await;
    let mut b = sign_in(&app, "tess@example.com").await;

    // Set-up counts for nothing until a right code confirms it.
    let setup = b.ok(BeginTwoFactorSetup {}).await;
    let secret = base32_decode(&setup.secret);
    let refused = b
        .err(EnableTwoFactor {
            form: code(&wrong(&code_in(&secret, 0))),
        })
        .await;
    assert!(refused.for_field("code").is_some(), "{refused:?}");
    assert!(!b.ok(TwoFactorStatus {}).await.enabled);
    let first = code_in(&secret, 0);
    let recovery = b.ok(EnableTwoFactor { form: code(&first) }).await.0;
    assert_eq!(recovery.len(), 10);
    let status = b.ok(TwoFactorStatus {}).await;
    assert!(status.enabled);
    assert_eq!(status.recovery_codes_left, 10);

    // The secret is stored encrypted, and the recovery codes only as hashes.
    let (ciphertext, hashes): (Vec<u8>, Vec<Vec<u8>>) = (
        sqlx::query_scalar("select secret_ciphertext from user_two_factor where user_id = $1")
            .bind(tess)
            .fetch_one(&db)
            .await
            .unwrap(),
        sqlx::query_scalar("select code_hash from two_factor_recovery_codes where user_id = $1")
            .bind(tess)
            .fetch_all(&db)
            .await
            .unwrap(),
    );
    assert!(!ciphertext.windows(secret.len()).any(|w| w == secret));
    assert_eq!(hashes.len(), 10);
    assert!(hashes
        .iter()
        .all(|h| !recovery.iter().any(|c| h == c.as_bytes())));

    b.ok(SignOut {}).await;

    // The password alone does not sign in.
    let mut c = password_step(&app, "tess@example.com").await;
    assert_eq!(c.current_user().await, None);
    let refused = c
        .err(SignInSecondFactor {
            form: code(&wrong(&code_in(&secret, 0))),
        })
        .await;
    assert!(refused.for_field("code").is_some(), "{refused:?}");
    // The code that turned two-factor on was used: it does not work again.
    let replay = c.err(SignInSecondFactor { form: code(&first) }).await;
    assert!(replay.for_field("code").is_some(), "{replay:?}");
    assert_eq!(c.current_user().await, None);
    let next = code_in(&secret, 1);
    assert_eq!(
        c.ok(SignInSecondFactor { form: code(&next) }).await,
        None,
        "no recovery code was used"
    );
    assert_eq!(
        c.current_user().await.map(|u| u.email).as_deref(),
        Some("tess@example.com")
    );

    // Nor does a code that signed in once.
    let mut d = password_step(&app, "tess@example.com").await;
    assert!(d
        .err(SignInSecondFactor { form: code(&next) })
        .await
        .for_field("code")
        .is_some());
    assert_eq!(d.current_user().await, None);

    let log = actions(&db, tess).await;
    assert!(log.contains(&"two_factor.enabled".to_string()), "{log:?}");
    assert_eq!(
        log.iter()
            .filter(|a| *a == "auth.second_factor_failed")
            .count(),
        3,
        "{log:?}"
    );
    assert_eq!(
        subjects(&db, "tess@example.com").await,
        ["Two-factor sign-in is on for your Ops Intel account"]
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_the_user_is_told_how_many_remain() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    create_user(&db, "rory@example.com", true).await;
    let mut b = sign_in(&app, "rory@example.com").await;
    let (_, _, recovery) = turn_on(&mut b).await;

    let mut c = password_step(&app, "rory@example.com").await;
    // However it is typed.
    let typed = recovery[0].replace('-', " ").to_uppercase();
    assert_eq!(
        c.ok(SignInSecondFactor { form: code(&typed) }).await,
        Some(9)
    );
    assert!(c.current_user().await.is_some());

    let mut d = password_step(&app, "rory@example.com").await;
    assert!(d
        .err(SignInSecondFactor {
            form: code(&recovery[0])
        })
        .await
        .for_field("code")
        .is_some());
    assert_eq!(
        d.ok(SignInSecondFactor {
            form: code(&recovery[1])
        })
        .await,
        Some(8)
    );
    d.open("/account").await;
    assert_eq!(d.ok(TwoFactorStatus {}).await.recovery_codes_left, 8);
    let mail = subjects(&db, "rory@example.com").await;
    assert_eq!(
        mail.iter()
            .filter(|s| *s == "A recovery code was used to sign in to your Ops Intel account")
            .count(),
        2,
        "{mail:?}"
    );
}

#[tokio::test]
async fn the_second_step_needs_the_first_and_is_throttled_like_it() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    create_user(&db, "thea@example.com", true).await;
    let mut b = sign_in(&app, "thea@example.com").await;
    let (secret, _, _) = turn_on(&mut b).await;

    let mut stranger = Browser::new(&app);
    stranger.open("/sign-in").await;
    assert_eq!(
        stranger
            .err(SignInSecondFactor {
                form: code(&code_in(&secret, 1))
            })
            .await,
        AppError::NotSignedIn
    );

    let mut c = password_step(&app, "thea@example.com").await;
    let right = code_in(&secret, 1);
    // As many wrong codes as the account's allowance (`TWO_FACTOR_ACCOUNT`)...
    for _ in 0..app::throttle::TWO_FACTOR_ACCOUNT.free_failures {
        let e = c
            .err(SignInSecondFactor {
                form: code(&wrong(&right)),
            })
            .await;
        assert!(e.for_field("code").is_some(), "{e:?}");
    }
    // Locked now: even the right code waits.
    assert!(matches!(
        c.err(SignInSecondFactor { form: code(&right) }).await,
        AppError::Throttled(_)
    ));
    assert_eq!(c.current_user().await, None);
}

/// Makes every sign-in of `user` look as if its last proof was eleven minutes ago.
async fn make_proof_stale(db: &PgPool, user: Uuid) {
    sqlx::query(
        "update user_sessions set proved_at = now() - interval '11 minutes' where user_id = $1",
    )
    .bind(user)
    .execute(db)
    .await
    .unwrap();
}

fn confirm_with_password(password: &str) -> ConfirmIdentity {
    ConfirmIdentity {
        form: ConfirmIdentityForm {
            password: password.into(),
            code: String::new(),
        },
    }
}

#[tokio::test]
async fn dangerous_actions_are_refused_without_a_recent_proof_and_allowed_after_one() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let f = Fixture::create(&db).await;
    let owner = f.users["a-owner"];
    let mut b = sign_in(&app, "owner@alpha.test").await;
    let (secret, _, _) = turn_on(&mut b).await;

    // Changing the email address.
    make_proof_stale(&db, owner).await;
    let change = || ChangeEmail {
        form: ChangeEmailForm {
            new_email: "owner@alpha.example".into(),
        },
    };
    assert_eq!(b.err(change()).await, AppError::RecentProofRequired);
    assert!(subjects(&db, "owner@alpha.example").await.is_empty());
    assert_eq!(
        b.err(confirm_with_password("not my password")).await,
        AppError::invalid("password", "Your password is not correct.")
    );
    assert_eq!(b.err(change()).await, AppError::RecentProofRequired);
    b.ok(confirm_with_password(PASSWORD)).await;
    b.ok(change()).await;
    assert_eq!(subjects(&db, "owner@alpha.example").await.len(), 1);

    // New recovery codes, confirmed with a code from the app this time.
    make_proof_stale(&db, owner).await;
    assert_eq!(
        b.err(RegenerateRecoveryCodes {}).await,
        AppError::RecentProofRequired
    );
    b.ok(ConfirmIdentity {
        form: ConfirmIdentityForm {
            password: String::new(),
            code: code_in(&secret, 1),
        },
    })
    .await;
    assert_eq!(b.ok(RegenerateRecoveryCodes {}).await.0.len(), 10);

    // Turning two-factor off.
    make_proof_stale(&db, owner).await;
    assert_eq!(
        b.err(DisableTwoFactor {}).await,
        AppError::RecentProofRequired
    );
    assert!(b.ok(TwoFactorStatus {}).await.enabled);
    b.ok(confirm_with_password(PASSWORD)).await;
    b.ok(DisableTwoFactor {}).await;
    assert!(!b.ok(TwoFactorStatus {}).await.enabled);

    // Deleting the organisation.
    make_proof_stale(&db, owner).await;
    let delete = || DeleteOrganisation {
        slug: A_SLUG.into(),
        confirm: A_SLUG.into(),
    };
    assert_eq!(b.err(delete()).await, AppError::RecentProofRequired);
    let orgs = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from organisations")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(orgs().await, 2);
    b.ok(confirm_with_password(PASSWORD)).await;
    b.ok(delete()).await;
    assert_eq!(orgs().await, 1);

    // Transferring ownership, in the other organisation.
    let b_owner = f.users["b-owner"];
    let mut c = sign_in(&app, "owner@bravo.test").await;
    make_proof_stale(&db, b_owner).await;
    let transfer = || TransferOwnership {
        slug: B_SLUG.into(),
        user_id: f.users["b-member"].to_string(),
    };
    assert_eq!(c.err(transfer()).await, AppError::RecentProofRequired);
    let role = || async {
        sqlx::query_scalar::<_, String>("select role from memberships where user_id = $1")
            .bind(b_owner)
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(role().await, "owner");
    c.ok(confirm_with_password(PASSWORD)).await;
    c.ok(transfer()).await;
    assert_eq!(role().await, "admin");

    // Every change to two-factor was recorded and emailed.
    let log = actions(&db, owner).await;
    for action in [
        "two_factor.enabled",
        "auth.identity_confirmation_failed",
        "auth.identity_confirmed",
        "two_factor.recovery_codes_regenerated",
        "two_factor.disabled",
    ] {
        assert!(log.contains(&action.to_string()), "{action}: {log:?}");
    }
    let mail = subjects(&db, "owner@alpha.test").await;
    for subject in [
        "Two-factor sign-in is on for your Ops Intel account",
        "New recovery codes for your Ops Intel account",
        "Two-factor sign-in is off for your Ops Intel account",
    ] {
        assert!(mail.contains(&subject.to_string()), "{subject}: {mail:?}");
    }
}

#[tokio::test]
async fn an_organisation_can_require_two_factor_and_members_without_it_see_none_of_its_data() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    let f = Fixture::create(&db).await;
    let rule = |required: bool| SetTwoFactorRule {
        slug: A_SLUG.into(),
        form: TwoFactorRuleForm { required },
    };
    let members = |slug: &str| ListMembers { slug: slug.into() };

    // Whoever turns the rule on must have two-factor, so it never shuts them out.
    let mut owner = sign_in(&app, "owner@alpha.test").await;
    assert!(matches!(owner.err(rule(true)).await, AppError::Refused(_)));
    turn_on(&mut owner).await;
    owner.ok(rule(true)).await;
    assert!(
        owner
            .ok(CurrentOrg {
                slug: A_SLUG.into()
            })
            .await
            .require_two_factor
    );

    // A member without it gets nothing of the organisation, whatever their role.
    let mut viewer = sign_in(&app, "viewer@alpha.test").await;
    let mut admin = sign_in(&app, "admin@alpha.test").await;
    assert_eq!(
        viewer.err(members(A_SLUG)).await,
        AppError::TwoFactorRequired
    );
    assert_eq!(
        viewer
            .err(CurrentOrg {
                slug: A_SLUG.into()
            })
            .await,
        AppError::TwoFactorRequired
    );
    let (status, body) = viewer.call("org/members", &[("slug", A_SLUG)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.contains("alpha.test"), "{body}");
    assert_eq!(admin.err(rule(false)).await, AppError::TwoFactorRequired);

    // Another organisation's rule is its own.
    let mut b_member = sign_in(&app, "member@bravo.test").await;
    b_member.ok(members(B_SLUG)).await;

    // Once the viewer sets it up, the organisation is open to them, and the members page shows
    // who has it.
    let (secret, _, _) = turn_on(&mut viewer).await;
    let list = viewer.ok(members(A_SLUG)).await;
    let has = |email: &str| list.iter().find(|m| m.email == email).unwrap().two_factor;
    assert!(has("owner@alpha.test") && has("viewer@alpha.test"));
    assert!(!has("admin@alpha.test") && !has("manager@alpha.test"));

    // Turning it off closes the organisation again.
    viewer
        .ok(ConfirmIdentity {
            form: ConfirmIdentityForm {
                password: String::new(),
                code: code_in(&secret, 1),
            },
        })
        .await;
    viewer.ok(DisableTwoFactor {}).await;
    assert_eq!(
        viewer.err(members(A_SLUG)).await,
        AppError::TwoFactorRequired
    );

    // The rule changes are in the organisation's audit log.
    let changes: i64 = sqlx::query_scalar(
        "select count(*) from org_audit_events where org_id = $1 and action = 'organisation.two_factor_rule_changed'",
    )
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(changes, 1);
}

#[tokio::test]
async fn turning_two_factor_on_retires_a_pending_email_change() {
    let app = TestApp::spawn().await;
    let db = pool(&app).await;
    create_user(&db, "victim@example.com", true).await;
    let stolen_way_back =
        crate::credential_changes::attacker_asks_to_move_the_account(&app, &db).await;

    let mut victim = sign_in(&app, "victim@example.com").await;
    victim.open("/account/two-factor").await;
    turn_on(&mut victim).await;

    assert_eq!(
        crate::credential_changes::confirm(&app, stolen_way_back).await,
        Err(AppError::BadToken)
    );
}
