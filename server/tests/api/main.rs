//! The server's integration tests, in one binary: each module starts the real application (or
//! its scripts) against a fresh PostgreSQL database of its own, and `support` holds the helpers
//! they share. One binary links the server once.

mod support;

mod accounts;
mod ai;
mod archive;
mod billing;
mod board;
mod credential_changes;
mod dashboard;
mod data_rights;
mod demo;
mod dev_mailbox;
mod digest;
mod django_import;
mod django_passwords;
mod email_delivery;
mod enrichment;
mod exports;
mod http;
mod inbox;
mod jobs;
mod lockout;
mod logs;
mod no_secrets;
mod notifications;
mod organisation_limits;
mod organisations;
mod overload;
mod personal_data;
mod places;
mod private_cluster;
mod proxy;
mod public_pages;
mod retention;
mod session_hygiene;
mod staff;
mod statements;
mod tenancy;
mod time_zones;
mod tls;
mod two_factor;
mod workspace;
