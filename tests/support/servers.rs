//! Test servers for the seed providers, written from the seed documents (shared/seeds): MeshyDB's
//! RFC 7009 revocation (and its documented token login: password grant, refresh, anonymous
//! user registration), HyperID's Keycloak logout, revoke and introspection, Matar's bearer
//! logout (and a token check endpoint, `GET /api/v1/me`). Each listens on 127.0.0.1 with a random port, records every request, and has fault
//! switches (429 with Retry-After, 503, 500, slow, malformed or oversized body, redirect).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    /// MeshyDB users: name → password (anonymous users have MeshyDB's fixed password).
    users: HashMap<String, String>,
    /// Refresh tokens issued by the token endpoint, in order, with their user.
    issued: Vec<(String, String)>,
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
        .route("/{account}/connect/token", post(meshydb_token))
        .route(
            "/{account}/users/register/anonymous",
            post(meshydb_register_anonymous),
        )
        .with_state(state.clone());
    serve(router, state, port).await
}

/// What every MeshyDB form endpoint does first: record the request (and apply a fault), check
/// the account name and the public key (`client_id`); gives the form.
async fn meshydb_client_form(
    state: &ServerState,
    account: &str,
    path: String,
    headers: &HeaderMap,
    body: &str,
) -> Result<HashMap<String, String>, Response> {
    if let Some(r) = intake(state, path, headers, body).await {
        return Err(r);
    }
    if account != MESHYDB_ACCOUNT {
        return Err((StatusCode::NOT_FOUND, "Account not found").into_response());
    }
    let form = form_of(body);
    if form.get("client_id") != Some(&state.client_id) {
        return Err(json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_client"}),
        ));
    }
    Ok(form)
}

async fn meshydb_revocation(
    State(state): State<ServerState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/{account}/connect/revocation");
    let form = match meshydb_client_form(&state, &account, path, &headers, &body).await {
        Ok(form) => form,
        Err(r) => return r,
    };
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

/// MeshyDB's documented token login (docs/authorization/generating_token and refreshing_token):
/// `POST /{accountName}/connect/token`, form `client_id`, `grant_type=password` with `username`,
/// `password` and `scope=meshy.api offline_access`, or `grant_type=refresh_token`. Answers
/// `{access_token, expires_in: 3600, token_type: "Bearer", refresh_token}`.
async fn meshydb_token(
    State(state): State<ServerState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/{account}/connect/token");
    let form = match meshydb_client_form(&state, &account, path, &headers, &body).await {
        Ok(form) => form,
        Err(r) => return r,
    };
    let invalid_grant = || {
        json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant"}),
        )
    };
    let mut inner = state.inner.lock().unwrap();
    let (user, refresh) = match form.get("grant_type").map(String::as_str) {
        Some("password") => {
            let (Some(name), Some(password)) = (form.get("username"), form.get("password")) else {
                return invalid_grant();
            };
            if inner.users.get(name) != Some(password) {
                return invalid_grant();
            }
            let scopes: Vec<&str> = form
                .get("scope")
                .map(|s| s.split(' ').collect())
                .unwrap_or_default();
            if !scopes.contains(&"meshy.api") {
                return json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"error": "invalid_scope"}),
                );
            }
            let refresh = scopes
                .contains(&"offline_access")
                .then(|| format!("mdb-rt-{}", uuid::Uuid::new_v4().simple()));
            (name.clone(), refresh)
        }
        Some("refresh_token") => {
            let Some(rt) = form.get("refresh_token") else {
                return invalid_grant();
            };
            let owner = inner
                .issued
                .iter()
                .find(|(_, t)| t == rt)
                .map(|(u, _)| u.clone());
            match owner {
                Some(user) if inner.live.contains(rt) => (user, None),
                _ => return invalid_grant(),
            }
        }
        _ => {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "unsupported_grant_type"}),
            );
        }
    };
    let access = format!("mdb-at-{}", uuid::Uuid::new_v4().simple());
    inner.live.insert(access.clone());
    let mut answer = serde_json::json!({
        "access_token": access,
        "expires_in": 3600,
        "token_type": "Bearer",
    });
    if let Some(rt) = refresh {
        inner.live.insert(rt.clone());
        inner.issued.push((user, rt.clone()));
        answer["refresh_token"] = rt.into();
    }
    json(StatusCode::OK, answer)
}

/// MeshyDB's anonymous registration (docs/users/registering_anonymoususer): `POST
/// /{accountName}/users/register/anonymous` with JSON `{"username": ...}`; the user then logs in
/// with the password `nopassword`.
async fn meshydb_register_anonymous(
    State(state): State<ServerState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/{account}/users/register/anonymous");
    if let Some(r) = intake(&state, path, &headers, &body).await {
        return r;
    }
    if account != MESHYDB_ACCOUNT {
        return (StatusCode::NOT_FOUND, "Account not found").into_response();
    }
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let name = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["username"].as_str().map(str::to_owned))
        .filter(|n| !n.is_empty());
    let (true, Some(name)) = (json_type, name) else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "Username is required."}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.users.contains_key(&name) {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "Username already exists."}),
        );
    }
    inner.users.insert(name.clone(), "nopassword".into());
    json(
        StatusCode::CREATED,
        serde_json::json!({
            "id": uuid::Uuid::new_v4().simple().to_string(),
            "username": name,
            "verified": false,
            "isActive": true,
            "roles": [],
            "anonymous": true,
        }),
    )
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
        .route("/api/v1/me", get(matar_me))
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

/// A check endpoint for pasted tokens (not in Matar's seed; a profile can name one):
/// `GET /api/v1/me` with the bearer token answers 200 while the token is live, else 401.
async fn matar_me(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if let Some(r) = intake(&state, "/api/v1/me".into(), &headers, "").await {
        return r;
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token.is_some_and(|t| state.inner.lock().unwrap().live.contains(t)) {
        json(StatusCode::OK, serde_json::json!({"user": "usr_123"}))
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
