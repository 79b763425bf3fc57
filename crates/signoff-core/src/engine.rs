//! The sign-out engine: for one account or many, end the session at the provider as its
//! profile says, retry what is worth retrying, and give exactly one [`Receipt`] per account.
//!
//! Retries: 429 and 503 honour `Retry-After` (seconds or HTTP date); other 5xx, 408 and network
//! errors back off exponentially with jitter. Each sign-out has a bounded budget; when it is
//! spent (or the provider asks to wait longer than we will), the outcome is `pending` with the
//! time the provider asked for. Many accounts run concurrently with a bound per host, and each
//! receipt is reported the moment it is ready.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use serde::Serialize;
use tokio::sync::Semaphore;
use url::Url;

use crate::account::{Account, AccountId};
use crate::discovery::{self, Metadata};
use crate::http::{self, Call, CallError, Timeouts};
use crate::outcome::{CallKind, Outcome, ProviderError, Verdict, classify};
use crate::profile::{Profile, Protocol, SignoutMode, TokenKind};
use crate::secret::SecretString;
use crate::tokens::TokenBundle;

/// How hard one sign-out tries before it reports `pending`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: usize,
    /// Backoff bounds (jittered exponential between them).
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Total time one account's sign-out may spend waiting between attempts.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            budget: Duration::from_secs(30),
        }
    }
}

/// Engine settings.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    /// Calls in flight to one host (`host:port`) at a time. The default,
    /// [`DEFAULT_PER_HOST`], lets a person's "sign out everywhere" reach every account of a
    /// provider in one wave; bulk revocation sets its own bound (`--concurrency`).
    pub per_host: usize,
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
        }
    }
}

/// One account to sign out, with everything the engine needs.
#[derive(Debug, Clone)]
pub struct Job {
    pub account: Account,
    pub tokens: TokenBundle,
    pub profile: Profile,
    pub client_secret: Option<SecretString>,
    /// Introspect afterwards where an introspection endpoint is known.
    pub verify: bool,
}

/// What the provider said about one set of tokens, in our vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub outcome: Outcome,
    /// The last HTTP status seen, if any call got an answer.
    pub http_status: Option<u16>,
    /// The provider's error (or ours, e.g. `network`), never containing a token.
    pub error: Option<ProviderError>,
    /// HTTP attempts made.
    pub attempts: u32,
    /// After `--verify`: whether introspection now says every revoked token is inactive.
    pub verified: Option<bool>,
    /// For `pending`: how long the provider asked us to wait, if it said.
    pub retry_after_secs: Option<u64>,
    /// A plain sentence for `local_only` and other outcomes that need one.
    pub note: Option<String>,
}

/// The receipt for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub account: AccountId,
    pub provider: String,
    pub label: String,
    #[serde(flatten)]
    pub report: Report,
}

/// The sign-out engine. Share it behind an `Arc`; it keeps one HTTP connection pool.
#[derive(Debug)]
pub struct Engine {
    client: reqwest::Client,
    config: EngineConfig,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    discovered: Mutex<HashMap<Url, Metadata>>,
}

/// One token call, planned.
#[derive(Debug)]
struct Planned {
    kind: CallKind,
    url: Url,
    token: SecretString,
    token_kind: TokenKind,
    /// Form field that carries the token (`token`, `refresh_token`), or none for bearer.
    field: Option<&'static str>,
    hint: Option<TokenKind>,
}

enum Plan {
    Calls {
        calls: Vec<Planned>,
        introspection: Option<Url>,
    },
    Done {
        outcome: Outcome,
        error: Option<ProviderError>,
        note: String,
        retry_after: Option<Duration>,
    },
}

/// What the retry loop for one call ended with.
struct Step {
    verdict: Verdict,
    status: Option<u16>,
    attempts: u32,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Self {
            client: http::client(config.timeouts),
            config,
            hosts: Mutex::new(HashMap::new()),
            discovered: Mutex::new(HashMap::new()),
        }
    }

    /// Signs out many accounts concurrently (bounded per host), calling `on_receipt` as each
    /// finishes. Returns the receipts in completion order.
    pub async fn sign_out_all(
        self: &Arc<Self>,
        jobs: Vec<Job>,
        mut on_receipt: impl FnMut(&Receipt),
    ) -> Vec<Receipt> {
        let mut set = tokio::task::JoinSet::new();
        let count = jobs.len();
        for job in jobs {
            let engine = Arc::clone(self);
            set.spawn(async move { engine.sign_out(&job).await });
        }
        let mut receipts = Vec::with_capacity(count);
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(receipt) => {
                    on_receipt(&receipt);
                    receipts.push(receipt);
                }
                // A panicking task is a bug; its account stays as it was (signing out) and
                // is resumed by the next run.
                Err(e) => tracing::error!("a sign-out task failed: {e}"),
            }
        }
        receipts
    }

    /// Signs out one account.
    pub async fn sign_out(&self, job: &Job) -> Receipt {
        Receipt {
            account: job.account.id.clone(),
            provider: job.profile.id.clone(),
            label: job.account.label.clone(),
            report: self
                .revoke(
                    &job.profile,
                    &job.tokens,
                    job.client_secret.as_ref(),
                    job.verify,
                )
                .await,
        }
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
        let ctx = Ctx {
            profile,
            tokens,
            client_secret,
        };
        let mut report = Report {
            outcome: Outcome::Failed,
            http_status: None,
            error: None,
            attempts: 0,
            verified: None,
            retry_after_secs: None,
            note: None,
        };
        let plan = match self.plan(&ctx, &mut report).await {
            Ok(plan) => plan,
            Err(v) => return finish_with(report, v),
        };
        let (calls, introspection) = match plan {
            Plan::Done {
                outcome,
                error,
                note,
                retry_after,
            } => {
                report.outcome = outcome;
                report.error = error;
                report.note = Some(note);
                report.retry_after_secs = retry_after.map(|d| d.as_secs());
                return report;
            }
            Plan::Calls {
                calls,
                introspection,
            } => (calls, introspection),
        };
        let deadline = started + self.config.retry.budget;
        let secrets: Vec<&str> = ctx.secrets();
        let mut ended: Vec<&Planned> = Vec::new();
        let mut outcome = Outcome::AlreadyRevoked;
        for planned in &calls {
            let step = self
                .call_with_retries(&ctx, planned, &secrets, deadline)
                .await;
            report.attempts += step.attempts;
            report.http_status = step.status.or(report.http_status);
            match step.verdict {
                Verdict::Ended(o) => {
                    if o == Outcome::Revoked {
                        outcome = Outcome::Revoked;
                    }
                    ended.push(planned);
                }
                other => return finish_with(report, other),
            }
        }
        report.outcome = outcome;
        if verify {
            report.verified = match &introspection {
                Some(url) => self.verify(&ctx, url, &ended, &secrets).await,
                None => {
                    report.note = Some(
                        "no introspection endpoint is known, so the revocation could not be verified"
                            .into(),
                    );
                    None
                }
            };
        }
        report
    }

    /// Decides which calls to make, discovering endpoints for `oidc` profiles.
    async fn plan(&self, job: &Ctx<'_>, receipt: &mut Report) -> Result<Plan, Verdict> {
        let p = job.profile;
        if let Some(why) = &p.incomplete {
            return Err(Verdict::Permanent(ProviderError::new(
                "profile_incomplete",
                Some(why.clone()),
            )));
        }
        let t = job.tokens;
        let mut revocation = p.revocation_endpoint.clone();
        let mut introspection = p.introspection_endpoint.clone();
        if p.protocol == Protocol::Oidc {
            let issuer = p
                .issuer
                .as_ref()
                .expect("oidc profiles have an issuer (checked at load)");
            let meta = self
                .discover(issuer)
                .await
                .inspect_err(|_| receipt.attempts += 1)?;
            receipt.attempts += 1;
            revocation = revocation.or(meta.revocation_endpoint);
            introspection = introspection.or(meta.introspection_endpoint);
        }
        let revoke_calls = |url: Url| -> Vec<Planned> {
            let kinds: Vec<TokenKind> = match p.token_type_hint {
                // A profile that names a token type revokes that type only.
                Some(k) => vec![k],
                None => vec![TokenKind::RefreshToken, TokenKind::AccessToken],
            };
            kinds
                .into_iter()
                .filter_map(|k| {
                    let token = match k {
                        TokenKind::RefreshToken => t.refresh_token.clone(),
                        TokenKind::AccessToken => t.access_token.clone(),
                    }?;
                    Some(Planned {
                        kind: CallKind::Revocation,
                        url: url.clone(),
                        token,
                        token_kind: k,
                        field: Some("token"),
                        hint: Some(k),
                    })
                })
                .collect()
        };
        let local_only = |note: String| {
            Ok(Plan::Done {
                outcome: Outcome::LocalOnly,
                error: None,
                note,
                retry_after: None,
            })
        };
        let calls = match (p.protocol, p.signout) {
            (Protocol::KeycloakLogout, SignoutMode::Logout) => {
                let url = p.logout_endpoint.clone().expect("checked at load");
                match &t.refresh_token {
                    Some(rt) => vec![Planned { kind: CallKind::KeycloakLogout, url, token: rt.clone(), token_kind: TokenKind::RefreshToken, field: Some("refresh_token"), hint: None }],
                    None => match revocation.clone() {
                        Some(r) => revoke_calls(r),
                        None => return local_only("the account has no refresh token to end the session with, and the provider has no revocation endpoint; the access token stays valid until it expires".into()),
                    },
                }
            }
            (Protocol::BearerLogout, _) => {
                let url = p.logout_endpoint.clone().expect("checked at load");
                match &t.access_token {
                    Some(at) => vec![Planned { kind: CallKind::BearerLogout, url, token: at.clone(), token_kind: TokenKind::AccessToken, field: None, hint: None }],
                    None => return Err(Verdict::Permanent(ProviderError::new("no_access_token", Some("this provider logs out with an access token, and the account has none; sign in again, or forget the account locally".into())))),
                }
            }
            _ => match revocation.clone() {
                Some(url) => revoke_calls(url),
                None => {
                    return local_only(format!(
                        "{} publishes no revocation endpoint; the tokens were deleted here, and the server session lives on until it expires",
                        p.label
                    ));
                }
            },
        };
        if calls.is_empty() {
            return local_only(
                "the account holds no token this provider can revoke; it was deleted here only"
                    .into(),
            );
        }
        Ok(Plan::Calls {
            calls,
            introspection,
        })
    }

    async fn discover(&self, issuer: &Url) -> Result<Metadata, Verdict> {
        if let Some(m) = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(issuer)
        {
            return Ok(m.clone());
        }
        let _permit = self.host_permit(issuer).await;
        let meta = discovery::discover(&self.client, issuer).await?;
        self.discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(issuer.clone(), meta.clone());
        Ok(meta)
    }

    async fn host_permit(&self, url: &Url) -> tokio::sync::OwnedSemaphorePermit {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        );
        let sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(
                hosts
                    .entry(host)
                    .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_host.max(1)))),
            )
        };
        sem.acquire_owned()
            .await
            .expect("semaphore is never closed")
    }

    /// Makes one call, retrying transient failures within the budget.
    async fn call_with_retries(
        &self,
        job: &Ctx<'_>,
        planned: &Planned,
        secrets: &[&str],
        deadline: Instant,
    ) -> Step {
        let policy = self.config.retry;
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_attempts.saturating_sub(1))
            .with_jitter()
            .build();
        let mut attempts = 0;
        let mut status = None;
        loop {
            attempts += 1;
            let result = {
                let _permit = self.host_permit(&planned.url).await;
                self.call(job, planned).send(&self.client).await
            };
            let verdict = match result {
                Ok(answer) => {
                    status = Some(answer.status);
                    classify(
                        planned.kind,
                        answer.status,
                        answer.retry_after.as_deref(),
                        answer.location.as_deref(),
                        &answer.body,
                        secrets,
                        SystemTime::now(),
                    )
                }
                Err(CallError::Refused(e)) => Verdict::Permanent(e),
                Err(CallError::Network(e)) => Verdict::Retry {
                    after: None,
                    error: e,
                },
            };
            let Verdict::Retry { after, error } = verdict else {
                return Step {
                    verdict,
                    status,
                    attempts,
                };
            };
            let wait = match (after, backoff.next()) {
                (_, None) => None,
                (Some(asked), Some(_)) => Some(asked),
                (None, Some(d)) => Some(d),
            };
            let now = Instant::now();
            match wait {
                Some(w) if now.checked_add(w).is_some_and(|at| at <= deadline) => {
                    tracing::debug!(provider = %job.profile.id, attempt = attempts, wait_ms = w.as_millis() as u64, "retrying after {}", error.code);
                    tokio::time::sleep(w).await;
                }
                _ => {
                    return Step {
                        verdict: Verdict::Retry { after, error },
                        status,
                        attempts,
                    };
                }
            }
        }
    }

    /// Builds the HTTP call for a planned token call, with client authentication.
    fn call<'a>(&self, job: &Ctx<'_>, planned: &'a Planned) -> Call<'a> {
        let mut call = Call {
            url: &planned.url,
            form: Vec::new(),
            basic_auth: None,
            bearer: None,
        };
        match planned.field {
            None => call.bearer = Some(planned.token.expose_secret().to_owned()),
            Some(field) => {
                call.form
                    .push((field, planned.token.expose_secret().to_owned()));
                if let Some(h) = planned.hint {
                    call.form.push(("token_type_hint", h.as_str().to_owned()));
                }
                call.authenticate(job.profile, job.client_secret);
            }
        }
        call
    }

    /// Introspects each ended token; `Some(true)` when the server says all are inactive.
    async fn verify(
        &self,
        job: &Ctx<'_>,
        url: &Url,
        ended: &[&Planned],
        secrets: &[&str],
    ) -> Option<bool> {
        let mut all_inactive = true;
        for planned in ended {
            let mut call = Call {
                url,
                form: vec![
                    ("token", planned.token.expose_secret().to_owned()),
                    ("token_type_hint", planned.token_kind.as_str().to_owned()),
                ],
                basic_auth: None,
                bearer: None,
            };
            call.authenticate(job.profile, job.client_secret);
            let answer = {
                let _permit = self.host_permit(url).await;
                call.send(&self.client).await.ok()?
            };
            if answer.status != 200 {
                tracing::warn!(provider = %job.profile.id, status = answer.status, "introspection failed: {}", crate::outcome::provider_error(answer.status, &answer.body, secrets));
                return None;
            }
            let active = serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()?
                .get("active")?
                .as_bool()?;
            all_inactive &= !active;
        }
        Some(all_inactive)
    }
}

/// The inputs of one revocation, borrowed.
struct Ctx<'a> {
    profile: &'a Profile,
    tokens: &'a TokenBundle,
    client_secret: Option<&'a SecretString>,
}

impl Ctx<'_> {
    /// Everything that must never be echoed back in an error.
    fn secrets(&self) -> Vec<&str> {
        let t = self.tokens;
        [&t.refresh_token, &t.access_token, &t.id_token]
            .into_iter()
            .flatten()
            .map(SecretString::expose_secret)
            .chain(self.client_secret.map(SecretString::expose_secret))
            .collect()
    }
}

/// Turns a non-ended verdict into the receipt's outcome.
fn finish_with(mut receipt: Report, verdict: Verdict) -> Report {
    match verdict {
        Verdict::Ended(o) => receipt.outcome = o,
        Verdict::Permanent(e) => {
            receipt.outcome = Outcome::Failed;
            receipt.error = Some(e);
        }
        Verdict::Retry { after, error } => {
            receipt.outcome = Outcome::Pending;
            receipt.retry_after_secs = after.map(|d| d.as_secs());
            receipt.error = Some(error);
        }
    }
    receipt
}
