//! Runs a stand-in for an outside service on a local port (see `server::standins`), until
//! SIGTERM or Ctrl-C.
//!
//!   standins sendgrid PORT API_KEY [RECORD_FILE [DELAY_SECS]]
//!
//! With `STANDIN_INBOUND_WEBHOOK` set to the server's Inbound Parse webhook, the SendGrid
//! stand-in's `POST /standin/inbound` delivers email there, signed with the development key.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use server::standins::sendgrid::{
    inbound::{Signer, DEVELOPMENT_SEED},
    Options, SendGrid,
};

const USAGE: &str = "usage: standins sendgrid PORT API_KEY [RECORD_FILE [DELAY_SECS]]";

#[tokio::main]
async fn main() -> ExitCode {
    // The stand-in posts to webhooks, and reqwest's TLS needs the process's provider chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [service, port, key, rest @ ..] = &args[..] else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let (Ok(port), "sendgrid") = (port.parse::<u16>(), service.as_str()) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let delay = rest
        .get(1)
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.0);
    let options = Options {
        key: key.clone(),
        outage: 0,
        delay: Duration::from_secs_f64(delay.clamp(0.0, 60.0)),
        record: rest.first().map(Into::into),
        inbound: std::env::var("STANDIN_INBOUND_WEBHOOK")
            .ok()
            .map(|url| (url, Signer::from_seed(DEVELOPMENT_SEED))),
    };
    match SendGrid::start(options, SocketAddr::from(([127, 0, 0, 1], port))).await {
        Ok((_, addr)) => eprintln!("SendGrid stand-in on http://{addr}"),
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
