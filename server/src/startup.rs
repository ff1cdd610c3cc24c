//! Building the application: the router with its layers, bound to a socket, ready to run until
//! asked to stop. `main` stays thin so tests start exactly this on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use app::{shell, site::SiteInfo, App};
use axum::{
    extract::{DefaultBodyLimit, FromRef},
    http::StatusCode,
    middleware,
    routing::{get, post},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{
        predicate::{NotForContentType, Predicate as _},
        CompressionLayer, CompressionLevel, DefaultPredicate,
    },
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use app::auth::{password::Hasher, services::AuthServices, CsrfToken};
use app::work::figures::KeptFigures;
use tower_sessions_sqlx_store::PostgresStore;

use crate::{
    access_guard, ai, billing, body_limit, cache_control, client_addr,
    config::Config,
    csrf::{self, CsrfPolicy},
    db, dev_tools, digest,
    drain::{self, Draining},
    email, enrichment, exports,
    headers::{security_headers, CspNonce, HeaderPolicy},
    health, inbound, jobs, notifications, places, public_pages, replies, retention, serve,
    sessions, site_files, telemetry, tls,
};

/// Brotli quality 4 (gzip level 4): about gzip's default ratio at a fraction of brotli's default
/// cost.
const DYNAMIC_COMPRESSION: i32 = 4;

/// The first retry of an enrichment Google could not answer; each next one waits twice as long.
const ENRICHMENT_RETRY: Duration = Duration::from_secs(60);

/// Password hashes computed at once; more wait their turn rather than starve other requests.
const HASHING_CONCURRENCY: usize = 2;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub site: SiteInfo,
    pub leptos_options: LeptosOptions,
    pub draining: Draining,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database pool: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("refusing to serve: {0}")]
    UnsafeRole(#[from] db::UnsafeRole),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

pub struct Application {
    listener: std::net::TcpListener,
    local_addr: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    stop: serve::Stop,
    draining: Draining,
    jobs: Option<jobs::Runner>,
}

impl Application {
    /// Connects to the database, applies migrations and binds the socket; serving starts with
    /// [`Application::run_until`].
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let config = config.with_server_key();
        let pool = db::pool(&config.database)?;
        db::migrate(&config.database).await?;
        // Refuse at once to serve as a role that could read every tenant's rows. A database
        // that does not answer yet is no reason to refuse: the pool checks each connection.
        db::check_role_at_startup(&config.database).await?;
        if config.untrusted_proxy_likely() {
            tracing::warn!(
                "OPS_PUBLIC_URL is https:// and this server does not terminate TLS, so a proxy is \
                 in front, but OPS_TRUSTED_PROXIES is empty: every client will have the proxy's \
                 address in the audit logs and share its per-address limits"
            );
        }
        let session_store = sessions::store(&pool);
        sessions::spawn_cleanup(session_store.clone());
        // One TLS provider for the whole process: rustls for inbound, reqwest for outbound.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let jobs = config
            .jobs
            .in_serve
            .then(|| job_runner(&config, pool.clone()));

        let listener =
            std::net::TcpListener::bind(config.bind).map_err(|source| StartupError::Bind {
                addr: config.bind,
                source,
            })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| StartupError::Bind {
                addr: config.bind,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.bind,
            source,
        })?;
        let tls = match &config.tls {
            Some(files) => Some(tls::server_config(files)?),
            None => None,
        };
        let stop = serve::Stop {
            drain: config.shutdown_drain,
            grace: config.shutdown_grace,
        };
        let draining = Draining::default();
        let router = router(config, pool, session_store, draining.clone());
        Ok(Self {
            listener,
            local_addr,
            tls,
            router,
            stop,
            draining,
            jobs,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then drains for the configured time and stops
    /// without dropping a request (see `serve`).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        // The job worker stops claiming at the signal, while the server drains.
        let stopping = CancellationToken::new();
        let worker = self
            .jobs
            .map(|runner| tokio::spawn(runner.run(stopping.clone())));
        let signal = {
            let stopping = stopping.clone();
            async move {
                shutdown.await;
                stopping.cancel();
            }
        };
        let served = serve::serve(
            self.listener,
            self.tls,
            self.router,
            self.draining,
            self.stop,
            signal,
        )
        .await;
        stopping.cancel();
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        served.map_err(StartupError::Serve)
    }
}

/// The key [`Config::with_server_key`] made sure of.
fn server_key(config: &Config) -> app::auth::two_factor::key::TwoFactorKey {
    config
        .two_factor_key
        .clone()
        .unwrap_or_else(app::auth::two_factor::key::TwoFactorKey::generate)
}

/// The job worker with every kind of job this configuration can run: `serve` runs one unless
/// told not to, and `server worker` runs one alone.
pub fn job_runner(config: &Config, pool: PgPool) -> jobs::Runner {
    let public_url = config.public_url.as_str().trim_end_matches('/').to_string();
    let mut kinds = vec![
        notifications::email_kind(public_url.clone(), server_key(config)),
        notifications::overdue_kind(config.notification_email_secs),
        digest::weekly_kind(),
        digest::send_kind(
            public_url.clone(),
            config.anthropic.clone().map(ai::client::Anthropic::new),
        ),
        jobs::admin::prune_kind(),
        retention::expire_kind(config.retention),
        exports::build_kind(public_url),
        exports::expire_kind(),
    ];
    if let Some(sendgrid) = &config.sendgrid {
        // With the development mailbox, the outbox's emails stay there to be read instead.
        if !config.dev_mailbox() {
            kinds.push(email::send_kind(
                email::SendGrid::new(sendgrid.clone()),
                config.email_retry_base,
            ));
        }
        kinds.push(replies::send_reply_kind(
            email::SendGrid::new(sendgrid.clone()),
            config.inbound.domain.clone(),
            config.email_retry_base,
        ));
    }
    // Without a key, enrichment is not configured and no job of it is queued.
    if let Some(places) = &config.places {
        kinds.push(enrichment::enrich_kind(
            places::Places::new(places.clone()),
            ENRICHMENT_RETRY,
        ));
        kinds.push(enrichment::refresh_kind());
    }
    // Without a key, AI is not configured and no job of it is queued.
    if let Some(anthropic) = &config.anthropic {
        kinds.extend(ai::kinds(
            ai::client::Anthropic::new(anthropic.clone()),
            config.ai_retry_base,
        ));
    }
    // Without Stripe, billing is not configured and no job of it is queued.
    if let Some(stripe) = &config.billing.stripe {
        kinds.extend(billing::kinds(
            billing::client::Stripe::new(stripe.clone()),
            billing::events::Applying {
                grace_days: config.billing.grace_days,
                public_url: config.public_url.as_str().to_string(),
            },
        ));
    }
    const DAY: Duration = Duration::from_secs(86_400);
    let at_hour =
        |hour| time::macros::datetime!(2026-01-01 00:00 UTC) + time::Duration::hours(hour);
    let mut schedules = vec![
        jobs::Schedule::new::<jobs::admin::Prune>("jobs.prune", at_hour(3), DAY),
        jobs::Schedule::new::<retention::Expire>("retention.expire", at_hour(2), DAY),
        // Days end at every quarter hour somewhere (Kathmandu is UTC+05:45).
        jobs::Schedule::new::<notifications::Overdue>(
            "notifications.overdue",
            at_hour(0),
            Duration::from_secs(900),
        ),
        jobs::Schedule::new::<digest::Weekly>(
            "digest.weekly",
            at_hour(0),
            Duration::from_secs(3600),
        ),
    ];
    if config.places.is_some() {
        schedules.push(jobs::Schedule::new::<enrichment::Refresh>(
            "enrichment.refresh",
            at_hour(4),
            DAY,
        ));
    }
    let settings = jobs::Settings {
        poll: config.jobs.poll,
        lease: config.jobs.lease,
        grace: config.shutdown_grace,
    };
    jobs::Runner::new(pool, kinds, schedules, settings)
}

fn router(
    config: Config,
    pool: PgPool,
    session_store: PostgresStore,
    draining: Draining,
) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("ops_intel")
        .site_root(config.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .build();
    let header_policy = HeaderPolicy {
        hsts: config.sends_hsts(),
    };
    let (timeout, max_body) = (config.request_timeout, config.max_body_bytes);
    let site = config.site_info();
    let auth = AuthServices {
        pool: pool.clone(),
        hasher: Hasher::new(config.password_iterations, HASHING_CONCURRENCY),
        public_url: site.public_url.clone(),
        dev_mailbox: config.dev_mailbox(),
        session_absolute: config.session_absolute,
        session_idle: config.session_idle,
        two_factor_key: server_key(&config),
        kept: if config.keep_figures {
            KeptFigures::default()
        } else {
            KeptFigures::none()
        },
        billing: config.billing.terms(),
        enrichment: config.places.is_some(),
        ai: config.anthropic.is_some(),
        inbound_domain: config.inbound.domain.clone(),
        notification_email_secs: config.notification_email_secs,
    };
    let csrf_policy = CsrfPolicy {
        origin: config.origin(),
        max_body_bytes: max_body,
        // Each webhook is a `SignedRoute`, which cannot be made without the check of its
        // sender's signature. Without the Inbound Parse policy's key, inbound mail is refused.
        signed_routes: config
            .inbound
            .key
            .clone()
            .map(|key| {
                csrf::SignedRoute::new(inbound::PATH, inbound::signature::SignedInbound(key))
                    .with_body_limit(inbound::MAX_REQUEST_BYTES)
            })
            .into_iter()
            .chain(config.billing.stripe.as_ref().map(|stripe| {
                csrf::SignedRoute::new(
                    billing::webhook::PATH,
                    billing::signature::SignedByStripe(stripe.webhook_secret.clone()),
                )
                .with_body_limit(billing::webhook::MAX_REQUEST_BYTES)
                .refused_with(StatusCode::BAD_REQUEST)
            }))
            .collect(),
    };
    // Every request but the webhooks' is at most `max_body`; each webhook states its own.
    let body_limits = body_limit::BodyLimits {
        default_bytes: max_body,
        routes: Arc::new([
            (inbound::PATH, inbound::MAX_REQUEST_BYTES),
            (billing::webhook::PATH, billing::webhook::MAX_REQUEST_BYTES),
        ]),
    };
    let proxy_policy = Arc::new(config.proxy.clone());
    let dev_tools_enabled = config.dev_mailbox();
    let session_layer = sessions::layer(session_store, &config);
    let state = AppState {
        config: Arc::new(config),
        pool,
        site: site.clone(),
        leptos_options,
        draining: draining.clone(),
    };

    // What every page render and server function knows: the site's public facts, the account
    // services, this request's scope, and its CSP nonce and CSRF token.
    let who_auth = auth.clone();
    let page_context = move || {
        provide_context(site.clone());
        provide_context(app::access::Provided::new(auth.clone()));
        // What this request learns of its caller, shared by every function it runs.
        provide_context(app::access::RequestScope::default());
        if let Some(parts) = use_context::<axum::http::request::Parts>() {
            if let Some(nonce) = parts.extensions.get::<CspNonce>() {
                provide_context(leptos::nonce::Nonce::from_value(nonce.as_str()));
            }
            if let Some(token) = parts.extensions.get::<CsrfToken>() {
                provide_context(token.clone());
            }
        }
    };
    let routes = generate_route_list(App);

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/.well-known/security.txt",
            get(site_files::security_txt_handler),
        )
        .route("/robots.txt", get(site_files::robots_txt))
        .route("/sitemap.xml", get(site_files::sitemap_xml))
        .route(
            app::auth::WHO_PATH,
            get(move |session| sessions::who(who_auth.clone(), session)),
        )
        .route(
            &format!("{}{{token}}", app::org::export::DOWNLOAD_PATH),
            get(exports::download),
        )
        .leptos_routes_with_context(&state, routes, page_context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, shell))
        .route(
            inbound::PATH,
            post(inbound::receive).layer(DefaultBodyLimit::max(inbound::MAX_REQUEST_BYTES)),
        )
        .route(billing::webhook::PATH, post(billing::webhook::receive))
        // Each call wraps everything above it, so the last layer is the outermost: ids and logging
        // see everything, and the security headers go on every response, including those for
        // timeouts, oversized bodies and panics.
        .layer(middleware::from_fn_with_state(
            Some(state.pool.clone()),
            access_guard::require_declared_access,
        ))
        .layer(middleware::from_fn_with_state(csrf_policy, csrf::protect))
        .layer(session_layer)
        .layer(middleware::from_fn_with_state(
            dev_tools_enabled,
            dev_tools::only_when_enabled_and_local,
        ))
        .layer(middleware::from_fn_with_state(
            body_limits,
            body_limit::limit_bodies,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(CatchPanicLayer::new())
        // Dynamic answers are compressed as they go out at a fast setting: brotli's default
        // (quality 11) costs more CPU per page than the bytes it saves are worth. The public
        // pages are compressed at the best setting, once (`public_pages`).
        // An export's ZIP is compressed already.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(DYNAMIC_COMPRESSION))
                .compress_when(
                    DefaultPredicate::new().and(NotForContentType::const_new("application/zip")),
                ),
        )
        // The public pages, rendered once and served from memory (already compressed).
        .layer(middleware::from_fn_with_state(
            public_pages::PublicPages::default(),
            public_pages::serve,
        ))
        .layer(middleware::from_fn(cache_control::cache_control))
        .layer(middleware::from_fn_with_state(
            header_policy,
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            draining,
            drain::close_connections,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        // Who is asking, by address, resolved once for everything inside.
        .layer(middleware::from_fn_with_state(
            proxy_policy,
            client_addr::resolve_client_addr,
        ))
        .layer(middleware::from_fn(telemetry::keep_request_span))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // Every response is logged with its status above; server functions answer
                // expected failures (a wrong password) with 500, which is no server failure.
                .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
