//! Configuration: read from environment variables once at start-up, parsed into types, and
//! validated as a whole so one run reports every problem at once.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;
use time::{format_description::well_known::Rfc3339, Date, OffsetDateTime};
use url::Url;

use crate::client_addr::{ForwardedHeader, ProxyPolicy, TrustedProxies};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    pub bind: SocketAddr,
    /// The origin users reach the site at: canonical links, security.txt and HSTS follow it.
    pub public_url: Url,
    pub database: DatabaseConfig,
    pub tls: Option<TlsFiles>,
    pub security: SecurityContact,
    pub log_format: LogFormat,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub shutdown_grace: Duration,
    /// How long a stopping server keeps serving, with `Connection: close` on every answer,
    /// before it stops accepting connections (see `drain`).
    pub shutdown_drain: Duration,
    /// Where cargo-leptos put the compiled site (WASM, JS, CSS and public assets).
    pub site_root: PathBuf,
    /// A session ends after this long without a request...
    pub session_idle: time::Duration,
    /// ...and after this long in any case.
    pub session_absolute: time::Duration,
    /// PBKDF2 iterations for new hashes: Django's current default or more.
    pub password_iterations: u32,
    /// Outbound email through SendGrid; without it, development keeps emails for /dev/mailbox.
    pub sendgrid: Option<SendGridConfig>,
    /// The first retry of a failed email waits this long; each next one twice as long.
    pub email_retry_base: Duration,
    /// Google's Places API, for enriching businesses (`OPS_GOOGLE_MAPS_API_KEY`); without it,
    /// enrichment is not configured.
    pub places: Option<crate::places::PlacesConfig>,
    /// Plans bought through Stripe, the default plan and the grace period after a failed
    /// payment.
    pub billing: BillingConfig,
    /// How long conversations, audit entries and the AI record are kept
    /// (`OPS_RETAIN_INBOX_DAYS`, `OPS_RETAIN_AUDIT_DAYS`, `OPS_RETAIN_AI_DAYS`).
    pub retention: app::site::Retention,
    /// Anthropic's Messages API, for AI triage and drafts (`ANTHROPIC_API_KEY`); without it,
    /// AI is not configured.
    pub anthropic: Option<crate::ai::client::AnthropicConfig>,
    /// A triage's first retry while the AI service is busy or down (`OPS_AI_RETRY_SECS`); each
    /// next one waits twice as long.
    pub ai_retry_base: Duration,
    /// Development only: the outside services are the local stand-ins (`server::standins`),
    /// started with the server (`OPS_STANDINS`).
    pub standins: bool,
    /// The inbox's receiving side: SendGrid Inbound Parse posts mail to the organisations'
    /// addresses on `domain` to `/webhooks/sendgrid/inbound`.
    pub inbound: InboundConfig,
    /// The background job worker: how it polls and leases, and whether `serve` runs one.
    pub jobs: JobsConfig,
    /// Development only, and only when asked for: the page that shows every email the app
    /// would have sent (`OPS_DEV_MAILBOX`).
    pub dev_mailbox: bool,
    /// Whether figures computed from an organisation's data are kept while it stands still
    /// (`OPS_KEEP_FIGURES`, on unless set to 0): off only to measure computing them.
    pub keep_figures: bool,
    /// Notifications made within this many seconds share one email
    /// (`OPS_NOTIFICATION_EMAIL_SECS`, 180 by default).
    pub notification_email_secs: i64,
    /// Which peers are proxies whose forwarding header names the client, and which header.
    pub proxy: ProxyPolicy,
    /// Encrypts two-factor secrets at rest (`OPS_TOTP_KEY`). Without it, development uses a
    /// key made at start-up, and two-factor set up under it stops working at the next restart.
    pub two_factor_key: Option<app::auth::two_factor::key::TwoFactorKey>,
}

#[derive(Clone, Copy, Debug)]
pub struct JobsConfig {
    /// An idle worker looks for due jobs this often (`OPS_JOBS_POLL_MS`).
    pub poll: Duration,
    /// A worker that dies loses its jobs to others after this long (`OPS_JOBS_LEASE_SECS`).
    pub lease: Duration,
    /// Whether `server serve` runs a worker too (`OPS_JOBS_IN_SERVE`, on by default); operators
    /// who run `server worker` apart turn it off.
    pub in_serve: bool,
}

#[derive(Clone, Debug)]
pub struct InboundConfig {
    /// The receiving domain, whose MX points at SendGrid (`OPS_INBOUND_DOMAIN`).
    pub domain: String,
    /// The public key of the Inbound Parse security policy (`OPS_SENDGRID_INBOUND_KEY`, base64
    /// DER). Without it the webhook accepts nothing.
    pub key: Option<crate::inbound::signature::InboundKey>,
    /// The bytes of attachments each organisation may keep (`OPS_ATTACHMENT_ALLOWANCE_MB`).
    pub attachment_allowance: i64,
}

#[derive(Clone, Debug)]
pub struct BillingConfig {
    /// Stripe (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` and the plans' Price IDs, all or
    /// none); without it, billing is not configured and every organisation is on the default plan.
    pub stripe: Option<crate::billing::client::StripeConfig>,
    /// The plan new organisations start on (`OPS_DEFAULT_PLAN`: Free in production, Business
    /// in development so the demo and local work are not limited); without billing, every
    /// organisation stays on the plan it started on.
    pub default_plan: app::plans::PlanId,
    /// Days a plan holds after a failed payment (`OPS_BILLING_GRACE_DAYS`, 14).
    pub grace_days: u32,
}

impl BillingConfig {
    /// What the account services need to know of billing.
    pub fn terms(&self) -> app::plans::BillingTerms {
        app::plans::BillingTerms {
            stripe: self.stripe.is_some(),
            new_organisations: self.default_plan,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SendGridConfig {
    pub api_key: SecretString,
    pub base_url: Url,
    /// The sender address, such as `no-reply@ops.example`.
    pub from: String,
}

#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// The application's connection: a role that owns nothing and cannot bypass row-level
    /// security. May carry a password, so it never prints.
    pub url: SecretString,
    /// The owner's connection, for migrations only. Without it the server applies none and
    /// `/readyz` reports any that are pending.
    pub migration_url: Option<SecretString>,
    pub max_connections: u32,
    /// How long a request waits for a free connection before it is answered 503.
    pub acquire_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct SecurityContact {
    /// An email address for vulnerability reports.
    pub email: String,
    /// When the security page and policy were last reviewed.
    pub updated: Date,
    /// A fixed expiry for security.txt; when unset it is always six months ahead.
    pub txt_expires: Option<OffsetDateTime>,
}

impl SecurityContact {
    pub fn txt_expires_at(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.txt_expires
            .unwrap_or_else(|| now.date().midnight().assume_utc() + time::Duration::days(182))
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required in production but is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(
        "OPS_ENV is not set, so production rules apply: the server listens beyond this machine \
         or has a public URL (set OPS_ENV=development to develop)"
    )]
    ProductionAssumed,
}

/// Every problem found in one reading of the environment.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration:")?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

fn parse_postgres_url(v: &str) -> Result<SecretString, String> {
    let url = Url::parse(v).map_err(|_| "expected a postgres:// URL".to_string())?;
    match url.scheme() {
        "postgres" | "postgresql" => Ok(SecretString::from(v.to_string())),
        _ => Err("expected a postgres:// URL".into()),
    }
}

impl Config {
    /// The server's key, made for this run when none is configured (development only:
    /// production refuses to start without `OPS_TOTP_KEY`), so everything in the process signs
    /// and checks with the same one.
    pub fn with_server_key(mut self) -> Self {
        if self.two_factor_key.is_none() {
            tracing::warn!(
                "OPS_TOTP_KEY is not set: two-factor secrets and signed links use a key made for                  this run only, and stop working when the server restarts"
            );
            self.two_factor_key = Some(app::auth::two_factor::key::TwoFactorKey::generate());
        }
        self
    }

    pub fn from_env() -> Result<Self, ConfigErrors> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let mut r = Reader {
            lookup: &lookup,
            errors: Vec::new(),
            production: false,
        };
        let chosen = r.parse("OPS_ENV", |v| match v {
            "development" => Ok(Environment::Development),
            "production" => Ok(Environment::Production),
            _ => Err("expected `development` or `production`".into()),
        });
        // Fail closed: an unreadable choice is checked as production, and no choice is
        // development only where nobody else can reach the server.
        let environment = match chosen {
            Some(Some(environment)) => environment,
            Some(None) => Environment::Production,
            None => unchosen_environment(&lookup),
        };
        let prod = environment == Environment::Production;
        r.production = prod;

        let bind = r.value("OPS_BIND", "127.0.0.1:3000", |v| {
            v.parse::<SocketAddr>()
                .map_err(|_| "expected an address such as 127.0.0.1:3000".into())
        });
        let public_url =
            r.required_in_prod("OPS_PUBLIC_URL", "http://127.0.0.1:3000", parse_origin);
        let database_url = r.required("DATABASE_URL", parse_postgres_url);
        let migration_url = r.optional("OPS_MIGRATION_DATABASE_URL", parse_postgres_url);
        let max_connections = r.value("OPS_DB_MAX_CONNECTIONS", "10", |v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| "expected a whole number from 1 to 1000".into())
        });
        let acquire_timeout = r.value("OPS_DB_ACQUIRE_TIMEOUT_SECS", "5", seconds);
        let cert = r.optional("OPS_TLS_CERT_FILE", |v| Ok(PathBuf::from(v)));
        let key = r.optional("OPS_TLS_KEY_FILE", |v| Ok(PathBuf::from(v)));
        let tls = match (cert, key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => r.invalid("OPS_TLS_KEY_FILE", "must be set with OPS_TLS_CERT_FILE"),
            (None, Some(_)) => r.invalid("OPS_TLS_CERT_FILE", "must be set with OPS_TLS_KEY_FILE"),
        };
        let email = r.required_in_prod("OPS_SECURITY_CONTACT", "security@localhost", |v| {
            let ok = v.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && !d.is_empty() && !v.contains(char::is_whitespace)
            });
            if ok {
                Ok(v.to_string())
            } else {
                Err("expected an email address".into())
            }
        });
        let updated = r.required_in_prod("OPS_SECURITY_UPDATED", "2026-11-29", |v| {
            Date::parse(
                v,
                &time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| "expected a date such as 2026-11-01".into())
        });
        let txt_expires = r.optional("OPS_SECURITY_TXT_EXPIRES", |v| {
            let at = OffsetDateTime::parse(v, &Rfc3339).map_err(|_| {
                "expected an RFC 3339 time such as 2027-05-01T00:00:00Z".to_string()
            })?;
            if at <= OffsetDateTime::now_utc() {
                return Err("is in the past; security.txt must not be stale".into());
            }
            Ok(at)
        });
        let log_format = r.value(
            "OPS_LOG_FORMAT",
            if prod { "json" } else { "text" },
            |v| match v {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("expected `text` or `json`".into()),
            },
        );
        let request_timeout = r.value("OPS_REQUEST_TIMEOUT_SECS", "30", seconds);
        let shutdown_grace = r.value("OPS_SHUTDOWN_GRACE_SECS", "30", seconds);
        // A proxy in front needs a moment to move off this instance; alone in development, no.
        let drain_default = if r.production { "5" } else { "0" };
        let shutdown_drain = r.value("OPS_SHUTDOWN_DRAIN_SECS", drain_default, |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n <= 300)
                .map(Duration::from_secs)
                .ok_or_else(|| "expected a whole number of seconds from 0 to 300".into())
        });
        let max_body_bytes = r.value("OPS_MAX_BODY_BYTES", "2097152", |v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1024..=100 * 1024 * 1024).contains(n))
                .ok_or_else(|| "expected a byte count from 1024 to 104857600".into())
        });
        let site_root = r.value("OPS_SITE_ROOT", "target/site", |v| Ok(PathBuf::from(v)));
        let session_idle = r.value("OPS_SESSION_IDLE_HOURS", "336", |v| {
            hours_between(v, 1, 24 * 90)
        });
        let session_absolute = r.value("OPS_SESSION_MAX_HOURS", "720", |v| {
            hours_between(v, 1, 24 * 365)
        });
        let password_iterations = r.value("OPS_PASSWORD_ITERATIONS", "1000000", |v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n >= 1_000_000)
                .ok_or_else(|| {
                    "expected a whole number of at least 1000000 (Django 5.2's default)".into()
                })
        });
        let sendgrid_key = if prod {
            r.required("SENDGRID_API_KEY", |v| {
                Ok(SecretString::from(v.to_string()))
            })
        } else {
            r.optional("SENDGRID_API_KEY", |v| {
                Ok(SecretString::from(v.to_string()))
            })
        };
        let sendgrid_url = r.value("OPS_SENDGRID_BASE_URL", "https://api.sendgrid.com", |v| {
            Url::parse(v).map_err(|_| "expected an absolute URL".to_string())
        });
        let email_from = r.optional("OPS_EMAIL_FROM", |v| {
            if v.contains('@') && !v.contains(char::is_whitespace) {
                Ok(v.to_string())
            } else {
                Err("expected an email address".into())
            }
        });
        let sendgrid = match (sendgrid_key, email_from) {
            (Some(api_key), Some(from)) => sendgrid_url.map(|base_url| SendGridConfig {
                api_key,
                base_url,
                from,
            }),
            (Some(_), None) => r.invalid("OPS_EMAIL_FROM", "must be set with SENDGRID_API_KEY"),
            (None, _) => None,
        };
        let email_retry_base = r.value("OPS_EMAIL_RETRY_SECS", "30", seconds);
        let places_key = r.optional("OPS_GOOGLE_MAPS_API_KEY", |v| {
            Ok(SecretString::from(v.to_string()))
        });
        let places_url = r.value(
            "OPS_PLACES_BASE_URL",
            "https://places.googleapis.com",
            |v| Url::parse(v).map_err(|_| "expected an absolute URL".to_string()),
        );
        let places = places_key.and_then(|api_key| {
            places_url
                .clone()
                .map(|base_url| crate::places::PlacesConfig {
                    api_key,
                    base_url,
                    region: "GB".into(),
                    timeout: Duration::from_secs(10),
                })
        });
        let anthropic_key = r.optional("ANTHROPIC_API_KEY", |v| {
            Ok(SecretString::from(v.to_string()))
        });
        let anthropic_url = r.value("OPS_ANTHROPIC_BASE_URL", "https://api.anthropic.com", |v| {
            Url::parse(v).map_err(|_| "expected an absolute URL".to_string())
        });
        let model = |v: &str| {
            let v = v.trim();
            if !v.is_empty()
                && v.len() <= 100
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._@:".contains(c))
            {
                Ok(v.to_string())
            } else {
                Err("expected a model name such as claude-haiku-4-5".to_string())
            }
        };
        let triage_model = r.value("OPS_AI_TRIAGE_MODEL", "claude-haiku-4-5", model);
        let draft_model = r.value("OPS_AI_DRAFT_MODEL", "claude-sonnet-4-5", model);
        let anthropic = anthropic_key.and_then(|api_key| {
            Some(crate::ai::client::AnthropicConfig {
                api_key,
                base_url: anthropic_url.clone()?,
                triage_model: triage_model.clone()?,
                draft_model: draft_model.clone()?,
                timeout: Duration::from_secs(60),
            })
        });
        let ai_retry_base = r.value("OPS_AI_RETRY_SECS", "30", seconds);
        let billing = read_billing(&mut r, prod);
        let retain_days = |v: &str| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=36_500).contains(n))
                .ok_or_else(|| "expected a whole number of days from 1 to 36500".to_string())
        };
        let kept = app::site::Retention::default();
        let retain_inbox = r.value(
            "OPS_RETAIN_INBOX_DAYS",
            &kept.inbox_days.to_string(),
            retain_days,
        );
        let retain_audit = r.value(
            "OPS_RETAIN_AUDIT_DAYS",
            &kept.audit_days.to_string(),
            retain_days,
        );
        let retain_ai = r.value("OPS_RETAIN_AI_DAYS", &kept.ai_days.to_string(), retain_days);
        let inbound_domain = r.required_in_prod("OPS_INBOUND_DOMAIN", "in.localhost", |v| {
            let v = v.trim().to_ascii_lowercase();
            let valid = v.contains('.')
                && v.len() <= 200
                && v.split('.').all(|label| {
                    !label.is_empty()
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if valid {
                Ok(v)
            } else {
                Err("expected a domain name, such as in.ops.example".into())
            }
        });
        let inbound_key = r.optional("OPS_SENDGRID_INBOUND_KEY", |v| {
            crate::inbound::signature::InboundKey::from_base64(v)
        });
        let attachment_allowance = r.value("OPS_ATTACHMENT_ALLOWANCE_MB", "1024", |v| {
            v.parse::<i64>()
                .ok()
                .filter(|n| (0..=1_000_000).contains(n))
                .map(|mb| mb * 1024 * 1024)
                .ok_or_else(|| "expected a whole number of megabytes from 0 to 1000000".into())
        });
        let standins = r.value("OPS_STANDINS", "0", on_off).unwrap_or(false);
        if prod && standins {
            r.invalid::<()>(
                "OPS_STANDINS",
                "is for development only: the stand-ins pretend to be Google and the rest",
            );
        }
        let jobs_poll = r.value("OPS_JOBS_POLL_MS", "50", |v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| (10..=60_000).contains(n))
                .map(Duration::from_millis)
                .ok_or_else(|| "expected a whole number of milliseconds from 10 to 60000".into())
        });
        let jobs_lease = r.value("OPS_JOBS_LEASE_SECS", "60", seconds);
        let jobs_in_serve = r.value("OPS_JOBS_IN_SERVE", "1", on_off);
        let parse_key = app::auth::two_factor::key::TwoFactorKey::from_base64;
        let two_factor_key = if prod {
            r.required("OPS_TOTP_KEY", parse_key)
        } else {
            r.optional("OPS_TOTP_KEY", parse_key)
        };
        if prod && public_url.as_ref().is_some_and(|u| u.scheme() != "https") {
            r.invalid::<()>("OPS_PUBLIC_URL", "must be https:// in production");
        }
        let dev_mailbox = r.value("OPS_DEV_MAILBOX", "0", on_off).unwrap_or(false);
        let keep_figures = r.value("OPS_KEEP_FIGURES", "1", on_off).unwrap_or(true);
        let notification_email_secs = r
            .value("OPS_NOTIFICATION_EMAIL_SECS", "180", |v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (1..=86_400).contains(n))
                    .ok_or_else(|| "expected a whole number of seconds from 1 to 86400".into())
            })
            .unwrap_or(180);
        if prod && dev_mailbox {
            r.invalid::<()>(
                "OPS_DEV_MAILBOX",
                "is for development only: the mailbox shows every email, reset links included",
            );
        }
        let trusted_proxies = r.value("OPS_TRUSTED_PROXIES", "", TrustedProxies::parse);
        let proxy_header = r.value(
            "OPS_PROXY_HEADER",
            "x-forwarded-for",
            ForwardedHeader::parse,
        );

        if !r.errors.is_empty() {
            if chosen.is_none() && prod {
                r.errors.insert(0, ConfigError::ProductionAssumed);
            }
            return Err(ConfigErrors(r.errors));
        }
        // Every field parsed, or an error was recorded above and we returned.
        Ok(Config {
            environment,
            bind: bind.expect("parsed"),
            public_url: public_url.expect("parsed"),
            database: DatabaseConfig {
                url: database_url.expect("parsed"),
                migration_url,
                max_connections: max_connections.expect("parsed"),
                acquire_timeout: acquire_timeout.expect("parsed"),
            },
            tls,
            security: SecurityContact {
                email: email.expect("parsed"),
                updated: updated.expect("parsed"),
                txt_expires,
            },
            log_format: log_format.expect("parsed"),
            request_timeout: request_timeout.expect("parsed"),
            max_body_bytes: max_body_bytes.expect("parsed"),
            shutdown_grace: shutdown_grace.expect("parsed"),
            shutdown_drain: shutdown_drain.expect("parsed"),
            site_root: site_root.expect("parsed"),
            session_idle: session_idle.expect("parsed"),
            session_absolute: session_absolute.expect("parsed"),
            password_iterations: password_iterations.expect("parsed"),
            sendgrid,
            email_retry_base: email_retry_base.expect("parsed"),
            places,
            billing: billing.expect("parsed"),
            retention: app::site::Retention {
                inbox_days: retain_inbox.expect("parsed"),
                audit_days: retain_audit.expect("parsed"),
                ai_days: retain_ai.expect("parsed"),
            },
            anthropic,
            ai_retry_base: ai_retry_base.expect("parsed"),
            standins,
            inbound: InboundConfig {
                domain: inbound_domain.expect("parsed"),
                key: inbound_key,
                attachment_allowance: attachment_allowance.expect("parsed"),
            },
            jobs: JobsConfig {
                poll: jobs_poll.expect("parsed"),
                lease: jobs_lease.expect("parsed"),
                in_serve: jobs_in_serve.expect("parsed"),
            },
            dev_mailbox,
            keep_figures,
            notification_email_secs,
            proxy: ProxyPolicy {
                trusted: trusted_proxies.expect("parsed"),
                header: proxy_header.expect("parsed"),
            },
            two_factor_key,
        })
    }

    /// Browsers are told to insist on HTTPS whenever users reach us over it, whether we terminate
    /// TLS ourselves or a proxy in front does.
    pub fn sends_hsts(&self) -> bool {
        self.tls.is_some() || self.public_url.scheme() == "https"
    }

    /// Cookies are `Secure` except when developing over plain HTTP on this machine.
    pub fn secure_cookies(&self) -> bool {
        let local_http = self.public_url.scheme() == "http"
            && matches!(
                self.public_url.host_str(),
                Some("localhost" | "127.0.0.1" | "[::1]")
            );
        self.environment == Environment::Production || !local_http
    }

    /// The mailbox page shows every email the app would have sent: in development, and only
    /// when switched on.
    pub fn dev_mailbox(&self) -> bool {
        self.environment == Environment::Development && self.dev_mailbox
    }

    /// Users reach us over HTTPS that we do not terminate, so a proxy is in front; unless it is
    /// trusted, every client appears with its address.
    pub fn untrusted_proxy_likely(&self) -> bool {
        self.tls.is_none() && self.public_url.scheme() == "https" && self.proxy.trusted.is_empty()
    }

    /// The origin browsers send in the Origin header, such as `https://ops.example`.
    pub fn origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// The facts public pages print.
    pub fn site_info(&self) -> app::site::SiteInfo {
        app::site::SiteInfo {
            public_url: self.public_url.as_str().trim_end_matches('/').to_string(),
            security_contact: self.security.email.clone(),
            security_updated: self.security.updated.to_string(),
            retention: self.retention,
        }
    }
}

/// Without `OPS_ENV`: development only when the server listens on a loopback address and has no
/// public URL, where nobody but this machine can reach it; production otherwise, so a deployment
/// that forgot to say gets production's checks rather than development's open doors.
fn unchosen_environment(lookup: &dyn Fn(&str) -> Option<String>) -> Environment {
    let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let loopback_bind = set("OPS_BIND").is_none_or(|v| {
        v.trim()
            .parse::<SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback())
    });
    if loopback_bind && set("OPS_PUBLIC_URL").is_none() {
        Environment::Development
    } else {
        Environment::Production
    }
}

fn parse_origin(v: &str) -> Result<Url, String> {
    let url = Url::parse(v)
        .map_err(|_| "expected an absolute URL such as https://ops.example".to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err("expected an origin only, without a path, query or fragment".into());
    }
    Ok(url)
}

fn hours_between(v: &str, min: i64, max: i64) -> Result<time::Duration, String> {
    v.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .map(time::Duration::hours)
        .ok_or_else(|| format!("expected a whole number of hours from {min} to {max}"))
}

fn on_off(v: &str) -> Result<bool, String> {
    match v {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err("expected 1 (on) or 0 (off)".into()),
    }
}

fn seconds(v: &str) -> Result<Duration, String> {
    v.parse::<u64>()
        .ok()
        .filter(|n| (1..=3600).contains(n))
        .map(Duration::from_secs)
        .ok_or_else(|| "expected a whole number of seconds from 1 to 3600".into())
}

/// Billing: Stripe's four settings (all or none), the default plan and the grace period.
fn read_billing(r: &mut Reader<'_>, prod: bool) -> Option<BillingConfig> {
    use app::plans::PlanId;
    let secret_key = r.optional("STRIPE_SECRET_KEY", |v| {
        if v.starts_with("sk_") || v.starts_with("rk_") {
            Ok(SecretString::from(v.to_string()))
        } else {
            Err("expected a Stripe secret or restricted key (sk_… or rk_…)".into())
        }
    });
    let webhook_secret = r.optional("STRIPE_WEBHOOK_SECRET", |v| {
        if v.starts_with("whsec_") {
            Ok(SecretString::from(v.to_string()))
        } else {
            Err("expected the webhook endpoint's signing secret (whsec_…)".into())
        }
    });
    let price = |v: &str| {
        if v.starts_with("price_")
            && v.len() <= 100
            && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            Ok(v.to_string())
        } else {
            Err("expected a Stripe Price ID (price_…)".to_string())
        }
    };
    let team = r.optional("STRIPE_PRICE_TEAM", price);
    let business = r.optional("STRIPE_PRICE_BUSINESS", price);
    let base_url = r.value("OPS_STRIPE_BASE_URL", "https://api.stripe.com", |v| {
        Url::parse(v).map_err(|_| "expected an absolute URL".to_string())
    });
    let default_plan = r.value(
        "OPS_DEFAULT_PLAN",
        if prod { "free" } else { "business" },
        |v| PlanId::parse(v).ok_or_else(|| "expected free, team or business".to_string()),
    );
    let grace_days = r.value("OPS_BILLING_GRACE_DAYS", "14", |v| {
        v.parse::<u32>()
            .ok()
            .filter(|n| *n <= 365)
            .ok_or_else(|| "expected a whole number of days from 0 to 365".into())
    });
    let stripe = match (secret_key, webhook_secret, team, business) {
        (Some(secret_key), Some(webhook_secret), Some(team), Some(business)) => {
            Some(crate::billing::client::StripeConfig {
                secret_key,
                webhook_secret,
                base_url: base_url?,
                team_price: team,
                business_price: business,
                timeout: Duration::from_secs(20),
            })
        }
        (None, None, None, None) => None,
        _ => {
            return r.invalid(
                "STRIPE_SECRET_KEY",
                "billing needs STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_TEAM and STRIPE_PRICE_BUSINESS together",
            )
        }
    };
    Some(BillingConfig {
        stripe,
        default_plan: default_plan?,
        grace_days: grace_days?,
    })
}

struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<ConfigError>,
    production: bool,
}

impl Reader<'_> {
    /// `None` when unset; `Some(None)` when set but invalid (the error is recorded).
    fn parse<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        let raw = (self.lookup)(name).filter(|v| !v.trim().is_empty())?;
        match parse(raw.trim()) {
            Ok(v) => Some(Some(v)),
            Err(reason) => {
                self.errors.push(ConfigError::Invalid { name, reason });
                Some(None)
            }
        }
    }

    fn optional<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        self.parse(name, parse).flatten()
    }

    fn value<T>(
        &mut self,
        name: &'static str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.parse(name, &parse) {
            Some(v) => v,
            None => Some(parse(default).expect("defaults parse")),
        }
    }

    fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.parse(name, parse) {
            Some(v) => v,
            None => {
                self.errors.push(ConfigError::Missing(name));
                None
            }
        }
    }

    /// Development falls back to `default`; production must say.
    fn required_in_prod<T>(
        &mut self,
        name: &'static str,
        default: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        if self.production {
            self.required(name, parse)
        } else {
            self.value(name, default, parse)
        }
    }

    fn invalid<T>(&mut self, name: &'static str, reason: &str) -> Option<T> {
        self.errors.push(ConfigError::Invalid {
            name,
            reason: reason.into(),
        });
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const DB: (&str, &str) = (
        "DATABASE_URL",
        "postgres://app:hunter2-secret@db.internal/ops",
    );

    #[test]
    fn development_needs_only_a_database() {
        let c = read(&[DB]).unwrap();
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.bind, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(c.tls.is_none());
        assert!(!c.sends_hsts());
    }

    #[test]
    fn production_names_every_missing_variable() {
        let err = read(&[("OPS_ENV", "production")]).unwrap_err();
        assert_eq!(
            err.0,
            vec![
                ConfigError::Missing("OPS_PUBLIC_URL"),
                ConfigError::Missing("DATABASE_URL"),
                ConfigError::Missing("OPS_SECURITY_CONTACT"),
                ConfigError::Missing("OPS_SECURITY_UPDATED"),
                ConfigError::Missing("SENDGRID_API_KEY"),
                ConfigError::Missing("OPS_INBOUND_DOMAIN"),
                ConfigError::Missing("OPS_TOTP_KEY"),
            ]
        );
        let message = err.to_string();
        assert!(
            message.contains("OPS_PUBLIC_URL is required in production"),
            "{message}"
        );
    }

    #[test]
    fn malformed_values_are_named_with_the_reason() {
        let err = read(&[
            DB,
            ("OPS_ENV", "development"),
            ("OPS_BIND", "localhost"),
            ("OPS_PUBLIC_URL", "https://ops.example/app"),
            ("OPS_SECURITY_CONTACT", "nobody"),
            ("OPS_REQUEST_TIMEOUT_SECS", "0"),
            ("OPS_TLS_CERT_FILE", "/tmp/cert.pem"),
        ])
        .unwrap_err();
        let names: Vec<_> = err
            .0
            .iter()
            .map(|e| match e {
                ConfigError::Invalid { name, .. } | ConfigError::Missing(name) => *name,
                ConfigError::ProductionAssumed => "OPS_ENV",
            })
            .collect();
        assert_eq!(
            names,
            [
                "OPS_BIND",
                "OPS_PUBLIC_URL",
                "OPS_TLS_KEY_FILE",
                "OPS_SECURITY_CONTACT",
                "OPS_REQUEST_TIMEOUT_SECS"
            ]
        );
    }

    #[test]
    fn a_database_url_of_another_kind_is_refused() {
        let err = read(&[("DATABASE_URL", "mysql://root@localhost/ops")]).unwrap_err();
        assert!(matches!(
            err.0[0],
            ConfigError::Invalid {
                name: "DATABASE_URL",
                ..
            }
        ));
    }

    #[test]
    fn production_with_everything_set_parses() {
        let c = read(&[
            DB,
            ("OPS_ENV", "production"),
            ("OPS_PUBLIC_URL", "https://ops.example"),
            ("OPS_SECURITY_CONTACT", "security@ops.example"),
            ("OPS_SECURITY_UPDATED", "2026-11-01"),
            ("OPS_SECURITY_TXT_EXPIRES", "2099-01-01T00:00:00Z"),
            ("SENDGRID_API_KEY", "test-key-not-real"),
            ("OPS_EMAIL_FROM", "no-reply@ops.example"),
            ("OPS_INBOUND_DOMAIN", "in.ops.example"),
            // 32 bytes of 0x2a; a real key comes from `openssl rand -base64 32`.
            (
                "OPS_TOTP_KEY",
                "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
            ),
        ])
        .unwrap();
        assert!(!c.dev_mailbox());
        assert!(c.two_factor_key.is_some());
        assert!(!format!("{c:?}").contains("KioqKioq"));
        assert!(!format!("{c:?}").contains("test-key-not-real"));
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(
            c.sends_hsts(),
            "an https public URL means a TLS proxy in front"
        );
        assert_eq!(c.site_info().public_url, "https://ops.example");
        assert_eq!(c.security.updated.to_string(), "2026-11-01");
    }

    #[test]
    fn cookies_are_secure_everywhere_but_local_http_development() {
        assert!(!read(&[DB]).unwrap().secure_cookies());
        let dev = ("OPS_ENV", "development");
        assert!(read(&[DB, dev, ("OPS_PUBLIC_URL", "http://ops.lan")])
            .unwrap()
            .secure_cookies());
        assert!(read(&[DB, dev, ("OPS_PUBLIC_URL", "https://ops.example")])
            .unwrap()
            .secure_cookies());
    }

    #[test]
    fn production_refuses_a_plain_http_public_url_and_weak_hashing() {
        let err = read(&[
            DB,
            ("OPS_ENV", "production"),
            ("OPS_PUBLIC_URL", "http://ops.example"),
            ("OPS_SECURITY_CONTACT", "security@ops.example"),
            ("OPS_SECURITY_UPDATED", "2026-11-01"),
            ("OPS_PASSWORD_ITERATIONS", "600000"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("OPS_PUBLIC_URL is invalid: must be https:// in production"),
            "{err}"
        );
        assert!(err.contains("OPS_PASSWORD_ITERATIONS is invalid"), "{err}");
    }

    #[test]
    fn a_two_factor_key_must_be_32_bytes_of_base64() {
        for bad in ["not base64!", "c2hvcnQ="] {
            let err = read(&[DB, ("OPS_TOTP_KEY", bad)]).unwrap_err().to_string();
            assert!(err.contains("OPS_TOTP_KEY is invalid: expected"), "{err}");
        }
        // Development may go without one; the server then makes a key for the run.
        assert!(read(&[DB]).unwrap().two_factor_key.is_none());
    }

    #[test]
    fn a_past_security_txt_expiry_is_refused() {
        let err = read(&[DB, ("OPS_SECURITY_TXT_EXPIRES", "2020-01-01T00:00:00Z")]).unwrap_err();
        assert!(err
            .to_string()
            .contains("OPS_SECURITY_TXT_EXPIRES is invalid: is in the past"));
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let c = read(&[DB]).unwrap();
        let printed = format!("{c:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("REDACTED"), "{printed}");
    }

    #[test]
    fn rolling_security_txt_expiry_is_about_six_months_ahead() {
        let c = read(&[DB]).unwrap();
        let now = OffsetDateTime::now_utc();
        let expires = c.security.txt_expires_at(now);
        assert!(expires > now + time::Duration::days(180));
        assert!(expires < now + time::Duration::days(183));
    }

    /// Every variable production requires, and nothing about the environment.
    const PRODUCTION: [(&str, &str); 8] = [
        DB,
        ("OPS_INBOUND_DOMAIN", "in.ops.example"),
        ("OPS_PUBLIC_URL", "https://ops.example"),
        ("OPS_SECURITY_CONTACT", "security@ops.example"),
        ("OPS_SECURITY_UPDATED", "2026-11-01"),
        ("SENDGRID_API_KEY", "test-key-not-real"),
        ("OPS_EMAIL_FROM", "no-reply@ops.example"),
        (
            "OPS_TOTP_KEY",
            "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
        ),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        PRODUCTION.iter().chain(extra).copied().collect()
    }

    #[test]
    fn without_ops_env_development_is_only_a_loopback_bind_without_a_public_url() {
        for bind in ["127.0.0.1:3000", "127.0.0.1:0", "[::1]:3000"] {
            let c = read(&[DB, ("OPS_BIND", bind)]).unwrap();
            assert_eq!(c.environment, Environment::Development, "{bind}");
        }
        // Anywhere else, production: its checks apply, and the refusal says why.
        for vars in [
            vec![DB, ("OPS_BIND", "0.0.0.0:3000")],
            vec![DB, ("OPS_BIND", "[::]:3000")],
            vec![DB, ("OPS_BIND", "10.1.2.3:3000")],
            vec![DB, ("OPS_PUBLIC_URL", "http://127.0.0.1:3000")],
            vec![DB, ("OPS_PUBLIC_URL", "https://ops.example")],
        ] {
            let err = read(&vars).unwrap_err();
            assert_eq!(err.0[0], ConfigError::ProductionAssumed, "{vars:?}");
            assert!(
                err.0
                    .contains(&ConfigError::Missing("OPS_SECURITY_CONTACT")),
                "{vars:?}: {err}"
            );
            assert!(err.to_string().contains("set OPS_ENV=development"), "{err}");
        }
        let c = read(&with(&[("OPS_BIND", "0.0.0.0:3000")])).unwrap();
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(
            read(&PRODUCTION).unwrap().environment,
            Environment::Production
        );
    }

    #[test]
    fn an_unreadable_ops_env_is_checked_as_production() {
        let err = read(&[DB, ("OPS_ENV", "dev")]).unwrap_err();
        assert!(matches!(
            err.0[0],
            ConfigError::Invalid {
                name: "OPS_ENV",
                ..
            }
        ));
        assert!(err
            .0
            .contains(&ConfigError::Missing("OPS_SECURITY_CONTACT")));
        assert!(!err.0.contains(&ConfigError::ProductionAssumed));
    }

    #[test]
    fn the_mailbox_needs_its_own_switch_and_development() {
        assert!(!read(&[DB]).unwrap().dev_mailbox(), "off unless asked for");
        assert!(read(&[DB, ("OPS_DEV_MAILBOX", "1")]).unwrap().dev_mailbox());
        assert!(!read(&[DB, ("OPS_DEV_MAILBOX", "0")]).unwrap().dev_mailbox());
        let err = read(&[DB, ("OPS_DEV_MAILBOX", "yes please")]).unwrap_err();
        assert!(
            err.to_string().contains("OPS_DEV_MAILBOX is invalid"),
            "{err}"
        );

        for env in [("OPS_ENV", "production"), ("OPS_BIND", "0.0.0.0:3000")] {
            let err = read(&with(&[env, ("OPS_DEV_MAILBOX", "1")])).unwrap_err();
            assert!(
                err.to_string()
                    .contains("OPS_DEV_MAILBOX is invalid: is for development only"),
                "{err}"
            );
            let c = read(&with(&[env])).unwrap();
            assert!(!c.dev_mailbox());
        }
    }

    #[test]
    fn trusted_proxies_are_read_with_clear_errors() {
        let c = read(&[DB]).unwrap();
        assert!(c.proxy.trusted.is_empty(), "nobody is trusted by default");
        assert_eq!(c.proxy.header, ForwardedHeader::XForwardedFor);

        let c = read(&[
            DB,
            ("OPS_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.10 ::1"),
            ("OPS_PROXY_HEADER", "Forwarded"),
        ])
        .unwrap();
        assert!(c.proxy.trusted.contains("10.9.8.7".parse().unwrap()));
        assert!(c.proxy.trusted.contains("::1".parse().unwrap()));
        assert!(!c.proxy.trusted.contains("192.0.2.11".parse().unwrap()));
        assert_eq!(c.proxy.header, ForwardedHeader::Forwarded);

        let err = read(&[
            DB,
            ("OPS_TRUSTED_PROXIES", "10.0.0.1/8"),
            ("OPS_PROXY_HEADER", "x-real-ip"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "OPS_TRUSTED_PROXIES is invalid: `10.0.0.1/8` has bits set past its prefix; \
                 did you mean 10.0.0.0/8?"
            ),
            "{err}"
        );
        assert!(
            err.contains("OPS_PROXY_HEADER is invalid: expected `x-forwarded-for` or `forwarded`"),
            "{err}"
        );
    }

    #[test]
    fn an_https_public_url_without_tls_or_trusted_proxies_is_noticed() {
        assert!(read(&PRODUCTION).unwrap().untrusted_proxy_likely());
        assert!(!read(&with(&[("OPS_TRUSTED_PROXIES", "10.0.0.1")]))
            .unwrap()
            .untrusted_proxy_likely());
        assert!(!read(&[DB]).unwrap().untrusted_proxy_likely());
    }
}
