//! The membership rules beyond the matrix's rows: exactly one Owner, nobody granting above their
//! own role, invitations that are single-use, expire and need the invited address, and deletion.

use crate::support::{
    orgs::{create_user, email_of, sign_in, tenant_tx, Fixture, A_SLUG, PASSWORD},
    TestApp,
};
use app::{
    auth::functions::DeleteAccount,
    error::AppError,
    org::{
        forms::{ChangeRoleForm, InviteMemberForm},
        functions::{
            AcceptInvitation, ChangeRole, DeleteOrganisation, InviteMember, LeaveOrganisation,
            RemoveMember, ResendInvitation, RevokeInvitation, ShowInvitation, TransferOwnership,
        },
        InvitationDetails,
    },
    roles::Role,
};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

async fn role_of(db: &PgPool, org: Uuid, user: Uuid) -> Option<String> {
    sqlx::query_scalar("select role from memberships where org_id = $1 and user_id = $2")
        .bind(org)
        .bind(user)
        .fetch_optional(db)
        .await
        .unwrap()
}

fn change_role(user_id: &str, role: Role) -> ChangeRole {
    ChangeRole {
        slug: A_SLUG.into(),
        form: ChangeRoleForm {
            user_id: user_id.into(),
            role: role.as_str().into(),
        },
    }
}

fn invite(email: &str, role: Role) -> InviteMember {
    InviteMember {
        slug: A_SLUG.into(),
        form: InviteMemberForm {
            email: email.into(),
            role: role.as_str().into(),
        },
    }
}

fn leave() -> LeaveOrganisation {
    LeaveOrganisation {
        slug: A_SLUG.into(),
    }
}

/// What an Admin hears on trying to grant, change or remove the Admin role.
fn only_the_owner_manages_admins() -> AppError {
    AppError::Forbidden(
        "Your role (Admin) does not allow you to grant, revoke or remove the Admin role.".into(),
    )
}

#[tokio::test]
async fn nobody_grants_above_their_role_and_there_is_always_exactly_one_owner() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let target = f.users["a-target"].to_string();
    let admin_id = f.users["a-admin"].to_string();
    let owner_id = f.users["a-owner"].to_string();
    let mut admin = sign_in(&app, email_of("a-admin")).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;

    // An Admin manages Managers and Viewers, but not Admins, and cannot make one.
    assert_eq!(
        admin.err(change_role(&target, Role::Admin)).await,
        only_the_owner_manages_admins()
    );
    admin.ok(change_role(&target, Role::Manager)).await;
    assert_eq!(
        role_of(&db, f.a, f.users["a-target"]).await.as_deref(),
        Some("manager")
    );
    // The Owner grants Admin.
    owner.ok(change_role(&target, Role::Admin)).await;
    assert_eq!(
        admin.err(change_role(&target, Role::Viewer)).await,
        only_the_owner_manages_admins(),
        "an Admin cannot change another Admin's role"
    );
    assert_eq!(
        admin
            .err(RemoveMember {
                slug: A_SLUG.into(),
                user_id: target.clone(),
            })
            .await,
        only_the_owner_manages_admins(),
        "an Admin cannot remove another Admin"
    );
    assert_eq!(
        admin.err(invite("new@example.com", Role::Admin)).await,
        only_the_owner_manages_admins(),
        "an Admin cannot invite an Admin"
    );

    // Ownership only moves by transfer; the Owner neither leaves nor is changed or removed.
    assert_eq!(
        owner.err(change_role(&target, Role::Owner)).await,
        AppError::invalid(
            "role",
            "Ownership is transferred from the settings page, not granted."
        )
    );
    assert_eq!(
        admin.err(change_role(&owner_id, Role::Viewer)).await,
        AppError::Refused("The Owner keeps their role until they transfer ownership.".into())
    );
    assert_eq!(
        owner.err(change_role(&owner_id, Role::Admin)).await,
        AppError::Refused(
            "You cannot do that to yourself. To leave, use Leave organisation.".into()
        ),
        "not on oneself"
    );
    assert_eq!(
        owner.err(leave()).await,
        AppError::Refused("Transfer ownership to another member before you leave.".into())
    );

    owner
        .ok(TransferOwnership {
            slug: A_SLUG.into(),
            user_id: admin_id,
        })
        .await;
    assert_eq!(
        role_of(&db, f.a, f.users["a-admin"]).await.as_deref(),
        Some("owner")
    );
    assert_eq!(
        role_of(&db, f.a, f.users["a-owner"]).await.as_deref(),
        Some("admin")
    );
    let owners: i64 =
        sqlx::query_scalar("select count(*) from memberships where org_id = $1 and role = 'owner'")
            .bind(f.a)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(owners, 1);
    // The former Owner, now an Admin, can leave.
    owner.ok(leave()).await;
    assert_eq!(role_of(&db, f.a, f.users["a-owner"]).await, None);

    // The database holds the line even against the application's own SQL.
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();
    let mut tx = tenant_tx(&mut conn, f.a).await;
    sqlx::query("update memberships set role = 'admin' where org_id = $1 and role = 'owner'")
        .bind(f.a)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert!(
        tx.commit().await.is_err(),
        "an organisation without an Owner cannot commit"
    );
    let mut tx = tenant_tx(&mut conn, f.a).await;
    let second =
        sqlx::query("update memberships set role = 'owner' where org_id = $1 and user_id = $2")
            .bind(f.a)
            .bind(f.users["a-manager"])
            .execute(&mut *tx)
            .await;
    assert!(second.is_err(), "a second Owner is refused");
}

async fn invitation_token(db: &PgPool, email: &str) -> String {
    let body: String = sqlx::query_scalar(
        "select text_body from email_outbox where lower(to_address) = lower($1) order by email_id desc limit 1",
    )
    .bind(email)
    .fetch_one(db)
    .await
    .unwrap();
    let start = body.find("/invite/").expect("an invitation link") + "/invite/".len();
    body[start..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn invitations_are_single_use_expire_and_need_the_invited_address() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let show = |token: &str| ShowInvitation {
        token: token.into(),
    };
    let accept = |token: &str| AcceptInvitation {
        token: token.into(),
    };

    owner.ok(invite("Newbie@Example.com", Role::Manager)).await;
    assert_eq!(
        owner.err(invite("newbie@example.com", Role::Manager)).await,
        AppError::invalid(
            "email",
            "newbie@example.com already has an invitation waiting. Resend it from the list below."
        ),
        "one pending invitation per address"
    );
    assert_eq!(
        owner.err(invite(email_of("a-viewer"), Role::Manager)).await,
        AppError::invalid(
            "email",
            format!("{} is already a member.", email_of("a-viewer"))
        )
    );
    let first = invitation_token(&db, "newbie@example.com").await;
    let stored: i64 = sqlx::query_scalar("select count(*) from invitations where convert_to($1, 'UTF8') = token_hash or position(convert_to($1, 'UTF8') in token_hash) > 0")
        .bind(&first)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 0, "only a hash of the token is kept");

    // Resending makes a new link; the old one stops working.
    let id: Uuid = sqlx::query_scalar(
        "select invitation_id from invitations where email = 'newbie@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    owner
        .ok(ResendInvitation {
            slug: A_SLUG.into(),
            invitation_id: id.to_string(),
        })
        .await;
    let token = invitation_token(&db, "newbie@example.com").await;
    assert_ne!(token, first);
    assert_eq!(
        owner.err(show(&first)).await,
        AppError::BadToken,
        "the old link is dead"
    );
    assert_eq!(
        owner.ok(show(&token)).await,
        InvitationDetails {
            org_name: "Alpha Cafés".into(),
            email: "Newbie@Example.com".into(),
            role: Role::Manager,
            invited_by: "User owner".into(),
        }
    );

    // Someone signed in with another address cannot use it.
    let mut other = sign_in(&app, email_of("b-member")).await;
    assert_eq!(
        other.err(accept(&token)).await,
        AppError::Refused(
            "This invitation is for Newbie@Example.com. Sign in with that address to accept it."
                .into()
        )
    );

    // The invited address, not yet confirmed: accepting joins and confirms it, once.
    let newbie = create_user(&db, "newbie@example.com", false).await;
    let mut b = sign_in(&app, "newbie@example.com").await;
    b.ok(accept(&token)).await;
    assert_eq!(role_of(&db, f.a, newbie).await.as_deref(), Some("manager"));
    let verified: bool =
        sqlx::query_scalar("select email_verified_at is not null from users where user_id = $1")
            .bind(newbie)
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(verified);
    assert_eq!(
        b.err(accept(&token)).await,
        AppError::BadToken,
        "single use"
    );

    // Revoked and expired invitations are dead links.
    owner.ok(invite("revoked@example.com", Role::Manager)).await;
    let revoked = invitation_token(&db, "revoked@example.com").await;
    let id: Uuid = sqlx::query_scalar(
        "select invitation_id from invitations where email = 'revoked@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    owner
        .ok(RevokeInvitation {
            slug: A_SLUG.into(),
            invitation_id: id.to_string(),
        })
        .await;
    owner.ok(invite("late@example.com", Role::Manager)).await;
    let late = invitation_token(&db, "late@example.com").await;
    sqlx::query("update invitations set expires_at = now() - interval '1 second' where email = 'late@example.com'")
        .execute(&db)
        .await
        .unwrap();
    for dead in [revoked, late] {
        assert_eq!(owner.err(show(&dead)).await, AppError::BadToken);
    }
    let expires_in_days: f64 = sqlx::query_scalar(
        "select (extract(epoch from expires_at - sent_at) / 86400)::float8 from invitations where email = 'newbie@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!((expires_in_days - 7.0).abs() < 0.01, "{expires_in_days}");
}

/// Rows of organisation `org` in every tenant table.
async fn rows_of(db: &PgPool, org: Uuid) -> i64 {
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.columns
         where table_schema = 'public' and column_name = 'org_id'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut total = 0;
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where org_id = $1"))
            .bind(org)
            .fetch_one(db)
            .await
            .unwrap();
        total += n;
    }
    total
}

#[tokio::test]
async fn deleting_an_organisation_removes_its_data_and_the_account_log_keeps_a_record() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let before = rows_of(&db, f.a).await;
    let delete = |confirm: &str| DeleteOrganisation {
        slug: A_SLUG.into(),
        confirm: confirm.into(),
    };
    assert_eq!(
        owner.err(delete("alpha")).await,
        AppError::invalid("confirm", format!("Type {A_SLUG} exactly to confirm."))
    );
    assert_eq!(
        rows_of(&db, f.a).await,
        before,
        "a wrong confirmation changes nothing"
    );
    owner.ok(delete(A_SLUG)).await;
    assert_eq!(rows_of(&db, f.a).await, 0);
    assert!(rows_of(&db, f.b).await > 0, "B is untouched");
    let recorded: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'organisation.deleted' and details->>'slug' = $1",
    )
    .bind(A_SLUG)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn an_owner_must_hand_over_before_deleting_their_account() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let delete_account = || DeleteAccount {
        password: PASSWORD.into(),
    };
    assert_eq!(
        owner.err(delete_account()).await,
        AppError::Refused(
            "You own an organisation with other members. Transfer ownership or delete the \
             organisation first."
                .into()
        )
    );
    assert!(role_of(&db, f.a, f.users["a-owner"]).await.is_some());

    // A member's account goes, and the organisation's log says a member left, not who.
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    viewer.ok(delete_account()).await;
    let left: Vec<(Option<String>, String)> = sqlx::query_as(
        "select actor_email, summary from org_audit_events where org_id = $1 and action = 'member.left'",
    )
    .bind(f.a)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        left,
        [(None, "A member deleted their account and left".to_string())],
        "the entry keeps the event, not the person"
    );

    // An Owner alone in their organisation takes it with them.
    sqlx::query("delete from memberships where org_id = $1 and role <> 'owner'")
        .bind(f.b)
        .execute(&db)
        .await
        .unwrap();
    let mut b_owner = sign_in(&app, email_of("b-owner")).await;
    b_owner.ok(delete_account()).await;
    assert_eq!(rows_of(&db, f.b).await, 0);
}
