//! Fake providers: local HTTP servers that speak the seed providers' protocols as their seed
//! documents (shared/seeds) describe them, for the demo (`signoff-app --features demo`) and the
//! tests. MeshyDB's RFC 7009 revocation and its documented token login (password grant,
//! refresh, anonymous user registration) in `meshydb.rs`; HyperID's Keycloak logout, revoke and
//! introspection in `hyperid.rs`; Matar's bearer logout (and a token check endpoint, `GET
//! /api/v1/me`) in `matar.rs`; GitHub's OAuth app token revoke and `GET /user` in `github.rs`. Each listens on 127.0.0.1 with a random port, records every
//! request, and has fault switches (429 with Retry-After, 503, 500, slow, malformed or
//! oversized body, redirect). This file holds what they share, and the [`bystander`].

mod github;
mod hyperid;
mod matar;
mod meshydb;

pub use github::github;
pub use hyperid::{HYPERID_REALM, hyperid};
pub use matar::matar;
pub use meshydb::{MESHYDB_ACCOUNT, meshydb, meshydb_on};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
        });
        if inner.faults.is_empty() {
            inner.fault_forever.clone()
        } else {
            Some(inner.faults.remove(0))
        }
    };
    match fault? {
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

pub(crate) fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
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
