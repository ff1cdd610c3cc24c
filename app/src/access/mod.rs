//! The one mechanism that attaches an access check to every server function. Each function
//! declares, in its first line, what it needs of its caller:
//!
//! ```ignore
//! let svc = access::public()?;                                   // anyone
//! let me = access::signed_in().await?;                           // a signed-in user
//! let mut m = access::member(&slug, Permission::Edit).await?;    // a member allowed to edit
//! ```
//!
//! `member` resolves the user, the organisation and the membership, checks the permission against
//! the roles matrix ([`crate::roles`]) and hands back a [`Member`] whose transaction is already
//! scoped to that organisation by row-level security. Another organisation's slug is "not found",
//! exactly like a slug that does not exist; a permission the role lacks is "forbidden". When the
//! organisation requires two-factor sign-in, a member without it gets
//! [`AppError::TwoFactorRequired`] from every function, before any of its data is read.
//!
//! Within one request the work is done once ([`RequestScope`]): the sign-in is checked once, each
//! organisation resolved once, and the reads of every function the request runs (a page's
//! resources) share one transaction.
//!
//! The server gives every server-function request an [`AccessRecord`] and withholds the response
//! of a function that never declared its access; a test calls every registered function to prove
//! each one declares, and calls each as every role to prove the matrix holds.

#[cfg(feature = "ssr")]
mod scope;

#[cfg(feature = "ssr")]
pub use scope::{RequestScope, TenantTx};
#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::{Arc, Mutex};

    use http::request::Parts;
    use leptos::prelude::use_context;
    use sqlx::{Postgres, Transaction};
    use uuid::Uuid;

    use super::scope::{Caller, Claim, Entered, RequestScope, TenantTx};
    use crate::{
        audit::{record_org_event, AuditAction},
        auth::{
            services::AuthServices,
            session::{claimed_recently, session, signed_in as signed_in_session},
        },
        error::AppError,
        request::{request_meta, RequestMeta},
        roles::{Permission, Role},
        tenancy::user_tx,
    };

    /// The server's services (and with them the database pool), as the server provides them to
    /// every request. Only this module can open it, so a server function reaches the database
    /// only through [`public`], [`signed_in`] or [`member`]: one that forgot to declare its
    /// access cannot read or write anything.
    #[derive(Clone)]
    pub struct Provided(AuthServices);

    impl Provided {
        pub fn new(services: AuthServices) -> Self {
            Self(services)
        }
    }

    /// The services of the running server. Missing only if the server was wired wrongly, which
    /// is an internal error rather than the caller's.
    fn services() -> Result<AuthServices, AppError> {
        use_context::<Provided>()
            .map(|provided| provided.0)
            .ok_or_else(|| {
                tracing::error!("the server's services are missing from the request's context");
                AppError::Internal
            })
    }

    /// What a server function declared about its caller, for the server to check and to audit
    /// refusals with.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct Declared {
        /// `public`, `signed_in` or `member:<permission>`.
        pub access: String,
        pub user_id: Option<Uuid>,
        pub org_id: Option<Uuid>,
    }

    /// Set on each server-function request by the server; filled in as the function declares.
    /// It carries the request's log span, so what the function declares and learns about its
    /// caller is on every log line of the request.
    #[derive(Clone, Debug)]
    pub struct AccessRecord {
        declared: Arc<Mutex<Option<Declared>>>,
        span: tracing::Span,
    }

    impl AccessRecord {
        /// A record for one request, logging into `span` (the request's span).
        pub fn new(span: tracing::Span) -> Self {
            Self {
                declared: Arc::default(),
                span,
            }
        }

        pub fn declared(&self) -> Option<Declared> {
            self.declared.lock().map(|d| d.clone()).unwrap_or(None)
        }

        fn update(&self, f: impl FnOnce(&mut Declared)) {
            if let Ok(mut declared) = self.declared.lock() {
                f(declared.get_or_insert_with(Declared::default));
            }
        }
    }

    fn record() -> Option<AccessRecord> {
        use_context::<Parts>().and_then(|p| p.extensions.get::<AccessRecord>().cloned())
    }

    /// Records the declaration for the server's check and on the request's log span.
    fn declare(access: String) {
        if let Some(r) = record() {
            r.span.record("access", access.as_str());
            r.update(|d| d.access = access);
        }
    }

    /// Records who asked, and in which organisation, for the server and on the request's span,
    /// so every later log line of the request says who and where.
    fn note(user_id: Uuid, org_id: Option<Uuid>) {
        if let Some(r) = record() {
            r.span.record("user_id", tracing::field::display(user_id));
            if let Some(org_id) = org_id {
                r.span.record("org_id", tracing::field::display(org_id));
            }
            r.update(|d| {
                d.user_id = Some(user_id);
                d.org_id = org_id.or(d.org_id);
            });
        }
    }

    /// Open to anyone.
    pub fn public() -> Result<AuthServices, AppError> {
        declare("public".into());
        services()
    }

    /// The signed-in caller.
    pub struct Me {
        pub svc: AuthServices,
        pub user_id: Uuid,
        pub user_session_id: Uuid,
    }

    impl Me {
        /// A transaction acting for the caller: row-level security shows it the caller's own
        /// account, sign-ins, links and two-factor rows, and no one else's.
        pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, AppError> {
            user_tx(&self.svc.pool, self.user_id).await
        }

        /// The caller's time zone, read in `conn` (a transaction acting for them).
        pub async fn zone(
            &self,
            conn: &mut sqlx::PgConnection,
        ) -> Result<crate::domain::Zone, AppError> {
            let name = sqlx::query_scalar!(
                "select time_zone from users where user_id = $1",
                self.user_id
            )
            .fetch_optional(conn)
            .await?;
            Ok(name.map_or_else(crate::domain::Zone::utc, |n| {
                crate::domain::Zone::from_stored(&n)
            }))
        }

        /// The request's one transaction, for a read that an owner-rights function answers for
        /// the caller: a page's reads share the connection its request holds (see
        /// [`RequestScope::shared`]).
        pub async fn shared(&self) -> Result<TenantTx, AppError> {
            scope().shared(&self.svc.pool).await
        }
    }

    /// Only for a signed-in user; anyone else gets [`AppError::NotSignedIn`].
    pub async fn signed_in() -> Result<Me, AppError> {
        declare("signed_in".into());
        caller().await
    }

    /// This request's scope, which the server provides; a function called outside a request
    /// gets one of its own.
    fn scope() -> RequestScope {
        use_context::<RequestScope>().unwrap_or_default()
    }

    async fn caller() -> Result<Me, AppError> {
        let svc = services()?;
        let caller = scope()
            .caller(|| async {
                Ok(signed_in_session(&session().await?, &svc).await?.map(
                    |(user_id, user_session_id)| Caller {
                        user_id,
                        user_session_id,
                    },
                ))
            })
            .await?
            .ok_or(AppError::NotSignedIn)?;
        note(caller.user_id, None);
        Ok(Me {
            svc,
            user_id: caller.user_id,
            user_session_id: caller.user_session_id,
        })
    }

    /// A member of Ops Intel's staff (named only from the command line), signed in with
    /// two-factor, with a transaction acting for them: the operator's tables show their rows to
    /// staff only, and an organisation's content is reached only through [`Staff::support_access`].
    pub struct Staff {
        pub svc: AuthServices,
        pub user_id: Uuid,
        /// How the register names them: their name and address as they are now.
        pub signature: String,
        pub meta: RequestMeta,
        pub tx: Transaction<'static, Postgres>,
    }

    /// Only for staff who sign in with two-factor; anyone else is told the page is not found,
    /// so the operator side does not show itself.
    pub async fn staff() -> Result<Staff, AppError> {
        declare("staff".into());
        let me = caller().await?;
        let mut tx = me.begin().await?;
        let found = sqlx::query!(
            r#"select app_is_staff() as "staff!", app_has_two_factor() as "two_factor!",
                      (select name || ' <' || email || '>' from users where user_id = $1) as "signature!""#,
            me.user_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if !found.staff {
            return Err(AppError::NotFound);
        }
        if !found.two_factor {
            return Err(AppError::Forbidden(
                "Staff must sign in with two-factor. Turn it on from your account page first."
                    .into(),
            ));
        }
        Ok(Staff {
            svc: me.svc,
            user_id: me.user_id,
            signature: found.signature,
            meta: request_meta(),
            tx,
        })
    }

    impl Staff {
        /// Opens organisation `org_id`'s content to this transaction, for the `reason` given,
        /// which its audit log records (Owners and Admins see it) before anything is read.
        pub async fn support_access(&mut self, org_id: Uuid, reason: &str) -> Result<(), AppError> {
            crate::tenancy::set_tenant(&mut self.tx, org_id).await?;
            record_org_event(
                &mut self.tx,
                org_id,
                Some(self.user_id),
                AuditAction::SupportAccess,
                None,
                &format!("Ops Intel staff viewed the organisation's content: {reason}"),
                &self.meta,
            )
            .await
        }

        pub async fn commit(self) -> Result<(), AppError> {
            self.tx.commit().await?;
            Ok(())
        }
    }

    /// A member of one organisation, checked for one permission, with a transaction that sees
    /// only that organisation's rows. Nothing is written unless [`Member::commit`] is called.
    pub struct Member {
        pub svc: AuthServices,
        pub user_id: Uuid,
        /// The caller's sign-in, for actions that need a recent proof of identity.
        pub user_session_id: Uuid,
        pub org_id: Uuid,
        /// The organisation's current slug (the request may have used an old one).
        pub slug: String,
        pub org_name: String,
        pub role: Role,
        /// Whether the organisation requires two-factor sign-in of every member.
        pub require_two_factor: bool,
        /// Where the organisation's data stood when the request entered it: figures computed at
        /// the same version are still true (see [`crate::work::figures`]).
        pub data_version: i64,
        /// How the organisation's payments stand (the plan in force follows from it).
        pub billing: crate::plans::Billing,
        /// The caller's time zone: every time they are shown is in it.
        pub zone: crate::domain::Zone,
        /// The organisation's: its days (and so what is overdue) begin and end in it.
        pub org_zone: crate::domain::Zone,
        pub meta: RequestMeta,
        /// The request's transaction, scoped to this organisation; see [`RequestScope`].
        pub tx: TenantTx,
    }

    /// Only for a verified member of the organisation `slug` whose role allows `permission`.
    pub async fn member(slug: &str, permission: Permission) -> Result<Member, AppError> {
        declare(format!("member:{}", permission.name()));
        let svc = services()?;
        let scope = scope();
        // A request's first function checks the sign-in in the statement that enters the
        // organisation, unless its activity is due to be recorded; later functions know the
        // caller already.
        let claim = match scope.checked_caller() {
            Some(caller) => Claim::Checked(caller),
            None => match claimed_recently(&session().await?).await? {
                Some((user_id, user_session_id)) => Claim::Unchecked {
                    caller: Caller {
                        user_id,
                        user_session_id,
                    },
                    lifetime_secs: svc.session_absolute.whole_seconds() as f64,
                },
                None => {
                    let me = caller().await?;
                    Claim::Checked(Caller {
                        user_id: me.user_id,
                        user_session_id: me.user_session_id,
                    })
                }
            },
        };
        let caller = claim.caller();
        let slug = if slug.len() > 100 { "" } else { slug };
        let (found, tx) = match scope.organisation(&svc.pool, claim, slug).await? {
            Entered::Member { found, tx } => (found, tx),
            Entered::NotMember => {
                note(caller.user_id, None);
                return Err(AppError::NotFound);
            }
            Entered::SignInEnded => {
                // Ended elsewhere or too old: the full check removes what is left of it.
                signed_in_session(&session().await?, &svc).await?;
                return Err(AppError::NotSignedIn);
            }
        };
        let me = Me {
            svc,
            user_id: caller.user_id,
            user_session_id: caller.user_session_id,
        };
        note(me.user_id, Some(found.org_id));
        if !found.verified {
            return Err(AppError::Unverified);
        }
        let role = Role::parse(&found.role).ok_or_else(|| {
            tracing::error!(role = %found.role, "unknown role in memberships");
            AppError::Internal
        })?;
        if found.require_two_factor && !found.has_two_factor {
            return Err(AppError::TwoFactorRequired);
        }
        let member = Member {
            svc: me.svc,
            user_id: me.user_id,
            user_session_id: me.user_session_id,
            org_id: found.org_id,
            slug: found.slug,
            org_name: found.name,
            role,
            require_two_factor: found.require_two_factor,
            data_version: found.data_version,
            billing: found.billing,
            zone: found.zone,
            org_zone: found.org_zone,
            meta: request_meta(),
            tx,
        };
        member.require(permission)?;
        Ok(member)
    }

    impl Member {
        /// `at` as the caller is shown it: in their zone, relative to now.
        pub fn moment(&self, at: time::OffsetDateTime) -> crate::domain::Moment {
            self.zone.moment(at)
        }

        /// The organisation's date today: an issue due before it is overdue.
        pub fn today(&self) -> time::Date {
            self.org_zone.today()
        }

        /// A further check inside a function, such as the Owner-only rule about Admins.
        pub fn require(&self, permission: Permission) -> Result<(), AppError> {
            if self.role.allows(permission) {
                Ok(())
            } else {
                Err(AppError::Forbidden(format!(
                    "Your role ({}) does not allow you to {}.",
                    self.role.label(),
                    permission.describe()
                )))
            }
        }

        /// Adds to the organisation's audit log, in this transaction.
        pub async fn audit(
            &mut self,
            action: AuditAction,
            target: Option<&str>,
            summary: &str,
        ) -> Result<(), AppError> {
            record_org_event(
                &mut self.tx,
                self.org_id,
                Some(self.user_id),
                action,
                target,
                summary,
                &self.meta,
            )
            .await
        }

        pub async fn commit(self) -> Result<(), AppError> {
            self.tx.commit().await
        }
    }

    #[cfg(test)]
    mod tests {
        use leptos::prelude::{provide_context, Owner};

        use super::*;
        use crate::auth::password::Hasher;

        #[tokio::test]
        async fn the_database_is_reached_only_through_a_declaration() {
            let services = AuthServices {
                pool: sqlx::PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap(),
                hasher: Hasher::new(1_000, 1),
                public_url: "http://127.0.0.1:3000".into(),
                dev_mailbox: false,
                session_absolute: time::Duration::hours(1),
                session_idle: time::Duration::hours(1),
                two_factor_key: crate::auth::two_factor::key::TwoFactorKey::generate(),
                kept: Default::default(),
                billing: crate::plans::BillingTerms {
                    stripe: false,
                    new_organisations: crate::plans::PlanId::Free,
                },
                enrichment: false,
                ai: false,
                inbound_domain: "in.example".into(),
                notification_email_secs: 180,
            };
            Owner::new().with(|| {
                provide_context(Provided::new(services));
                // What the server provides is sealed: nothing but this module can open it...
                assert!(use_context::<AuthServices>().is_none());
                assert!(use_context::<sqlx::PgPool>().is_none());
                // ...and declaring is how a function gets it.
                assert!(public().is_ok());
            });
        }
    }
}
