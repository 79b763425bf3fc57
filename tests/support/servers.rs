//! Test servers for the seed providers, written from the seed documents (shared/seeds): MeshyDB's
//! RFC 7009 revocation, HyperID's Keycloak logout, revoke and introspection, Matar's bearer
//! logout. Each listens on 127.0.0.1 with a random port, records every request, and has fault
//! switches (429 with Retry-After, 503, 500, slow, malformed or oversized body, redirect).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
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
struct Inner {
    /// Tokens the server considers live.
    live: HashSet<String>,
    /// Tokens that were revoked or logged out.
    ended: HashSet<String>,
    faults: Vec<Fault>,
    fault_forever: Option<Fault>,
    seen: Vec<Seen>,
    in_flight: usize,
    max_in_flight: usize,
    /// The longest time the server took to answer one request.
    longest: Duration,
}

/// Shared state of one test server.
#[derive(Debug, Clone)]
pub struct ServerState {
    inner: Arc<Mutex<Inner>>,
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

async fn serve(router: Router, state: ServerState, port: u16) -> TestServer {
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

fn new_state(client_id: &str, client_secret: Option<&str>) -> ServerState {
    ServerState {
        inner: Arc::default(),
        client_id: client_id.to_owned(),
        client_secret: client_secret.map(str::to_owned),
    }
}

/// Records the request and applies a pending fault, if any.
async fn intake(
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

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// Client credentials from Basic auth or the form.
fn client_of(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64_decode(basic);
        if let Some((id, secret)) = decoded.split_once(':') {
            let dec = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            return (dec(id), dec(secret));
        }
    }
    (
        form.get("client_id").cloned(),
        form.get("client_secret").cloned(),
    )
}

fn base64_decode(s: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn form_of(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// MeshyDB: POST /{accountName}/connect/revocation, form token, token_type_hint, client_id.
// 200 OK on logout; 400 for an invalid client id, a missing token, an unsupported token type;
// 429 when the API or database limit is hit.

/// The MeshyDB account name the server answers for.
pub const MESHYDB_ACCOUNT: &str = "acme";

pub async fn meshydb(public_key: &str) -> TestServer {
    meshydb_on(public_key, 0).await
}

/// MeshyDB on a given port (0: any), e.g. to bring a "down" provider back where it was.
pub async fn meshydb_on(public_key: &str, port: u16) -> TestServer {
    let state = new_state(public_key, None);
    let router = Router::new()
        .route("/{account}/connect/revocation", post(meshydb_revocation))
        .with_state(state.clone());
    serve(router, state, port).await
}

async fn meshydb_revocation(
    State(state): State<ServerState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = intake(
        &state,
        format!("/{account}/connect/revocation"),
        &headers,
        &body,
    )
    .await
    {
        return r;
    }
    if account != MESHYDB_ACCOUNT {
        return (StatusCode::NOT_FOUND, "Account not found").into_response();
    }
    let form = form_of(&body);
    if form.get("client_id") != Some(&state.client_id) {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_client"}),
        );
    }
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_request"}),
        );
    };
    match form.get("token_type_hint").map(String::as_str) {
        None | Some("refresh_token") | Some("access_token") => {}
        Some(_) => {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "unsupported_token_type"}),
            );
        }
    }
    let mut inner = state.inner.lock().unwrap();
    if inner.live.remove(token) {
        inner.ended.insert(token.clone());
    }
    StatusCode::OK.into_response()
}

// ---------------------------------------------------------------------------------------------
// HyperID (Keycloak): /auth/realms/{realm}/protocol/openid-connect/{logout,revoke,token/introspect}
// with client_id and client_secret in the form. Logout: 200 while the session is active,
// 400 invalid_grant once it is not, 401 invalid_client for bad credentials.

pub const HYPERID_REALM: &str = "HyperID";

pub async fn hyperid(client_id: &str, client_secret: &str) -> TestServer {
    let state = new_state(client_id, Some(client_secret));
    let base = "/auth/realms/{realm}/protocol/openid-connect";
    let router = Router::new()
        .route(&format!("{base}/logout"), post(hyperid_logout))
        .route(&format!("{base}/revoke"), post(hyperid_revoke))
        .route(
            &format!("{base}/token/introspect"),
            post(hyperid_introspect),
        )
        .with_state(state.clone());
    serve(router, state, 0).await
}

fn hyperid_client_ok(
    state: &ServerState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> bool {
    let (id, secret) = client_of(headers, form);
    id.as_deref() == Some(&state.client_id) && secret == state.client_secret
}

fn invalid_client() -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        serde_json::json!({"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"}),
    )
}

async fn hyperid_logout(
    State(state): State<ServerState>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = intake(
        &state,
        format!("/auth/realms/{realm}/protocol/openid-connect/logout"),
        &headers,
        &body,
    )
    .await
    {
        return r;
    }
    let form = form_of(&body);
    if realm != HYPERID_REALM {
        return json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "Realm does not exist"}),
        );
    }
    if !hyperid_client_ok(&state, &headers, &form) {
        return invalid_client();
    }
    let Some(rt) = form.get("refresh_token") else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_request", "error_description": "Refresh token not provided"}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.live.remove(rt) {
        inner.ended.insert(rt.clone());
        StatusCode::NO_CONTENT.into_response()
    } else {
        json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant", "error_description": "Session not active"}),
        )
    }
}

async fn hyperid_revoke(
    State(state): State<ServerState>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = intake(
        &state,
        format!("/auth/realms/{realm}/protocol/openid-connect/revoke"),
        &headers,
        &body,
    )
    .await
    {
        return r;
    }
    let form = form_of(&body);
    if !hyperid_client_ok(&state, &headers, &form) {
        return invalid_client();
    }
    let Some(token) = form.get("token") else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_request"}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.live.remove(token) {
        inner.ended.insert(token.clone());
    }
    StatusCode::OK.into_response()
}

async fn hyperid_introspect(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let form = form_of(&body);
    if !hyperid_client_ok(&state, &headers, &form) {
        return invalid_client();
    }
    let active = form
        .get("token")
        .is_some_and(|t| state.inner.lock().unwrap().live.contains(t));
    json(StatusCode::OK, serde_json::json!({ "active": active }))
}

// ---------------------------------------------------------------------------------------------
// Matar: POST /api/v1/logout with Authorization: Bearer <access token>. 200 {"message":
// "Successfully logged out"}; 401 {"description": "The token has been revoked.", "error":
// "token_revoked"} once revoked; 401 for a token it never issued (expired or unknown).

pub async fn matar() -> TestServer {
    let state = new_state("", None);
    let router = Router::new()
        .route("/api/v1/logout", post(matar_logout))
        .with_state(state.clone());
    serve(router, state, 0).await
}

async fn matar_logout(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = intake(&state, "/api/v1/logout".into(), &headers, &body).await {
        return r;
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(token) = token else {
        return json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": "missing_token", "description": "Authorization header required."}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.live.remove(&token) {
        inner.ended.insert(token);
        json(
            StatusCode::OK,
            serde_json::json!({"message": "Successfully logged out"}),
        )
    } else if inner.ended.contains(&token) {
        json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"description": "The token has been revoked.", "error": "token_revoked"}),
        )
    } else {
        json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"description": "The token has expired.", "error": "token_expired"}),
        )
    }
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
