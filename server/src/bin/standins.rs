//! Runs a stand-in for an outside service on a local port (see `server::standins`), until
//! SIGTERM or Ctrl-C.
//!
//!   standins sendgrid PORT API_KEY [RECORD_FILE [DELAY_SECS]]
//!   standins anthropic PORT API_KEY [DELAY_SECS]
//!
//! With `STANDIN_INBOUND_WEBHOOK` set to the server's Inbound Parse webhook, the SendGrid
//! stand-in's `POST /standin/inbound` delivers email there, signed with the development key.
//! The Anthropic stand-in lists the requests it was sent at `GET /standin/requests`, and
//! `POST /standin/faults` (a JSON array such as `["rate_limited", "overloaded"]`) makes it fail
//! the next requests.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use server::standins::{
    anthropic::{self, Anthropic},
    sendgrid::{
        self,
        inbound::{Signer, DEVELOPMENT_SEED},
        SendGrid,
    },
};

const USAGE: &str = "usage: standins sendgrid PORT API_KEY [RECORD_FILE [DELAY_SECS]]
       standins anthropic PORT API_KEY [DELAY_SECS]";

/// A delay given in seconds (fractions allowed), at most a minute; none when absent or invalid.
fn delay(arg: Option<&String>) -> Duration {
    let secs = arg
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite())
        .unwrap_or(0.0);
    Duration::from_secs_f64(secs.clamp(0.0, 60.0))
}

#[tokio::main]
async fn main() -> ExitCode {
    // The stand-in posts to webhooks, and reqwest's TLS needs the process's provider chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [service, port, key, rest @ ..] = &args[..] else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(port) = port.parse::<u16>() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = match service.as_str() {
        "sendgrid" => {
            let options = sendgrid::Options {
                key: key.clone(),
                outage: 0,
                delay: delay(rest.get(1)),
                record: rest.first().map(Into::into),
                inbound: std::env::var("STANDIN_INBOUND_WEBHOOK")
                    .ok()
                    .map(|url| (url, Signer::from_seed(DEVELOPMENT_SEED))),
            };
            SendGrid::start(options, addr)
                .await
                .map(|(_, addr)| ("SendGrid", addr))
        }
        "anthropic" => {
            let options = anthropic::Options {
                key: key.clone(),
                delay: delay(rest.first()),
            };
            Anthropic::start(options, addr)
                .await
                .map(|(_, addr)| ("Anthropic", addr))
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match started {
        Ok((name, addr)) => eprintln!("{name} stand-in on http://{addr}"),
        Err(e) => {
            eprintln!("cannot listen on port {port}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    ExitCode::SUCCESS
}
