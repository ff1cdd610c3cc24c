//! Local stand-ins for the outside services, one module each, speaking the real services' wire
//! formats: each checks the requests it gets as the service would and answers in the service's
//! own response and error shapes. The Rust tests start them in-process; the deploy check runs
//! them as the `standins` binary (`server/src/bin/standins.rs`). Nothing in production uses them.

pub mod places;
pub mod sendgrid;
