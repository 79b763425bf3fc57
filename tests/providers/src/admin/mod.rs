//! Admin API test servers (issue #18): an IT admin signs a person out at their identity provider
//! with admin credentials. One server per provider, each from that provider's public docs as
//! docs/admin-signout.md records them: [`keycloak()`] (Admin REST), [`okta()`] (users API),
//! [`graph()`] (Microsoft identity platform token + Graph `revokeSignInSessions`), [`auth0()`]
//! (Management API) and [`google()`] (service-account token + Admin SDK Directory `signOut`).
//!
//! What they share lives here: the [`AdminServer`] handle, a directory of users with their live
//! sessions and app tokens, the admin credentials and the admin access tokens issued, the
//! admin's permissions (scopes or roles, each server names its own), request counters, and the
//! fault switches: [`AdminServer::fail_next`] (the crate's [`Fault`]s, on every path),
//! [`AdminServer::rate_limit_next`] (each provider's documented throttling answer, on the admin
//! API paths only, not the token endpoint) and [`AdminServer::set_delay`] (a service time for
//! concurrency tests).
//!
//! Assumed for all five (the docs are silent): a fault or throttling answer does not act on the
//! request; the permission check uses the scopes a token was issued with (withholding a scope
//! after a token was issued does not change that token), except Okta's SSWS API token, which acts
//! with the admin's current permissions; path segments are percent-decoded once (axum), and a
//! segment that is not UTF-8 after decoding is answered 400 by axum, never a panic.

pub mod auth0;
pub mod google;
pub mod graph;
pub mod keycloak;
pub mod okta;

pub use auth0::auth0;
pub use google::{google, google_test_key_pem, sign_test_assertion};
pub use graph::graph;
pub use keycloak::keycloak;
pub use okta::okta;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use url::Url;

use crate::{Fault, answer_fault, bearer};

/// One live sign-in session of a user.
#[derive(Debug, Clone)]
pub struct AdminSession {
    pub id: String,
    pub ip_address: String,
    /// Epoch milliseconds (Keycloak's `start`).
    pub start: u64,
    /// Epoch milliseconds (Keycloak's `lastAccess`).
    pub last_access: u64,
    /// Client UUID → client id (Keycloak's `clients`).
    pub clients: BTreeMap<String, String>,
}

/// A token a user gave an application: an Auth0 refresh token, a Google OAuth grant
/// (`tokens.list`), an Okta or Entra refresh token.
#[derive(Debug, Clone)]
pub struct AppToken {
    pub id: String,
    pub client_id: String,
    pub display_text: String,
}

/// A user of the directory.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub id: String,
    pub email: String,
    /// Keycloak `username`, Okta `login`, Entra `userPrincipalName`.
    pub username: String,
    pub display_name: String,
    pub sessions: Vec<AdminSession>,
    pub tokens: Vec<AppToken>,
    /// A sign-out call for this user succeeded.
    pub signed_out: bool,
}

/// One request as an admin server saw it.
#[derive(Debug, Clone)]
pub struct AdminSeen {
    pub method: String,
    /// The path as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    pub authorization: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct AdminInner {
    pub(crate) users: Vec<AdminUser>,
    /// Admin access token → the scopes (roles) it carries, in issue order.
    pub(crate) tokens: Vec<(String, HashSet<String>)>,
    /// What the admin principal is allowed (scopes, app roles or realm-management roles).
    pub(crate) granted: HashSet<String>,
    /// Keycloak's realm, Entra's tenant.
    pub(crate) tenant: String,
    /// Provider knobs: Auth0 "not on an Enterprise plan".
    pub(crate) not_enterprise: bool,
    /// Google: the e-mails of the Workspace admins a service account may act as.
    pub(crate) admins: HashSet<String>,
    /// Google: the service account's RSA public key (DER `RSAPublicKey`); Okta: the service
    /// app's.
    pub(crate) public_key: Vec<u8>,
    /// Okta: the service app's client id (none: no service app).
    pub(crate) app_client_id: String,
    /// Okta: the `jti`s of client assertions already used.
    pub(crate) used_jti: HashSet<String>,
    seen: Vec<AdminSeen>,
    faults: Vec<Fault>,
    /// Pending throttling answers: (reset in seconds, plain 429 instead of the provider's
    /// primary answer).
    limits: Vec<(u64, bool)>,
    delay: Duration,
    in_flight: usize,
    max_in_flight: usize,
    next_id: u64,
}

/// The claims of an RS256 JWT whose signature `public_key` (DER `RSAPublicKey`) verifies.
pub(crate) fn verified_rs256(public_key: &[u8], jwt: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    let mut parts = jwt.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "RS256" {
        return None;
    }
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(format!("{h}.{p}").as_bytes(), &sig)
        .ok()?;
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    claims.is_object().then_some(claims)
}

/// The provider-specific parts the shared middleware needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flavor {
    /// True for the token endpoint's path (no throttling answers there).
    pub(crate) is_token_path: fn(&str) -> bool,
    /// The provider's throttling answer: reset/retry in seconds, plain 429 or the primary form.
    pub(crate) limited: fn(u64, bool) -> Response,
}

/// Shared state of one admin server.
#[derive(Debug, Clone)]
pub struct AdminState {
    pub(crate) inner: Arc<Mutex<AdminInner>>,
    /// The admin credentials: client id (Google: the service account's `client_email`).
    pub client_id: String,
    /// Client secret (Okta: the SSWS API token; Google: unused).
    pub client_secret: String,
    pub(crate) flavor: Flavor,
    /// The server's own base URL, once it listens.
    pub(crate) base: Arc<Mutex<Option<Url>>>,
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for AbortOnDrop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AbortOnDrop")
    }
}

/// A running admin test server; clones share it, and it stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct AdminServer {
    pub base: Url,
    pub state: AdminState,
    _task: Arc<AbortOnDrop>,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) fn now_secs() -> u64 {
    now_ms() / 1000
}

impl AdminServer {
    /// A URL on this server.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path.trim_start_matches('/')).unwrap()
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, AdminInner> {
        self.state.inner.lock().unwrap()
    }

    /// Adds a user (display name: the username).
    pub fn add_user(&self, id: &str, email: &str, username: &str) {
        self.add_user_named(id, email, username, username);
    }

    /// Adds a user with a display name.
    pub fn add_user_named(&self, id: &str, email: &str, username: &str, display_name: &str) {
        self.inner().users.push(AdminUser {
            id: id.to_owned(),
            email: email.to_owned(),
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            sessions: Vec::new(),
            tokens: Vec::new(),
            signed_out: false,
        });
    }

    /// Gives the user one more live session (IP `10.0.0.<n>`, started now, client `account`);
    /// its id. The user counts as signed in again. Panics for an unknown user (a test's
    /// mistake).
    pub fn add_session(&self, user_id: &str) -> String {
        let mut inner = self.inner();
        inner.next_id += 1;
        let n = inner.next_id;
        let id = format!("{:08x}-0000-4000-8000-{n:012x}", n);
        let now = now_ms();
        let user = inner
            .users
            .iter_mut()
            .find(|u| u.id == user_id)
            .expect("add_session: no such user");
        user.sessions.push(AdminSession {
            id: id.clone(),
            ip_address: format!("10.0.0.{}", n % 250 + 1),
            start: now,
            last_access: now,
            clients: BTreeMap::from([(
                format!("c0ffee00-0000-4000-8000-{n:012x}"),
                "account".to_owned(),
            )]),
        });
        user.signed_out = false;
        id
    }

    /// Gives the user a token of the application `client_id` (an Auth0 refresh token, a Google
    /// OAuth grant); its id. Panics for an unknown user.
    pub fn add_token(&self, user_id: &str, client_id: &str, display_text: &str) -> String {
        let mut inner = self.inner();
        inner.next_id += 1;
        let id = format!("rt-{}", inner.next_id);
        let user = inner
            .users
            .iter_mut()
            .find(|u| u.id == user_id)
            .expect("add_token: no such user");
        user.tokens.push(AppToken {
            id: id.clone(),
            client_id: client_id.to_owned(),
            display_text: display_text.to_owned(),
        });
        id
    }

    /// The user's live sessions (0 for an unknown user).
    pub fn sessions_of(&self, user_id: &str) -> usize {
        self.user(user_id).map_or(0, |u| u.sessions.len())
    }

    /// The user's live app tokens (0 for an unknown user).
    pub fn tokens_of(&self, user_id: &str) -> usize {
        self.user(user_id).map_or(0, |u| u.tokens.len())
    }

    /// True once a sign-out call for the user succeeded and none of their sessions is left.
    pub fn is_signed_out(&self, user_id: &str) -> bool {
        self.user(user_id)
            .is_some_and(|u| u.signed_out && u.sessions.is_empty())
    }

    /// A copy of the user.
    pub fn user(&self, user_id: &str) -> Option<AdminUser> {
        self.inner().users.iter().find(|u| u.id == user_id).cloned()
    }

    /// The admin access tokens issued so far (token endpoint or [`Self::issue_token`]).
    pub fn issued_admin_tokens(&self) -> Vec<String> {
        self.inner().tokens.iter().map(|(t, _)| t.clone()).collect()
    }

    /// Accepts `token` as an admin bearer token carrying `scopes` (as if issued elsewhere: an
    /// Okta service app's token).
    pub fn issue_token(&self, token: &str, scopes: &[&str]) {
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.inner().tokens.push((token.to_owned(), scopes));
    }

    /// Takes a permission (scope, app role or realm-management role) from the admin: tokens
    /// issued from now on lack it.
    pub fn withhold(&self, scope: &str) {
        self.inner().granted.remove(scope);
    }

    /// Gives the admin a permission back.
    pub fn grant(&self, scope: &str) {
        self.inner().granted.insert(scope.to_owned());
    }

    /// The admin's current permissions.
    pub fn granted(&self) -> Vec<String> {
        let mut v: Vec<String> = self.inner().granted.iter().cloned().collect();
        v.sort();
        v
    }

    /// Auth0: the tenant is not on an Enterprise plan (the session and refresh-token endpoints
    /// answer 403).
    pub fn set_not_enterprise(&self, not: bool) {
        self.inner().not_enterprise = not;
    }

    /// Google: whether `email` is a Workspace admin a service account may act as (`sub`).
    pub fn set_admin(&self, email: &str, admin: bool) {
        let mut inner = self.inner();
        if admin {
            inner.admins.insert(email.to_ascii_lowercase());
        } else {
            inner.admins.remove(&email.to_ascii_lowercase());
        }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<AdminSeen> {
        self.inner().seen.clone()
    }

    /// How many requests came to `path` (as sent, percent-encoded; any method, any query).
    pub fn requests_to(&self, path: &str) -> usize {
        self.inner().seen.iter().filter(|s| s.path == path).count()
    }

    /// Requests seen per path.
    pub fn requests_per_path(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for s in &self.inner().seen {
            *out.entry(s.path.clone()).or_default() += 1;
        }
        out
    }

    /// The queries that came with requests to `path`, in order (`""` for none).
    pub fn queries_to(&self, path: &str) -> Vec<String> {
        self.inner()
            .seen
            .iter()
            .filter(|s| s.path == path)
            .map(|s| s.query.clone().unwrap_or_default())
            .collect()
    }

    /// The most requests this server was answering at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.inner().max_in_flight
    }

    /// The next `n` requests (any path) get `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        self.inner().faults.extend(std::iter::repeat_n(fault, n));
    }

    /// The next `n` admin API requests (not the token endpoint) get the provider's documented
    /// throttling answer, telling to wait `reset_in_secs` (Okta 429 E0000047 + `X-Rate-Limit-*`,
    /// Graph 429 `Retry-After`, Auth0 429 `x-ratelimit-*`, Google 403 `userRateLimitExceeded`,
    /// Keycloak 503 `Retry-After`).
    pub fn rate_limit_next(&self, n: usize, reset_in_secs: u64) {
        self.inner()
            .limits
            .extend(std::iter::repeat_n((reset_in_secs, false), n));
    }

    /// Like [`Self::rate_limit_next`], but the plain 429 form where a provider has two (Google's
    /// 429 `rateLimitExceeded`); the same answer elsewhere.
    pub fn too_many_next(&self, n: usize, retry_in_secs: u64) {
        self.inner()
            .limits
            .extend(std::iter::repeat_n((retry_in_secs, true), n));
    }

    /// Every request waits this long before it is answered (a service time).
    pub fn set_delay(&self, delay: Duration) {
        self.inner().delay = delay;
    }

    /// Every admin access token issued so far stops working (as when it expires): calls with
    /// one are answered 401 until a new one is fetched.
    pub fn expire_admin_tokens(&self) {
        self.inner().tokens.clear();
    }

    /// Okta: registers an OAuth service app `client_id` whose public key (its private key is
    /// [`google_test_key_pem`], the test key) signs its client assertions.
    pub fn add_service_app(&self, client_id: &str) {
        let mut inner = self.inner();
        inner.app_client_id = client_id.to_owned();
        inner.public_key = google::test_key().public().as_ref().to_vec();
    }
}

impl AdminState {
    pub(crate) fn new(
        client_id: &str,
        client_secret: &str,
        granted: &[&str],
        flavor: Flavor,
    ) -> Self {
        let inner = AdminInner {
            granted: granted.iter().map(|s| (*s).to_owned()).collect(),
            ..AdminInner::default()
        };
        AdminState {
            inner: Arc::new(Mutex::new(inner)),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            flavor,
            base: Arc::default(),
        }
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, AdminInner> {
        self.inner.lock().unwrap()
    }

    /// The server's base URL (`http://127.0.0.1:<port>/`).
    pub(crate) fn base(&self) -> String {
        self.base
            .lock()
            .unwrap()
            .as_ref()
            .map(Url::to_string)
            .unwrap_or_default()
    }

    /// Issues a new admin access token with `scopes`.
    pub(crate) fn issue(&self, prefix: &str, scopes: HashSet<String>) -> String {
        let token = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
        self.lock().tokens.push((token.clone(), scopes));
        token
    }

    /// The scopes of the bearer token in `headers`, `None` when there is none or it is unknown.
    pub(crate) fn bearer_scopes(&self, headers: &HeaderMap) -> Option<HashSet<String>> {
        let token = bearer(headers)?;
        self.lock()
            .tokens
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, s)| s.clone())
    }

    /// The admin's current permissions.
    pub(crate) fn granted(&self) -> HashSet<String> {
        self.lock().granted.clone()
    }

    /// Runs `f` on the user `pick` finds; `None` when none matches.
    pub(crate) fn with_user<T>(
        &self,
        pick: impl Fn(&AdminUser) -> bool,
        f: impl FnOnce(&mut AdminUser) -> T,
    ) -> Option<T> {
        let mut inner = self.lock();
        inner.users.iter_mut().find(|u| pick(u)).map(f)
    }

    /// Copies of the users `pick` matches.
    pub(crate) fn users_where(&self, pick: impl Fn(&AdminUser) -> bool) -> Vec<AdminUser> {
        self.lock()
            .users
            .iter()
            .filter(|u| pick(u))
            .cloned()
            .collect()
    }
}

/// Ends every session of the user (a successful sign-out call).
pub(crate) fn sign_out(u: &mut AdminUser) {
    u.sessions.clear();
    u.signed_out = true;
}

/// Starts an admin server on 127.0.0.1 with a random port.
pub(crate) async fn serve_admin(router: Router<AdminState>, state: AdminState) -> AdminServer {
    let router = router
        .layer(axum::middleware::from_fn_with_state(state.clone(), intake))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    *state.base.lock().unwrap() = Some(base.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    AdminServer {
        base,
        state,
        _task: Arc::new(AbortOnDrop(task)),
    }
}

/// Records the request, counts it in flight, waits the service time, and answers a pending
/// fault or throttling answer instead of the handler.
async fn intake(
    State(state): State<AdminState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let (delay, fault, limit) = {
        let mut inner = state.lock();
        inner.seen.push(AdminSeen {
            method: req.method().to_string(),
            path: path.clone(),
            query: req.uri().query().map(str::to_owned),
            authorization: req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        let fault = (!inner.faults.is_empty()).then(|| inner.faults.remove(0));
        let limit = if fault.is_none()
            && !(state.flavor.is_token_path)(&path)
            && !inner.limits.is_empty()
        {
            Some(inner.limits.remove(0))
        } else {
            None
        };
        (inner.delay, fault, limit)
    };
    // Counted out when the answer is ready, or when the client went away mid-request.
    let _counted = InFlight(state.clone());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let answer = match (fault, limit) {
        (Some(f), _) => answer_fault(f).await,
        (None, Some((secs, plain))) => Some((state.flavor.limited)(secs, plain)),
        (None, None) => None,
    };
    match answer {
        Some(r) => r,
        None => next.run(req).await,
    }
}

/// One request in flight; dropping it counts the request out.
struct InFlight(AdminState);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.0.inner.lock() {
            inner.in_flight = inner.in_flight.saturating_sub(1);
        }
    }
}

/// The query string's parameters (form-decoded; the last of a repeated name wins).
pub(crate) fn query_of(query: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// 400 with a short text body: a request the server cannot read.
pub(crate) fn bad_request() -> Response {
    crate::json(
        StatusCode::BAD_REQUEST,
        serde_json::json!({"error": "invalid_request"}),
    )
}
