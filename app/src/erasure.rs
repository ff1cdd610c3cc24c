//! Erasure (UK GDPR article 17), with a receipt. Deleting an account or an organisation removes
//! its own rows through their foreign keys; [`erase_person`] and [`erase_organisation`] reach
//! what holds it elsewhere (`migrations/*_erasure.sql`), and the receipt says what went, what
//! is kept and why. A deleted account's receipt forgets its address once delivered.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    billing::CancelSubscription,
    email::{action_email, Email, EmailKind},
    error::AppError,
    jobs::{enqueue, Queue},
};

/// What erasing a person changed outside their own rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Organisations' audit entries that no longer name them or hold their address and device.
    pub audit_entries: i64,
    /// Entries of their account's security log that no longer hold their address and device.
    pub account_log_entries: i64,
    /// Emails to their address, sent or waiting, whose record was deleted.
    pub emails: i64,
    /// Invitations to their address.
    pub invitations: i64,
    /// Issue timelines' entries that named them as assignee.
    pub timeline_entries: i64,
    /// Sign-ins on other devices.
    pub sessions: i64,
}

/// Removes or anonymises what holds the person outside their account's own rows; the caller
/// deletes the account in the same transaction.
pub async fn erase_person(conn: &mut PgConnection, user_id: Uuid) -> Result<Erased, AppError> {
    let r = sqlx::query!(
        r#"select audit_entries as "audit_entries!", account_log_entries as "account_log_entries!",
                  emails as "emails!", invitations as "invitations!", timeline_entries as "timeline_entries!",
                  sessions as "sessions!"
           from app_erase_person($1)"#,
        user_id
    )
    .fetch_one(conn)
    .await?;
    Ok(Erased {
        audit_entries: r.audit_entries,
        account_log_entries: r.account_log_entries,
        emails: r.emails,
        invitations: r.invitations,
        timeline_entries: r.timeline_entries,
        sessions: r.sessions,
    })
}

/// Before an organisation is deleted: its subscription is cancelled at Stripe (by a job, once
/// the deletion commits) and Stripe's events forget its customer. Whether it had a subscription.
pub async fn erase_organisation(conn: &mut PgConnection, org_id: Uuid) -> Result<bool, AppError> {
    let subscription = sqlx::query_scalar!(
        "select subscription_id from app_erase_organisation_billing($1)",
        org_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let Some(subscription_id) = subscription else {
        return Ok(false);
    };
    // Queued with no organisation: the organisation is gone by the time it runs.
    enqueue(
        conn,
        &CancelSubscription {
            subscription_id: subscription_id.clone(),
        },
        Queue::default().dedupe(subscription_id),
    )
    .await?;
    Ok(true)
}

fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The receipt for a deleted account, sent to the address it had and then forgotten.
pub fn account_receipt(
    to: &str,
    name: &str,
    erased: &Erased,
    organisations_deleted: &[String],
    public_url: &str,
) -> Email {
    let mut deleted = "Your account and everything that was yours alone: your name, email \
                       address and password, your sign-ins and devices, your two-factor \
                       settings and recovery codes"
        .to_string();
    if !organisations_deleted.is_empty() {
        deleted.push_str(&format!(
            ", and the organisations you owned alone, with everything they held: {}",
            organisations_deleted.join(", ")
        ));
    }
    deleted.push('.');
    let elsewhere = format!(
        "Made anonymous or deleted elsewhere: {} in organisations' audit logs no longer name \
         you or hold your address and device; {} of your account's security log no longer hold \
         your address and device; {} we had sent you; {}; {} in issue timelines no longer name \
         you; {} on other devices ended.",
        count(erased.audit_entries, "entry", "entries"),
        count(erased.account_log_entries, "entry", "entries"),
        count(erased.emails, "email", "emails"),
        count(
            erased.invitations,
            "invitation to your address",
            "invitations to your address"
        ),
        count(erased.timeline_entries, "entry", "entries"),
        count(erased.sessions, "sign-in", "sign-ins"),
    );
    let kept = "Kept, and why: audit logs keep each event without who did it, because \
                organisations need a record of what changed in them (legitimate interests); \
                issues, comments and messages you wrote in organisations you were a member of \
                belong to those organisations and stay with them, without your name; invoices for \
                a paid plan are held by Stripe for as long as tax law requires.";
    let forgotten =
        "Once this email is delivered, we keep no record of the address it was sent to.";
    action_email(
        EmailKind::ErasureReceipt,
        to,
        "Your Ops Intel account has been deleted",
        name,
        &[&deleted, &elsewhere, kept, forgotten],
        "How we handle personal data",
        &format!("{public_url}/privacy"),
    )
    .forgetting_recipient()
}

/// The receipt for a deleted organisation, sent to the Owner who deleted it.
pub fn organisation_receipt(
    to: &str,
    name: &str,
    organisation: &str,
    had_subscription: bool,
    public_url: &str,
) -> Email {
    let deleted = format!(
        "{organisation} and everything it held have been deleted: its businesses, issues with \
         their comments and timelines, its inbox with attachments, invitations, members' access, \
         audit log, AI record, exports, the emails sent for it, and its billing details."
    );
    let billing = if had_subscription {
        "Its subscription is being cancelled at Stripe: nothing more will be charged."
    } else {
        "It had no paid subscription."
    };
    let kept = "Kept, and why: your account's security log records that you deleted it (the \
                organisation's name and address), to keep your account's history whole; \
                invoices already issued are held by Stripe for as long as tax law requires. Its \
                members keep their own accounts.";
    action_email(
        EmailKind::ErasureReceipt,
        to,
        &format!("{organisation} has been deleted from Ops Intel"),
        name,
        &[&deleted, billing, kept],
        "How we handle personal data",
        &format!("{public_url}/privacy"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_receipt_lists_what_went_and_forgets_its_recipient() {
        let erased = Erased {
            audit_entries: 3,
            account_log_entries: 1,
            emails: 2,
            invitations: 0,
            timeline_entries: 1,
            sessions: 2,
        };
        let email = account_receipt(
            "gone@example.com",
            "Gone Person",
            &erased,
            &["Solo Café".to_string()],
            "https://ops.example",
        );
        assert!(email.forget_recipient);
        assert_eq!(email.kind, EmailKind::ErasureReceipt);
        assert!(email.text.contains("Solo Café"));
        assert!(email
            .text
            .contains("3 entries in organisations' audit logs"));
        assert!(email
            .text
            .contains("1 entry of your account's security log"));
        assert!(email.text.contains("0 invitations to your address"));
        assert!(email.text.contains("Stripe"));
    }

    #[test]
    fn an_organisation_receipt_says_whether_billing_stops() {
        let with = organisation_receipt("o@example.com", "O", "Alpha", true, "https://x");
        assert!(with.text.contains("cancelled at Stripe"));
        assert!(!with.forget_recipient);
        let without = organisation_receipt("o@example.com", "O", "Alpha", false, "https://x");
        assert!(without.text.contains("no paid subscription"));
    }
}
