//! Inbound mail accepted per second by the webhook (scripts/bench-inbox.sh runs it): signed
//! Inbound Parse requests of about 20 KB each (parsed mode), each a new message for the
//! organisation, posted at a number of connections at once. Prints figures; a measurement, not
//! a test.
//!
//!   inbound_bench public-key                      the key the server must be given
//!   inbound_bench URL TO_ADDRESS [MESSAGES [AT_ONCE]]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use server::standins::sendgrid::inbound::{Mail, Signer};

const SEED: &[u8] = b"inbound benchmark";

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let signer = Signer::from_seed(SEED);
    if args.first().map(String::as_str) == Some("public-key") {
        println!("{}", signer.public_key_base64());
        return;
    }
    let [url, to, rest @ ..] = &args[..] else {
        eprintln!(
            "usage: inbound_bench public-key | inbound_bench URL TO_ADDRESS [MESSAGES [AT_ONCE]]"
        );
        std::process::exit(2);
    };
    let messages: usize = rest.first().and_then(|n| n.parse().ok()).unwrap_or(4000);
    let at_once: usize = rest.get(1).and_then(|n| n.parse().ok()).unwrap_or(16);
    // About 20 KB of text, as a long customer email with its quoted history would be.
    let body =
        "Hello, I visited your café on Saturday and wanted to tell you about it. ".repeat(280);
    let run = format!(
        "{:x}",
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let payloads: Vec<_> = (0..messages)
        .map(|i| {
            let mut mail = Mail::new(
                &format!("customer{}@example.com", i % 500),
                to,
                &format!("Visit {i}"),
                &body,
            );
            mail.message_id = format!("bench-{run}-{i}@customers.example");
            let payload = mail.parsed_payload();
            // Signed before the clock starts: SendGrid signs on its own machines, so signing
            // here would take the two cores' time from the server being measured.
            let signature = signer.headers(now, &payload.body);
            (payload, signature)
        })
        .collect();
    let size = payloads[0].0.body.len();
    let payloads = Arc::new(payloads);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(at_once)
        .build()
        .expect("an HTTP client");
    let started = Instant::now();
    let mut workers = Vec::new();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::with_capacity(messages)));
    for _ in 0..at_once {
        let (payloads, next, failed, http, url, latencies) = (
            payloads.clone(),
            next.clone(),
            failed.clone(),
            http.clone(),
            url.clone(),
            latencies.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((payload, signature)) = payloads.get(i) else {
                    break;
                };
                let t = Instant::now();
                match payload.post_with(&http, &url, signature).await {
                    Ok(200) => {}
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.lock().unwrap().push(t.elapsed());
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed();
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Duration::ZERO)
    };
    let failed = failed.load(Ordering::Relaxed);
    println!(
        "inbound mail: {messages} messages of {:.1} KB at {at_once} at once in {:.1} s: {:.0} accepted/s, p50 {:.1} ms, p99 {:.1} ms, {failed} not accepted (target >= 200/s)",
        size as f64 / 1024.0,
        elapsed.as_secs_f64(),
        (messages - failed) as f64 / elapsed.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}
