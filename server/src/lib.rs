//! The Ops Intel server: configuration, database, middleware and the HTTP application around
//! the shared `app` crate.

pub mod access_guard;
pub mod ai;
pub mod billing;
pub mod body_limit;
pub mod cache_control;
pub mod client_addr;
pub mod config;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod dev_tools;
pub mod digest;
pub mod drain;
pub mod email;
pub mod enrichment;
pub mod exports;
pub mod headers;
pub mod health;
pub mod import;
pub mod inbound;
pub mod jobs;
pub mod notifications;
pub mod places;
pub mod public_pages;
pub mod replies;
pub mod retention;
pub mod serve;
pub mod sessions;
pub mod site_files;
pub mod staff;
pub mod standins;
pub mod startup;
pub mod synthetic;
pub mod telemetry;
pub mod tls;
