//! What one request learns about its caller, kept for every server function it runs. A page's
//! resources each declare their access in their first line; with the scope, the sign-in is
//! checked once, each organisation resolved once, and one tenant transaction serves all of them,
//! so a signed-in page costs the statements its data needs plus a fixed few, not a few per
//! resource. The server provides a fresh scope to every request; without one (a function called
//! outside a request), each call gets a scope of its own.

use std::{
    collections::HashMap,
    future::Future,
    ops::{Deref, DerefMut},
    sync::Arc,
};

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use tokio::sync::{Mutex, OnceCell, OwnedMutexGuard};
use uuid::Uuid;

use crate::{error::AppError, tenancy::act_in};

/// One request's knowledge of its caller. Cheap to clone: clones share it.
#[derive(Clone, Default)]
pub struct RequestScope(Arc<Known>);

#[derive(Default)]
struct Known {
    caller: OnceCell<Option<Caller>>,
    /// Held by one function at a time, with the transaction in it.
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// The caller's membership of each slug asked for (`None`: not a member, or no such slug).
    organisations: HashMap<String, Option<Resolved>>,
    open: Option<Open>,
}

/// The request's transaction, and the organisation it is set to, if any.
struct Open {
    org_id: Option<Uuid>,
    tx: Transaction<'static, Postgres>,
}

/// A signed-in caller: the user and this sign-in.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub user_id: Uuid,
    pub user_session_id: Uuid,
}

/// An organisation as the caller's membership of it resolved.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub org_id: Uuid,
    pub slug: String,
    pub name: String,
    pub role: String,
    pub require_two_factor: bool,
    pub verified: bool,
    pub has_two_factor: bool,
    /// Moves whenever what the organisation's pages show changes (see `org_data_versions`).
    pub data_version: i64,
    /// How the organisation's payments stand.
    pub billing: crate::plans::Billing,
    /// The caller's time zone, in which they are shown every time.
    pub zone: crate::domain::Zone,
    /// The organisation's, in which its days begin and end.
    pub org_zone: crate::domain::Zone,
}

impl RequestScope {
    /// The caller, checked by `check` the first time it is asked for. A failed check is not
    /// kept: the next function of the request checks again.
    ///
    /// A request holds at most one connection at a time, so that requests waiting for the pool
    /// never hold one another's: the check (which takes a connection of its own) waits until
    /// the request's other functions are done with theirs, and the request's transaction is only
    /// ever open once the caller is known, so the check is never needed beside it.
    pub async fn caller<F, Fut>(&self, check: F) -> Result<Option<Caller>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Caller>, AppError>>,
    {
        if let Some(known) = self.0.caller.get() {
            return Ok(*known);
        }
        let mut state = self.0.state.lock().await;
        if let Some(known) = self.0.caller.get() {
            // Another function of the request learnt it meanwhile.
            return Ok(*known);
        }
        // Open without a caller only after a failed entry: let it go rather than hold it.
        state.open = None;
        self.0.caller.get_or_try_init(check).await.copied()
    }

    /// The request's transaction as it stands (begun if need be), for a read that needs no
    /// tenant, such as an owner-rights function answering for one user: a page's reads share
    /// the one connection its request holds.
    pub async fn shared(&self, pool: &PgPool) -> Result<TenantTx, AppError> {
        Ok(TenantTx(self.held(pool).await?))
    }

    /// The request's state, held, with its transaction open.
    async fn held(&self, pool: &PgPool) -> Result<OwnedMutexGuard<State>, AppError> {
        let mut state = self.0.state.clone().lock_owned().await;
        if state.open.is_none() {
            state.open = Some(Open {
                org_id: None,
                tx: pool.begin().await?,
            });
        }
        Ok(state)
    }

    /// The caller, if this request has checked the sign-in already.
    pub fn checked_caller(&self) -> Option<Caller> {
        self.0.caller.get().copied().flatten()
    }

    /// The caller's membership of the organisation `slug`, and the request's transaction set to
    /// act for the caller in it. The transaction is begun on first use and held by one function
    /// at a time; each slug is resolved once, in the same statement that sets the transaction
    /// to its organisation and, when this request has not yet checked the sign-in its session
    /// names, checks that too. Another organisation's slug, or one that does not exist, is
    /// [`Entered::NotMember`] alike.
    pub async fn organisation(
        &self,
        pool: &PgPool,
        claim: Claim,
        slug: &str,
    ) -> Result<Entered, AppError> {
        let mut state = self.held(pool).await?;
        let caller = claim.caller();
        let found = match state.organisations.get(slug) {
            // Resolved earlier in this request, with the sign-in checked then.
            Some(found) => found.clone(),
            None => {
                let open = state.open.as_mut().expect(HELD);
                let entered = enter_organisation(&mut open.tx, slug, claim).await?;
                if entered.sign_in.as_deref().is_some_and(|s| s != "current") {
                    // No caller: the transaction is not kept open without one.
                    state.open = None;
                    return Ok(Entered::SignInEnded);
                }
                let found = entered.resolved();
                if let Some(found) = &found {
                    open.org_id = Some(found.org_id);
                }
                state.organisations.insert(slug.to_string(), found.clone());
                found
            }
        };
        // The sign-in stands: later functions of the request need not check it again.
        let _ = self.0.caller.set(Some(caller));
        let Some(found) = found else {
            return Ok(Entered::NotMember);
        };
        let open = state.open.as_mut().expect(HELD);
        if open.org_id != Some(found.org_id) {
            act_in(&mut open.tx, caller.user_id, found.org_id).await?;
            open.org_id = Some(found.org_id);
        }
        Ok(Entered::Member {
            found,
            tx: TenantTx(state),
        })
    }
}

/// Whom a request enters an organisation for.
#[derive(Clone, Copy, Debug)]
pub enum Claim {
    /// A caller whose sign-in this request has checked.
    Checked(Caller),
    /// The sign-in the browser's session names (and says was seen within the minute), to be
    /// checked in the statement that enters the organisation: at most `lifetime_secs` old.
    Unchecked { caller: Caller, lifetime_secs: f64 },
}

impl Claim {
    pub fn caller(self) -> Caller {
        match self {
            Claim::Checked(caller) | Claim::Unchecked { caller, .. } => caller,
        }
    }
}

/// What entering an organisation found.
pub enum Entered {
    /// The sign-in the session named has ended; nothing was entered.
    SignInEnded,
    NotMember,
    Member {
        found: Resolved,
        tx: TenantTx,
    },
}

/// The row `app_enter_organisation` answers with: the sign-in's standing when it was asked to
/// check it, and the organisation's columns when the caller is a member.
struct EnterRow {
    sign_in: Option<String>,
    org_id: Option<Uuid>,
    slug: Option<String>,
    name: Option<String>,
    role: Option<String>,
    require_two_factor: Option<bool>,
    verified: Option<bool>,
    has_two_factor: Option<bool>,
    data_version: Option<i64>,
    plan: Option<String>,
    billing_status: Option<String>,
    grace_ends_at: Option<time::OffsetDateTime>,
    user_time_zone: Option<String>,
    org_time_zone: Option<String>,
}

impl EnterRow {
    fn resolved(self) -> Option<Resolved> {
        Some(Resolved {
            org_id: self.org_id?,
            slug: self.slug?,
            name: self.name?,
            role: self.role?,
            require_two_factor: self.require_two_factor?,
            verified: self.verified?,
            has_two_factor: self.has_two_factor?,
            data_version: self.data_version?,
            billing: crate::plans::Billing::from_stored(
                &self.plan?,
                &self.billing_status?,
                self.grace_ends_at.map(time::OffsetDateTime::unix_timestamp),
            ),
            zone: crate::domain::Zone::from_stored(&self.user_time_zone?),
            org_zone: crate::domain::Zone::from_stored(&self.org_time_zone?),
        })
    }
}

/// Resolves the membership and, when there is one, sets the transaction to act for the user in
/// that organisation; checks an unchecked sign-in first. One statement.
async fn enter_organisation(
    conn: &mut PgConnection,
    slug: &str,
    claim: Claim,
) -> Result<EnterRow, AppError> {
    let (user_session_id, lifetime_secs) = match claim {
        Claim::Checked(_) => (None, None),
        Claim::Unchecked {
            caller,
            lifetime_secs,
        } => (Some(caller.user_session_id), Some(lifetime_secs)),
    };
    Ok(sqlx::query_as!(
        EnterRow,
        "select sign_in, org_id, slug, name, role, require_two_factor, verified, has_two_factor,
                data_version, plan, billing_status, grace_ends_at, user_time_zone, org_time_zone
         from app_enter_organisation($1, $2, $3, $4)",
        slug,
        claim.caller().user_id,
        user_session_id,
        lifetime_secs
    )
    .fetch_one(conn)
    .await?)
}

/// A function's hold on its request's tenant transaction. Reads share it with the request's
/// other functions; [`TenantTx::commit`] ends it, and the request's next function begins another.
/// Never committed, it rolls back when the request ends.
pub struct TenantTx(OwnedMutexGuard<State>);

/// [`RequestScope::organisation`] opens the transaction before making a [`TenantTx`], and only
/// [`TenantTx::commit`], which consumes it, ends it.
const HELD: &str = "a held tenant transaction is open";

impl TenantTx {
    pub async fn commit(mut self) -> Result<(), AppError> {
        if let Some(open) = self.0.open.take() {
            open.tx.commit().await?;
        }
        Ok(())
    }
}

impl Deref for TenantTx {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0.open.as_ref().expect(HELD).tx
    }
}

impl DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0.open.as_mut().expect(HELD).tx
    }
}
