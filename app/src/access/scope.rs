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
}

impl RequestScope {
    /// The caller, checked by `check` the first time it is asked for. A failed check is not
    /// kept: the next function of the request checks again.
    pub async fn caller<F, Fut>(&self, check: F) -> Result<Option<Caller>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<Caller>, AppError>>,
    {
        self.0.caller.get_or_try_init(check).await.copied()
    }

    /// The caller's membership of the organisation `slug`, and the request's transaction set to
    /// act for `user_id` in it. The transaction is begun on first use and held by one function
    /// at a time; each slug is resolved once, in the same statement that sets the transaction
    /// to its organisation. `None` when the caller is no member (or there is no such slug).
    pub async fn organisation(
        &self,
        pool: &PgPool,
        user_id: Uuid,
        slug: &str,
    ) -> Result<Option<(Resolved, TenantTx)>, AppError> {
        let mut state = self.0.state.clone().lock_owned().await;
        let State {
            organisations,
            open,
        } = &mut *state;
        let open = match open {
            Some(open) => open,
            None => open.insert(Open {
                org_id: None,
                tx: pool.begin().await?,
            }),
        };
        let found = match organisations.get(slug) {
            Some(found) => found.clone(),
            None => {
                let found = enter_organisation(&mut open.tx, slug, user_id).await?;
                if let Some(entered) = &found {
                    open.org_id = Some(entered.org_id);
                }
                organisations.insert(slug.to_string(), found.clone());
                found
            }
        };
        let Some(found) = found else {
            return Ok(None);
        };
        if open.org_id != Some(found.org_id) {
            act_in(&mut open.tx, user_id, found.org_id).await?;
            open.org_id = Some(found.org_id);
        }
        Ok(Some((found, TenantTx(state))))
    }
}

/// Resolves the membership and, when there is one, sets the transaction to act for the user in
/// that organisation: one statement.
async fn enter_organisation(
    conn: &mut PgConnection,
    slug: &str,
    user_id: Uuid,
) -> Result<Option<Resolved>, AppError> {
    Ok(sqlx::query_as!(
        Resolved,
        r#"select org_id as "org_id!", slug as "slug!", name as "name!", role as "role!",
                  require_two_factor as "require_two_factor!", verified as "verified!",
                  has_two_factor as "has_two_factor!"
           from app_enter_organisation($1, $2)"#,
        slug,
        user_id
    )
    .fetch_optional(conn)
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
