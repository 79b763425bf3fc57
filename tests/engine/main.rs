//! The sign-out engine against real HTTP servers on 127.0.0.1: the seed providers' test servers
//! (every row of the protocol table, and the faults) and the real `oidc-provider` package. Each
//! sign-out goes through the shipped [`Engine::revoke`]; the many-account tests go through
//! [`signoff_core::Signoff::sign_out_all`] with real accounts in the real keychain.

mod admin;
mod catalogue;
mod oidc;
mod seeds;
mod steps;
mod tls;

use std::time::Duration;

use signoff_core::engine::{DEFAULT_PER_HOST, Engine, EngineConfig, Receipt, RetryPolicy};
use signoff_core::http::Timeouts;
use signoff_core::profile::{Profile, ProfileSet};
use signoff_core::{Account, SecretString, TokenBundle};

/// An engine with short retries and timeouts, so fault tests stay quick, and the default
/// per-host bound.
pub fn engine() -> Engine {
    Engine::new(EngineConfig {
        retry: RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
            budget: Duration::from_secs(3),
        },
        timeouts: Timeouts {
            connect: Duration::from_secs(1),
            total: Duration::from_secs(2),
        },
        per_host: DEFAULT_PER_HOST,
        connecting: None,
    })
}

/// A profile parsed from TOML exactly as a user would write it in providers.toml.
pub fn profile(toml: &str, id: &str) -> Profile {
    let set = ProfileSet::parse_user_text(std::path::Path::new("providers.toml"), toml);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    set.get(id).unwrap().clone()
}

pub fn tokens(json: &str) -> TokenBundle {
    TokenBundle::from_json(json).unwrap()
}

/// One account's sign-out as a test states it: the account, its tokens, its profile.
#[derive(Debug, Clone)]
pub struct Job {
    pub account: Account,
    pub tokens: TokenBundle,
    pub profile: Profile,
    pub client_secret: Option<SecretString>,
    pub verify: bool,
}

/// Signs a [`Job`] out through the shipped [`Engine::revoke`] and names the receipt's account.
trait SignOutJob {
    async fn sign_out(&self, job: &Job) -> Receipt;
}

impl SignOutJob for Engine {
    async fn sign_out(&self, job: &Job) -> Receipt {
        let report = self
            .revoke(
                &job.profile,
                &job.tokens,
                job.client_secret.as_ref(),
                job.verify,
            )
            .await;
        Receipt {
            account: job.account.id.clone(),
            provider: job.profile.id.clone(),
            label: job.account.label.clone(),
            origin: job.account.origin.clone(),
            removed: Vec::new(),
            report,
        }
    }
}

pub fn job(profile: &Profile, tokens: TokenBundle, secret: Option<&str>) -> Job {
    Job {
        account: Account::new(
            profile.id.clone(),
            format!("{} account", profile.label),
            None,
        ),
        tokens,
        profile: profile.clone(),
        client_secret: secret.map(|s| SecretString::new(s.into())),
        verify: false,
    }
}

/// Asserts that no token of `job` appears anywhere in the receipt.
pub fn assert_no_secret(receipt: &Receipt, secrets: &[&str]) {
    let text = format!("{receipt:?} {}", serde_json::to_string(receipt).unwrap());
    for s in secrets {
        assert!(!text.contains(s), "secret in receipt: {text}");
    }
}
