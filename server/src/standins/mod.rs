//! Local stand-ins for the outside services, one module each, speaking the real services' wire
//! formats: each checks the requests it gets as the service would and answers in the service's
//! own response and error shapes. The Rust tests start them in-process; the deploy check runs
//! them as the `standins` binary (`server/src/bin/standins.rs`). Nothing in production uses them.

pub mod anthropic;
pub mod places;
pub mod sendgrid;
pub mod stripe;

/// Serves a stand-in's routes on `addr` (port 0: any free port) for the life of the process;
/// the address it listens on.
pub(crate) async fn listen(
    routes: axum::Router,
    addr: std::net::SocketAddr,
) -> std::io::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, routes).await;
    });
    Ok(addr)
}

/// The key the development stand-ins expect: not a secret, and useless anywhere else.
const DEVELOPMENT_KEY: &str = "standin-development-key";

/// Development (`OPS_STANDINS`): each outside service the configuration does not name is a
/// stand-in started in this process, so the whole product works on one machine without
/// accounts with Google and the rest. Each answer takes a moment, as the real services' do.
pub async fn attach(mut config: crate::config::Config) -> std::io::Result<crate::config::Config> {
    use std::{net::SocketAddr, time::Duration};
    if !config.standins {
        return Ok(config);
    }
    if config.places.is_none() {
        let options = places::Options {
            key: DEVELOPMENT_KEY.into(),
            delay: Duration::from_millis(300),
            ..Default::default()
        };
        let (_, addr) =
            places::Places::start(options, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        tracing::info!(%addr, "Google Places is the local stand-in");
        config.places = Some(crate::places::PlacesConfig {
            api_key: DEVELOPMENT_KEY.to_string().into(),
            base_url: url::Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)?,
            region: "GB".into(),
            timeout: Duration::from_secs(10),
        });
    }
    if config.anthropic.is_none() {
        let options = anthropic::Options {
            key: DEVELOPMENT_KEY.into(),
            delay: Duration::from_millis(600),
        };
        let (_, addr) =
            anthropic::Anthropic::start(options, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        tracing::info!(%addr, "Anthropic is the local stand-in");
        config.anthropic = Some(crate::ai::client::AnthropicConfig {
            api_key: DEVELOPMENT_KEY.to_string().into(),
            base_url: url::Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)?,
            triage_model: "claude-haiku-4-5".into(),
            draft_model: "claude-sonnet-4-5".into(),
            timeout: Duration::from_secs(30),
        });
    }
    // SendGrid: mail sent (the inbox's answers; account emails stay in the development
    // mailbox) and mail received, signed with the development key, posted to this server.
    let signer = sendgrid::inbound::Signer::from_seed(sendgrid::inbound::DEVELOPMENT_SEED);
    if config.inbound.key.is_none() {
        config.inbound.key = Some(
            crate::inbound::signature::InboundKey::from_base64(&signer.public_key_base64())
                .map_err(std::io::Error::other)?,
        );
    }
    if config.sendgrid.is_none() {
        let webhook = format!(
            "{}{}",
            config.public_url.as_str().trim_end_matches('/'),
            crate::inbound::PATH
        );
        let options = sendgrid::Options {
            key: DEVELOPMENT_KEY.into(),
            delay: Duration::from_millis(300),
            inbound: Some((webhook, signer)),
            ..Default::default()
        };
        let (_, addr) =
            sendgrid::SendGrid::start(options, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        tracing::info!(%addr, "SendGrid is the local stand-in: POST http://{addr}/standin/inbound delivers an email to the inbox");
        config.sendgrid = Some(crate::config::SendGridConfig {
            api_key: DEVELOPMENT_KEY.to_string().into(),
            base_url: url::Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)?,
            from: "ops@localhost.example".into(),
        });
    }
    // Stripe: its API, its hosted Checkout and portal, and its events, signed with the
    // development secret, posted to this server's webhook.
    if config.billing.stripe.is_none() {
        let webhook = format!(
            "{}{}",
            config.public_url.as_str().trim_end_matches('/'),
            crate::billing::webhook::PATH
        );
        let options = stripe::Options {
            key: STRIPE_DEVELOPMENT_KEY.into(),
            webhook: Some((webhook, vec![STRIPE_DEVELOPMENT_WEBHOOK_SECRET.into()])),
            prices: stripe::development_prices(),
            delay: Duration::from_millis(200),
        };
        let (_, addr) =
            stripe::Stripe::start(options, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        tracing::info!(%addr, "Stripe is the local stand-in");
        config.billing.stripe = Some(crate::billing::client::StripeConfig {
            secret_key: STRIPE_DEVELOPMENT_KEY.to_string().into(),
            webhook_secret: STRIPE_DEVELOPMENT_WEBHOOK_SECRET.to_string().into(),
            base_url: url::Url::parse(&format!("http://{addr}")).map_err(std::io::Error::other)?,
            team_price: stripe::TEAM_PRICE.into(),
            business_price: stripe::BUSINESS_PRICE.into(),
            timeout: Duration::from_secs(20),
        });
    }
    Ok(config)
}

/// Stripe's keys for the development stand-in: not secrets, and useless anywhere else.
const STRIPE_DEVELOPMENT_KEY: &str = "sk_test_standin_development";
const STRIPE_DEVELOPMENT_WEBHOOK_SECRET: &str = "whsec_standin_development";
