//! The sign-out engine: end the session one account's tokens hold at the provider, as its
//! profile says, and give exactly one [`Report`]. In parts:
//!
//! - [`plan`]: which calls to make, pure (profile + tokens + metadata → calls);
//! - [`limiter`]: the bound on calls in flight per host;
//! - [`adaptive`]: bulk revocation's adaptive bound under it, fed by each attempt;
//! - [`retry`]: the retry policy (`Retry-After`, backoff, the sign-out's budget);
//! - [`verify`]: introspection after `--verify`;
//! - [`report`]: the report and the receipt.
//!
//! Each sign-out has a bounded budget; when it is spent (or the provider asks to wait longer
//! than we will), the outcome is `pending` with the time the provider asked for.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use url::Url;

use crate::discovery::{self, Metadata};
use crate::http::{self, Timeouts};
use crate::outcome::{Outcome, Reason, ReasonKind, StepVerdict, Verdict};
use crate::profile::{Profile, Protocol};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

pub mod adaptive;
mod limiter;
pub mod plan;
mod probe;
mod report;
mod retry;
mod verify;

pub use limiter::HostLimiter;
pub use plan::{Plan, PlannedCall, SendAs, plan};
pub use report::{Receipt, Report};
use retry::Inputs;
pub use retry::RetryPolicy;

/// Engine settings.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    /// Calls in flight to one host (`host:port`) at a time. The default,
    /// [`DEFAULT_PER_HOST`], lets a person's "sign out everywhere" reach every account of a
    /// provider in one wave; bulk revocation sets its own bound (`--concurrency`).
    pub per_host: usize,
    /// New connections being opened at once, over all hosts (`None`: no bound, the default).
    /// A burst of connection attempts past a server's accept queue (Python's socketserver
    /// listens with a backlog of 5) has its SYNs dropped, and each of those connections waits
    /// a second or more to try again; bulk revocation, which grows to dozens of connections to
    /// one host, opens them a few at a time instead.
    pub connecting: Option<usize>,
}

/// The default bound on calls in flight to one host. A person rarely has more than a dozen
/// accounts at one provider; with 16, "sign out everywhere" takes about as long as the slowest
/// single call instead of several waves of it (4 made 10 accounts take 3 waves), while a
/// provider still never sees more than 16 requests at once from one Signoff (browsers open
/// 6 HTTP/1.1 connections per host and HTTP/2 multiplexes 100 streams; `signoff revoke`
/// defaults to 64).
pub const DEFAULT_PER_HOST: usize = 16;

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            per_host: DEFAULT_PER_HOST,
            connecting: None,
        }
    }
}

/// The sign-out engine. Share it behind an `Arc`; it keeps one HTTP connection pool, one
/// per-host limiter and the metadata discovered so far.
#[derive(Debug)]
pub struct Engine {
    client: reqwest::Client,
    config: EngineConfig,
    limiter: HostLimiter,
    discovered: Mutex<HashMap<Url, Metadata>>,
    /// Told about every attempt's send and answer (bulk revocation's adaptive limit); none
    /// for sign-outs.
    observer: Option<std::sync::Arc<dyn adaptive::AttemptObserver>>,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Self {
            client: http::client_with(config.timeouts, config.connecting),
            config,
            limiter: HostLimiter::new(config.per_host),
            discovered: Mutex::new(HashMap::new()),
            observer: None,
        }
    }

    /// The same engine, telling `observer` about each attempt of a planned call (when it goes
    /// out, after the host limiter let it, and what came back).
    pub fn with_observer(
        mut self,
        observer: std::sync::Arc<dyn adaptive::AttemptObserver>,
    ) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Ends the session that `tokens` hold at the provider `profile` describes.
    pub async fn revoke(
        &self,
        profile: &Profile,
        tokens: &TokenBundle,
        client_secret: Option<&SecretString>,
        verify: bool,
    ) -> Report {
        let started = Instant::now();
        let mut report = Report::new(Outcome::Failed);
        let metadata = match self.metadata_for(profile, &mut report).await {
            Ok(m) => m,
            Err(v) => return report.concluded(v),
        };
        let (calls, introspection) = match plan(profile, tokens, metadata.as_ref()) {
            Err(v) => return report.concluded(v),
            Ok(Plan::Done { outcome, note }) => {
                report.outcome = outcome;
                return report.with_note(note);
            }
            Ok(Plan::Calls {
                calls,
                introspection,
            }) => (calls, introspection),
        };
        let deadline = started + self.config.retry.budget;
        let secrets = secrets_of(tokens, client_secret);
        let inputs = Inputs {
            profile,
            tokens,
            client_secret,
            secrets: &secrets,
        };
        let mut ended: Vec<&PlannedCall> = Vec::new();
        let mut outcome = Outcome::AlreadyRevoked;
        for planned in &calls {
            let step = self
                .call_with_retries(inputs, planned, deadline, false)
                .await;
            report.attempts += step.attempts;
            report.http_status = step.status.or(report.http_status);
            let verdict = match step.verdict {
                StepVerdict::Verdict(v) => v,
                StepVerdict::Probe(said) => {
                    let verdict = self
                        .probe(inputs, planned, deadline, said, &mut report)
                        .await;
                    if let Verdict::Ended(_) = verdict {
                        // The probe showed the token is gone; this call ended nothing itself.
                        ended.push(planned);
                        continue;
                    }
                    verdict
                }
            };
            match verdict {
                Verdict::Ended(o) => {
                    if o == Outcome::Revoked {
                        outcome = Outcome::Revoked;
                    }
                    ended.push(planned);
                }
                other => return report.concluded(other),
            }
        }
        report.outcome = outcome;
        if verify {
            report.verified = match &introspection {
                Some(url) => self.verify(inputs, url, &ended).await,
                None => {
                    report.note = Some(
                        "no introspection endpoint is known, so the revocation could not be verified"
                            .into(),
                    );
                    None
                }
            };
            if report.verified == Some(false) {
                // The provider answered the revocation, yet says the token still works: the
                // session is not over, and the token is the only way to try again.
                return report.concluded(Verdict::Permanent(Reason::new(
                    ReasonKind::StillActive,
                    format!(
                        "{} accepted the sign-out, but its introspection still calls the token active; the token was kept so the sign-out can be tried again",
                        profile.label
                    ),
                )));
            }
        }
        report
    }

    /// Paces every call to `url`'s host to `per_minute` (a provider's documented rate).
    pub fn set_rate(
        &self,
        url: &Url,
        per_minute: std::num::NonZeroU32,
        burst: std::num::NonZeroU32,
    ) {
        self.limiter.set_rate(url, per_minute, burst);
    }

    /// Makes one call of `profile` (an admin's lookup) with `tokens`, retried as a sign-out's
    /// calls are: the verdict of its answer rules and the last answer's body.
    pub async fn lookup(
        &self,
        profile: &Profile,
        tokens: &TokenBundle,
        step: crate::profile::Step,
    ) -> Lookup {
        let secrets = secrets_of(tokens, None);
        let inputs = Inputs {
            profile,
            tokens,
            client_secret: None,
            secrets: &secrets,
        };
        let planned = PlannedCall {
            kind: crate::outcome::CallKind::Step,
            step,
        };
        let deadline = Instant::now() + self.config.retry.budget;
        let step = self
            .call_with_retries(inputs, &planned, deadline, false)
            .await;
        Lookup {
            verdict: match step.verdict {
                StepVerdict::Verdict(v) => v,
                StepVerdict::Probe(reason) => Verdict::Permanent(reason),
            },
            body: step.body,
            attempts: step.attempts,
            status: step.status,
        }
    }

    /// The provider's metadata for `oidc` profiles (discovery counts as an attempt), `None`
    /// for the others.
    async fn metadata_for(
        &self,
        profile: &Profile,
        report: &mut Report,
    ) -> Result<Option<Metadata>, Verdict> {
        if profile.protocol != Protocol::Oidc || profile.incomplete.is_some() {
            return Ok(None);
        }
        let issuer = profile
            .issuer
            .as_ref()
            .expect("oidc profiles have an issuer (checked at load)");
        report.attempts += 1;
        self.discover(issuer).await.map(Some)
    }

    /// The metadata at `issuer`, fetched once per engine.
    pub(crate) async fn discover(&self, issuer: &Url) -> Result<Metadata, Verdict> {
        if let Some(m) = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
        {
            return Ok(m.clone());
        }
        let meta = {
            let _permit = self.limiter.permit(issuer).await;
            discovery::discover(&self.client, issuer).await?
        };
        self.discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(issuer.clone(), meta.clone());
        Ok(meta)
    }
}

/// What one lookup call came to.
#[derive(Debug)]
pub struct Lookup {
    pub verdict: Verdict,
    /// The last answer's body (empty when none came).
    pub body: Vec<u8>,
    pub attempts: u32,
    pub status: Option<u16>,
}

/// Everything that must never be echoed back in an error: the tokens and the client secret.
fn secrets_of<'a>(
    tokens: &'a TokenBundle,
    client_secret: Option<&'a SecretString>,
) -> Vec<&'a str> {
    [
        &tokens.refresh_token,
        &tokens.access_token,
        &tokens.id_token,
    ]
    .into_iter()
    .flatten()
    .chain(client_secret)
    .map(SecretString::expose_secret)
    .collect()
}
