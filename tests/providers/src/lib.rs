//! Fake providers: local HTTP servers that speak the seed providers' protocols as their seed
//! documents (shared/seeds) describe them, for the demo (`signoff-app --features demo`) and the
//! tests. MeshyDB's RFC 7009 revocation and its documented token login (password grant,
//! refresh, anonymous user registration) in `meshydb.rs`; HyperID's Keycloak logout, revoke and
//! introspection in `hyperid.rs`; Matar's bearer logout (and a token check endpoint, `GET
//! /api/v1/me`) in `matar.rs`; GitHub's OAuth app token revoke and `GET /user` in `github.rs`;
//! the other built-ins of the catalogue (Slack, Dropbox, Google, Auth0, Okta, Cognito, npm,
//! Vault, GitLab, Twitch, Reddit, Zoom, Salesforce, Box, Discord, IAM Identity Center) each in
//! its own module, from that provider's documentation (docs/catalogue.md), answering a
//! [`Busy`] switch in the provider's own words. Each listens on 127.0.0.1 with a random port,
//! records every request, and has fault switches (429 with Retry-After, 503, 500, slow,
//! malformed or oversized body, redirect). This file holds what they share, and the
//! [`bystander`]. The admin sign-out APIs (issue #18: Keycloak, Okta, Microsoft Graph, Auth0,
//! Google Directory) have their own servers and shared state in [`admin`]. RFC 7009 endpoints
//! with a bounded capacity (few workers, or 429 past some number in flight), for bulk
//! revocation's adaptive limit, are in [`capacity`].

pub mod admin;
mod auth0;
mod aws_sso;
#[path = "box.rs"]
mod boxcom;
pub mod capacity;
mod cognito;
mod discord;
mod dropbox;
mod github;
mod gitlab;
mod google;
mod hyperid;
mod matar;
mod meshydb;
mod npm;
mod okta;
mod reddit;
mod salesforce;
mod slack;
mod twitch;
mod vault;
mod zoom;

pub use auth0::auth0;
pub use aws_sso::aws_sso;
pub use boxcom::boxcom;
pub use cognito::cognito;
pub use discord::discord;
pub use dropbox::dropbox;
pub use github::github;
pub use gitlab::gitlab;
pub use google::google;
pub use hyperid::{HYPERID_REALM, hyperid};
pub use matar::matar;
pub use meshydb::{MESHYDB_ACCOUNT, meshydb, meshydb_on};
pub use npm::npm;
pub use okta::okta;
pub use reddit::reddit;
pub use salesforce::salesforce;
pub use slack::slack;
pub use twitch::twitch;
pub use vault::vault;
pub use zoom::zoom;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

/// A fault the next requests get instead of the normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with this `Retry-After` (MeshyDB's "API or Database limit").
    RateLimited { retry_after: Option<String> },
    /// 503 with an optional `Retry-After`.
    Unavailable { retry_after: Option<String> },
    /// 500.
    ServerError,
    /// Answer normally, after this delay.
    Slow(Duration),
    /// 400 with a body that is not JSON.
    Malformed,
    /// 400 with a body of this many bytes.
    Oversized(usize),
    /// 307 to this URL.
    Redirect(String),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    pub form: HashMap<String, String>,
    /// When it arrived.
    pub at: Instant,
}

/// A passing condition a catalogue server answers in its provider's own words (its status,
/// headers and body), for the next requests: see [`TestServer::busy_next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// The provider's rate-limit answer, with the reset header it documents, asking to wait
    /// about a second or two.
    RateLimited,
    /// The provider cannot act on the call right now and documents that it should be tried
    /// again: Vault Enterprise's 412 (a standby has not caught up), Reddit's 403 while the site
    /// is read-only.
    Lagging,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Tokens the server considers live.
    live: HashSet<String>,
    /// Tokens that were revoked or logged out.
    ended: HashSet<String>,
    /// Live tokens issued to another client: this one's revoke cannot end them.
    foreign: HashSet<String>,
    faults: Vec<Fault>,
    fault_forever: Option<Fault>,
    seen: Vec<Seen>,
    /// MeshyDB users: name → password (anonymous users have MeshyDB's fixed password).
    users: HashMap<String, String>,
    /// Refresh tokens issued by the token endpoint, in order, with their user.
    issued: Vec<(String, String)>,
    in_flight: usize,
    max_in_flight: usize,
    /// The longest time the server took to answer one request.
    longest: Duration,
    /// Answer revocations and logouts as usual but keep the tokens live (a server that
    /// accepts the call and does not act on it: RFC 7009 lets it answer 200 either way).
    keeps_tokens: bool,
    /// Answers the next requests get in the provider's own words.
    busy: Vec<Busy>,
    /// Tokens that end together (one grant: a refresh token and its access tokens).
    grants: Vec<Vec<String>>,
    /// Tokens the provider knows, but as expired.
    expired: HashSet<String>,
}

/// Shared state of one test server.
#[derive(Debug, Clone)]
pub struct ServerState {
    pub(crate) inner: Arc<Mutex<Inner>>,
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// A running test server.
#[derive(Debug)]
pub struct TestServer {
    pub base: Url,
    pub state: ServerState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Marks a token as issued (live).
    pub fn issue(&self, token: &str) {
        self.state
            .inner
            .lock()
            .unwrap()
            .live
            .insert(token.to_owned());
    }

    /// Marks a token as live but issued to another client (GitHub: another OAuth app's).
    pub fn issue_foreign(&self, token: &str) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.foreign.insert(token.to_owned());
    }

    /// Ends a live token as if it had been revoked elsewhere (on another device, by the user).
    pub fn revoke_elsewhere(&self, token: &str) {
        self.issue(token);
        self.state.end(token);
    }

    /// Marks tokens as live and of one grant: ending one of them ends them all (Google,
    /// Dropbox, Cognito, Salesforce, Box, Discord).
    pub fn issue_grant(&self, tokens: &[&str]) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.live.extend(tokens.iter().map(|t| (*t).to_owned()));
        inner
            .grants
            .push(tokens.iter().map(|t| (*t).to_owned()).collect());
    }

    /// Marks a token as known to the provider but expired.
    pub fn issue_expired(&self, token: &str) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.expired.insert(token.to_owned());
    }

    /// The next `n` requests get the provider's own answer for `busy`.
    pub fn busy_next(&self, n: usize, busy: Busy) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.busy.extend(std::iter::repeat_n(busy, n));
    }

    /// True while the server accepts the token.
    pub fn is_live(&self, token: &str) -> bool {
        self.state.is_live(token)
    }

    /// The paths of every request so far, in order.
    pub fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }

    /// The time between the first request and the second.
    pub fn first_wait(&self) -> Duration {
        let seen = self.seen();
        seen[1].at.duration_since(seen[0].at)
    }

    /// Adds a MeshyDB user that can log in with `password`.
    pub fn add_user(&self, name: &str, password: &str) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.users.insert(name.to_owned(), password.to_owned());
    }

    /// True when a user of that name exists (registered anonymously or added).
    pub fn has_user(&self, name: &str) -> bool {
        self.state.inner.lock().unwrap().users.contains_key(name)
    }

    /// The refresh tokens the token endpoint issued so far, as (user, refresh token).
    pub fn issued(&self) -> Vec<(String, String)> {
        self.state.inner.lock().unwrap().issued.clone()
    }

    /// From now on, answer revocations and logouts as usual without ending the tokens (their
    /// introspection stays `active: true`).
    pub fn keep_tokens(&self) {
        self.state.inner.lock().unwrap().keeps_tokens = true;
    }

    /// True when the server no longer accepts the token.
    pub fn is_ended(&self, token: &str) -> bool {
        self.state.inner.lock().unwrap().ended.contains(token)
    }

    /// The next `n` requests get `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        let mut inner = self.state.inner.lock().unwrap();
        inner.faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Every request gets `fault` until cleared.
    pub fn fail_always(&self, fault: Option<Fault>) {
        self.state.inner.lock().unwrap().fault_forever = fault;
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.inner.lock().unwrap().seen.clone()
    }

    /// How many requests carried `token` (in the form or as a bearer).
    pub fn requests_with(&self, token: &str) -> usize {
        let bearer = format!("Bearer {token}");
        self.seen()
            .iter()
            .filter(|s| {
                s.form.values().any(|v| v == token) || s.authorization.as_deref() == Some(&bearer)
            })
            .count()
    }

    /// The most requests this server was answering at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.state.inner.lock().unwrap().max_in_flight
    }

    /// The longest time this server took to answer one request (from the request's arrival to
    /// its response, fault delays included).
    pub fn longest_request(&self) -> Duration {
        self.state.inner.lock().unwrap().longest
    }

    /// A URL on this server.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path.trim_start_matches('/')).unwrap()
    }
}

pub(crate) async fn serve(router: Router, state: ServerState, port: u16) -> TestServer {
    let router = router.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        count_in_flight,
    ));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    TestServer { base, state, task }
}

async fn count_in_flight(
    State(state): State<ServerState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    {
        let mut inner = state.inner.lock().unwrap();
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
    }
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let took = started.elapsed();
    let mut inner = state.inner.lock().unwrap();
    inner.in_flight -= 1;
    inner.longest = inner.longest.max(took);
    drop(inner);
    response
}

pub(crate) fn new_state(client_id: &str, client_secret: Option<&str>) -> ServerState {
    ServerState {
        inner: Arc::default(),
        client_id: client_id.to_owned(),
        client_secret: client_secret.map(str::to_owned),
    }
}

/// Records the request and applies a pending fault (see [`intake`]); then, when a [`Busy`]
/// answer is pending, gives the provider's own answer for it from `busy` (`None`: the provider
/// has no such answer, so the request is answered as usual).
pub(crate) async fn arrive(
    state: &ServerState,
    path: impl Into<String>,
    headers: &HeaderMap,
    body: &str,
    busy: impl FnOnce(Busy) -> Option<Response>,
) -> Option<Response> {
    if let Some(r) = intake(state, path.into(), headers, body).await {
        return Some(r);
    }
    state.busy().and_then(busy)
}

/// Records the request and applies a pending fault, if any.
pub(crate) async fn intake(
    state: &ServerState,
    path: String,
    headers: &HeaderMap,
    body: &str,
) -> Option<Response> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fault = {
        let mut inner = state.inner.lock().unwrap();
        inner.seen.push(Seen {
            path,
            authorization,
            form,
            at: Instant::now(),
        });
        if inner.faults.is_empty() {
            inner.fault_forever.clone()
        } else {
            Some(inner.faults.remove(0))
        }
    };
    answer_fault(fault?).await
}

/// The answer a [`Fault`] gives (`None` for [`Fault::Slow`]: answer normally, after the delay).
pub(crate) async fn answer_fault(fault: Fault) -> Option<Response> {
    match fault {
        Fault::RateLimited { retry_after } => Some(with_retry_after(
            StatusCode::TOO_MANY_REQUESTS,
            retry_after,
            "You have have either hit your API or Database limit. Please review your account.",
        )),
        Fault::Unavailable { retry_after } => Some(with_retry_after(
            StatusCode::SERVICE_UNAVAILABLE,
            retry_after,
            "Service Unavailable",
        )),
        Fault::ServerError => Some((StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response()),
        Fault::Slow(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Fault::Malformed => {
            Some((StatusCode::BAD_REQUEST, "<html><body>{error: nope").into_response())
        }
        Fault::Oversized(n) => Some((StatusCode::BAD_REQUEST, "e".repeat(n)).into_response()),
        Fault::Redirect(to) => Some(
            Response::builder()
                .status(StatusCode::TEMPORARY_REDIRECT)
                .header(header::LOCATION, to)
                .body(Body::empty())
                .unwrap(),
        ),
    }
}

fn with_retry_after(status: StatusCode, retry_after: Option<String>, text: &str) -> Response {
    let mut r = (status, text.to_owned()).into_response();
    if let Some(v) = retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, v.parse().unwrap());
    }
    r
}

impl ServerState {
    /// True while the server accepts the token (issued to this client, not ended).
    pub(crate) fn is_live(&self, token: &str) -> bool {
        self.inner.lock().unwrap().live.contains(token)
    }

    /// True for a live token of another client.
    pub(crate) fn is_foreign(&self, token: &str) -> bool {
        self.inner.lock().unwrap().foreign.contains(token)
    }

    /// True for a token that was ended here.
    pub(crate) fn was_ended(&self, token: &str) -> bool {
        self.inner.lock().unwrap().ended.contains(token)
    }

    /// True for a token the provider knows as expired.
    pub(crate) fn is_expired(&self, token: &str) -> bool {
        self.inner.lock().unwrap().expired.contains(token)
    }

    /// Takes the answer the next request gets in the provider's words, if one is pending.
    pub(crate) fn busy(&self) -> Option<Busy> {
        let mut inner = self.inner.lock().unwrap();
        (!inner.busy.is_empty()).then(|| inner.busy.remove(0))
    }

    /// Ends a token, and when it heads its grant (the first token given to
    /// [`TestServer::issue_grant`], the refresh token) every token of the grant; false when it
    /// was not live. Salesforce and Twitch end an access token alone.
    pub(crate) fn end_family(&self, token: &str) -> bool {
        let heads = {
            let inner = self.inner.lock().unwrap();
            inner
                .grants
                .iter()
                .any(|g| g.first().is_some_and(|t| t == token))
        };
        if heads {
            self.end_grant(token)
        } else {
            self.end(token)
        }
    }

    /// Ends a token and every token of its grant; false when it was not live.
    pub(crate) fn end_grant(&self, token: &str) -> bool {
        let grant = {
            let inner = self.inner.lock().unwrap();
            inner
                .grants
                .iter()
                .find(|g| g.iter().any(|t| t == token))
                .cloned()
        };
        let was_live = self.end(token);
        if was_live {
            for t in grant.unwrap_or_default() {
                self.end(&t);
            }
        }
        was_live
    }

    /// Ends a token (revoked or logged out); false when it was not live. A server that
    /// [keeps tokens](TestServer::keep_tokens) answers as if it ended it and keeps it live.
    pub(crate) fn end(&self, token: &str) -> bool {
        let mut inner = self.inner.lock().unwrap();
        if inner.keeps_tokens {
            return inner.live.contains(token);
        }
        let was_live = inner.live.remove(token);
        if was_live {
            inner.ended.insert(token.to_owned());
        }
        was_live
    }
}

/// 400 `{"error": "invalid_request"}` (no token in the form).
pub(crate) fn invalid_request() -> Response {
    json(
        StatusCode::BAD_REQUEST,
        serde_json::json!({"error": "invalid_request"}),
    )
}

/// The provider's 429 for [`Busy::RateLimited`] (for [`arrive`]), with this body and headers.
pub(crate) fn limited(
    body: serde_json::Value,
    headers: &[(&'static str, String)],
) -> impl FnOnce(Busy) -> Option<Response> + use<> {
    let r = with_headers(json(StatusCode::TOO_MANY_REQUESTS, body), headers);
    move |b| (b == Busy::RateLimited).then_some(r)
}

/// A server with one route: `path`, answered by `route`.
pub(crate) async fn serve_at(
    state: ServerState,
    path: &str,
    route: axum::routing::MethodRouter<ServerState>,
) -> TestServer {
    let router = Router::new().route(path, route).with_state(state.clone());
    serve(router, state, 0).await
}

/// An OAuth error answer, `{"error": code, "error_description": description}`.
pub(crate) fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    json(
        status,
        serde_json::json!({"error": code, "error_description": description}),
    )
}

pub(crate) fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// A header's value as text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = header(headers, "authorization")?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// HTTP Basic credentials, form-decoded (RFC 6749 §2.3.1).
pub(crate) fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let b = header(headers, "authorization")?.strip_prefix("Basic ")?;
    let text = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .ok()?,
    )
    .ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

/// True when the body is declared as `application/x-www-form-urlencoded`.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    header(headers, "content-type")
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The form's parameters, or `None` when one of them is sent twice (RFC 6749 §3.2: "parameters
/// MUST NOT be included more than once").
pub(crate) fn form_once(body: &str) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body.as_bytes()).into_owned() {
        if out.insert(k, v).is_some() {
            return None;
        }
    }
    Some(out)
}

/// A form body's parameters and its `token`, or `bad` (the provider's answer to a request
/// that is not one: another content type, a parameter sent twice, no token).
#[allow(clippy::result_large_err)] // the error is the answer, returned at once
pub(crate) fn form_token(
    headers: &HeaderMap,
    body: &str,
    bad: impl Fn() -> Response,
) -> Result<(HashMap<String, String>, String), Response> {
    let form = form_once(body)
        .filter(|_| is_form(headers))
        .ok_or_else(&bad)?;
    let token = form.get("token").cloned().ok_or_else(bad)?;
    Ok((form, token))
}

/// A JSON object's string fields, or `None` when the body is not a JSON object.
pub(crate) fn json_fields(body: &str) -> Option<HashMap<String, String>> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(
        v.as_object()?
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
    )
}

/// Where a provider takes the client's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientIn {
    /// HTTP Basic only.
    Basic,
    /// `client_id` and `client_secret` in the body only.
    Body,
    /// Either, but not both at once.
    Either,
}

/// How the client's credentials compare with the ones this server registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    Ok,
    /// None sent where the provider looks (a public client: no `client_id`).
    Missing,
    /// Another client, or the wrong secret.
    Wrong,
    /// Basic and body credentials at once.
    Both,
}

/// Checks the client's credentials in `headers` and the body's `params`. A confidential client
/// (the server has a secret) must send its id and secret; a public one its id.
pub(crate) fn check_client(
    state: &ServerState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    at: ClientIn,
) -> Client {
    let basic = basic(headers).filter(|_| at != ClientIn::Body);
    let body_id = params.get("client_id").filter(|_| at != ClientIn::Basic);
    let body_secret = params
        .get("client_secret")
        .filter(|_| at != ClientIn::Basic);
    if basic.is_some() && body_secret.is_some() {
        return Client::Both;
    }
    let (id, secret) = match (&basic, body_id) {
        (Some((id, secret)), _) => (Some(id), Some(secret)),
        (None, id) => (id, body_secret),
    };
    let Some(id) = id else {
        return Client::Missing;
    };
    let right = *id == state.client_id
        && state
            .client_secret
            .as_ref()
            .is_none_or(|s| secret == Some(s));
    if right { Client::Ok } else { Client::Wrong }
}

/// An answer with no body.
pub(crate) fn empty(status: StatusCode) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .unwrap()
}

/// `r` with these headers added.
pub(crate) fn with_headers(mut r: Response, headers: &[(&'static str, String)]) -> Response {
    for (name, value) in headers {
        r.headers_mut().insert(*name, value.parse().unwrap());
    }
    r
}

/// Unix time `secs` seconds from now (epoch-style rate-limit reset headers).
pub(crate) fn epoch_in(secs: u64) -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now + secs).to_string()
}

pub(crate) fn form_of(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// A server that records requests and answers 200 to anything: the "other host" a redirect
/// points to. A token must never arrive here.
pub async fn bystander() -> TestServer {
    let state = new_state("", None);
    let router = Router::new()
        .fallback(bystander_any)
        .with_state(state.clone());
    serve(router, state, 0).await
}

async fn bystander_any(
    State(state): State<ServerState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    intake(&state, uri.path().to_owned(), &headers, &body).await;
    StatusCode::OK.into_response()
}
