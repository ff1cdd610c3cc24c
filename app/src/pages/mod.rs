pub mod auth;
pub mod home;
pub mod not_found;
pub mod org;
pub mod pricing;
pub mod privacy;
pub mod security;
pub mod terms;
