//! Signoff's core: every rule of the product lives here, free of any GUI or CLI crate.
//!
//! The desktop app (`src-tauri/`) and the `signoff` command (`crates/signoff-cli`) are thin shells
//! over [`Signoff`], the use-case API in [`api`]. Tokens only ever live in the OS keychain
//! ([`vault`]) and in memory inside [`SecretString`]; everything else is in the SQLite [`store`].

#[macro_use]
mod names;

pub mod about;
pub mod account;
pub mod api;
pub mod audit;
pub mod autostart;
pub mod changes;
pub mod claim;
pub mod discovery;
pub mod engine;
pub mod error;
pub mod found;
pub mod http;
pub mod jwt;
pub mod logging;
pub mod outcome;
pub mod paths;
pub mod perms;
pub mod profile;
pub mod secret;
pub mod signin;
pub mod store;
pub mod tokens;
pub mod tray_host;
pub mod vault;

pub use account::{Account, AccountAction, AccountId, AccountStatus, NewAccount};
pub use api::Signoff;
pub use error::{Error, ErrorCode, Result};
pub use outcome::{Reason, ReasonKind};
pub use paths::Paths;
pub use secret::SecretString;
pub use tokens::TokenBundle;
pub use vault::Vault;
