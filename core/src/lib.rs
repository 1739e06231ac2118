//! Rapport's domain crate.
//!
//! Everything here is plain data and pure functions: no `web_sys`, no `tokio`, no Leptos, no axum.
//! The browser app and the relay are thin shells around it, and it is tested natively.

pub mod health;

/// The product name as shown to people.
pub const PRODUCT_NAME: &str = "Rapport";

/// The version of the running build, the same for the app and the relay built from one commit.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
