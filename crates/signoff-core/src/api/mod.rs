//! The use cases that the desktop app, the tray and the CLI all call: [`Signoff`], opened on one
//! data directory. This file holds the struct, opening and configuration, and the helpers the
//! use-case files share; each family of use cases is an `impl Signoff` block of its own:
//!
//! - [`accounts`](self::accounts): list, add, paste, forget, the audit log;
//! - [`sign_in`](self::sign_in): browser, password and anonymous sign-in;
//! - [`sign_in_device`](self::sign_in_device): signing in on another device (RFC 8628);
//! - [`tokens`](self::tokens): token checks and refresh;
//! - [`sign_out`](self::sign_out): one, all, retry, and the preview the confirmation shows;
//! - [`providers`](self::providers): profiles, client secrets, the provider view;
//! - [`bulk`](self::bulk): revoking tokens read from a stream, without accounts;
//! - [`found`](self::found): sessions found in other tools' stores on this computer;
//! - [`admin`](self::admin): IT admins signing people out at the identity provider.
//!
//! Blocking policy: keychain (D-Bus) and SQLite calls block. Sync use cases call them directly;
//! async use cases run them on tokio's blocking pool through [`Signoff::blocking`], so the async
//! workers keep driving network calls meanwhile.

use std::sync::{Arc, OnceLock};

use crate::engine::{Engine, EngineConfig};
use crate::error::Result;
use crate::paths::Paths;
use crate::store::Store;
use crate::vault::Vault;

mod accounts;
mod admin;
mod bulk;
mod found;
pub mod orphans;
mod providers;
mod sign_in;
mod sign_in_device;
mod sign_out;
mod tokens;

pub use accounts::AccountView;
pub use admin::{
    AdminMatch, AdminOutcome, AdminPerson, AdminPlan, AdminProvider, AdminReceipt, AdminSession,
};
pub use bulk::{BulkResult, BulkSummary, InputLine, Invalid, MAX_LINE, read_tokens};
pub use found::{FoundDetail, FoundView, ScanSummary};
pub use providers::{ProviderView, Providers};
pub use sign_out::{
    AccountFilter, CallView, Ends, PreviewAccount, PreviewProvider, SignOutOptions, SignOutPreview,
    SignOutSummary, Skipped,
};
pub use tokens::{TokenCheck, TokenCheckResult};

/// Signoff's core, opened on one data directory. Share it behind an `Arc`.
#[derive(Debug)]
pub struct Signoff {
    paths: Paths,
    store: Store,
    vault: OnceLock<Vault>,
    engine: OnceLock<Arc<Engine>>,
    engine_config: EngineConfig,
    system_profiles: Option<std::path::PathBuf>,
    /// The HTTP client of sign-in, refresh and token checks (the engine has its own, with its
    /// own timeouts), made on first use.
    http: OnceLock<reqwest::Client>,
    /// The admin bearers made so far (issue #18), by provider; in memory only.
    admin_bearers: admin::Bearers,
}

impl Signoff {
    /// Opens the data directory, creating and migrating the database as needed. The keychain is
    /// connected on first use, so listing accounts works even while it is locked.
    pub fn open(paths: Paths) -> Result<Self> {
        paths.ensure()?;
        let store = Store::open(&paths.database())?;
        Ok(Self {
            paths,
            store,
            vault: OnceLock::new(),
            engine: OnceLock::new(),
            engine_config: EngineConfig::default(),
            system_profiles: Some(crate::profile::system_profiles_path()),
            http: OnceLock::new(),
            admin_bearers: admin::Bearers::default(),
        })
    }

    /// Replaces the engine settings (retry budget, timeouts, per-host bound).
    pub fn with_engine_config(mut self, config: EngineConfig) -> Self {
        self.engine_config = config;
        self
    }

    /// Reads system-wide profiles from `path` instead of the platform location (`None`: none).
    pub fn with_system_profiles(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.system_profiles = path;
        self
    }

    /// The directories in use.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The keychain, connected on first use.
    fn vault(&self) -> Result<&Vault> {
        if let Some(v) = self.vault.get() {
            return Ok(v);
        }
        let v = Vault::open(&self.paths)?;
        Ok(self.vault.get_or_init(|| v))
    }

    /// The sign-out engine (one HTTP connection pool, one per-host limiter), made on first use.
    fn engine(&self) -> Arc<Engine> {
        Arc::clone(
            self.engine
                .get_or_init(|| Arc::new(Engine::new(self.engine_config))),
        )
    }

    /// The one HTTP client of sign-in, refresh and token checks, made on first use.
    pub(crate) fn http(&self) -> &reqwest::Client {
        self.http
            .get_or_init(|| crate::http::client(crate::http::Timeouts::default()))
    }

    /// Runs blocking work (keychain, database) with the core on tokio's blocking pool; a panic
    /// there is re-raised here.
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Signoff) -> T + Send + 'static,
    ) -> T {
        let core = Arc::clone(self);
        match tokio::task::spawn_blocking(move || f(&core)).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// A provider's client secret, read from the keychain on the blocking pool.
    async fn client_secret_blocking(
        self: &Arc<Self>,
        provider: &str,
    ) -> Result<Option<crate::secret::SecretString>> {
        let provider = provider.to_owned();
        self.blocking(move |core| core.vault()?.client_secret(&provider))
            .await
    }
}

/// Text a person gave, trimmed; blank counts as not given.
fn non_blank(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}
