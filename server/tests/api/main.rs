//! The server's integration tests, in one binary: each module starts the real application (or
//! its scripts) against a fresh PostgreSQL database of its own, and `support` holds the helpers
//! they share. One binary links the server once.

mod support;

mod accounts;
mod dashboard;
mod demo;
mod django_import;
mod django_passwords;
mod email_delivery;
mod http;
mod logs;
mod no_secrets;
mod organisations;
mod private_cluster;
mod tenancy;
mod tls;
mod two_factor;
mod workspace;
