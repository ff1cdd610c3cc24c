//! The one mechanism that attaches an access check to every server function. Each function
//! declares, in its first line, what it needs of its caller:
//!
//! ```ignore
//! let svc = access::public()?;              // anyone (sign-up, sign-in, reading the session)
//! let me = access::signed_in().await?;     // a signed-in user
//! ```
//!
//! The server marks every server-function request as undeclared and refuses the response of a
//! function that never declared its access; a test calls every registered function to prove
//! each one does. Organisation permissions (the roles matrix in [`crate::roles`]) join here.

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };

    use http::request::Parts;
    use leptos::prelude::use_context;
    use uuid::Uuid;

    use crate::auth::{
        error::AuthError,
        ssr::{services, session, signed_in as signed_in_session, AuthServices},
    };

    /// Set on each server-function request by the server; flipped when the function declares
    /// its access.
    #[derive(Clone, Debug, Default)]
    pub struct AccessDeclared(Arc<AtomicBool>);

    impl AccessDeclared {
        pub fn was_declared(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn declare() {
        if let Some(flag) =
            use_context::<Parts>().and_then(|p| p.extensions.get::<AccessDeclared>().cloned())
        {
            flag.0.store(true, Ordering::SeqCst);
        }
    }

    /// Open to anyone.
    pub fn public() -> Result<AuthServices, AuthError> {
        declare();
        services()
    }

    /// The signed-in caller.
    pub struct Me {
        pub svc: AuthServices,
        pub user_id: Uuid,
        pub user_session_id: Uuid,
    }

    /// Only for a signed-in user; anyone else gets [`AuthError::NotSignedIn`].
    pub async fn signed_in() -> Result<Me, AuthError> {
        declare();
        let svc = services()?;
        let (user_id, user_session_id) = signed_in_session(&session().await?, &svc)
            .await?
            .ok_or(AuthError::NotSignedIn)?;
        Ok(Me {
            svc,
            user_id,
            user_session_id,
        })
    }
}
