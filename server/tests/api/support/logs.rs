//! What the server logs, captured in memory: the test binary installs the production JSON log
//! format once, writing here instead of to standard output.

use std::{
    io::Write,
    sync::{Mutex, Once},
};

use server::{config::LogFormat, telemetry};

static LINES: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LINES.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capture, once for the whole test binary.
pub fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| telemetry::init_with_writer(LogFormat::Json, || Capture));
}

/// Every line logged so far, by every test of this binary, parsed.
pub fn lines() -> Vec<serde_json::Value> {
    let text = String::from_utf8_lossy(&LINES.lock().unwrap()).into_owned();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
        .collect()
}

/// Whether `needle` appears anywhere in what was logged.
pub fn contain(needle: &str) -> bool {
    String::from_utf8_lossy(&LINES.lock().unwrap()).contains(needle)
}
