//! Google's service-account token and the Admin SDK Directory API's `users.signOut` and
//! `tokens`, as docs/admin-signout.md reads them from the Directory API reference, its limits
//! page, the discovery document and the service-account OAuth guide (RFC 7523):
//! - `POST /token`, form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`;
//!   the JWT header `{"alg":"RS256","typ":"JWT","kid":…}`, claims `iss` (the service account's
//!   `client_email`), `sub` (the admin being impersonated), `scope` (space-delimited), `aud`
//!   (`https://oauth2.googleapis.com/token`), `iat`, `exp` (at most an hour after `iat`), signed
//!   RS256 with the service account's key → `{"access_token","expires_in":3599,
//!   "token_type":"Bearer"}`.
//! - `POST /admin/directory/v1/users/{userKey}/signOut` ("The request body must be empty"),
//!   bearer, scope `https://www.googleapis.com/auth/admin.directory.user.security` → 204, the
//!   user's web and device sessions ended. `userKey` is the primary e-mail or the user id.
//! - `GET …/users/{userKey}/tokens` → `{"kind":"admin#directory#tokenList","items":[{"kind":
//!   "admin#directory#token","clientId","displayText","scopes","userKey","anonymous",
//!   "nativeApp","etag"}]}`; `DELETE …/users/{userKey}/tokens/{clientId}` → 204 (same scope).
//! - Errors `{"error":{"code","message","errors":[{"message","domain":"global","reason"}]}}`:
//!   404 "Resource Not Found: userKey" `notFound`; 403 "Not Authorized to access this
//!   resource/api" when the impersonated `sub` is no admin; 403 `userRateLimitExceeded` when
//!   throttled.
//!
//! Assumed: the token endpoint's errors — another grant → 400 `unsupported_grant_type`; a
//! malformed JWT, another `alg`, or a bad signature → 400 `invalid_grant` "Invalid JWT
//! Signature."; another `iss` → 400 `invalid_grant` "Invalid email or User ID"; another `aud`
//! (accepted: Google's URL or this server's `{base}token`, the `token_uri` a key file for it
//! would carry) → 400 `invalid_grant` "Invalid JWT: Failed audience check."; `exp` past, `iat`
//! more than a minute ahead, or `exp - iat` over an hour → 400 `invalid_grant` "Invalid JWT:
//! Token must be a short-lived token (60 minutes) and in a reasonable timeframe…"; a scope not
//! delegated to the service account ([`AdminServer::withhold`]) → 401 `unauthorized_client`.
//! The Directory API: a missing or unknown bearer → 401 `authError` "Request had invalid
//! authentication credentials."; a token without the security scope → 403
//! `insufficientPermissions` "Request had insufficient authentication scopes."; the reason of
//! the non-admin 403 is `forbidden`; the admin check happens at call time
//! ([`AdminServer::set_admin`]); a non-empty signOut body → 400 `invalid`; an unknown clientId
//! on tokens.delete → 404 `notFound`; the token list omits `items` when there is none (Google's
//! JSON leaves out empty lists); [`AdminServer::too_many_next`] answers 429 `rateLimitExceeded`
//! (status `RESOURCE_EXHAUSTED`); neither throttling answer carries a `Retry-After` (none is
//! documented: back off exponentially). `signOut` does not end app tokens; deleting a client's
//! token ends all of that client's tokens of the user. `GET …/users/{userKey}` is answered
//! with `id`, `primaryEmail`, `name.fullName`, `suspended` (scope `admin.directory.user.readonly`
//! or `admin.directory.user`).

use std::collections::HashSet;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaKeyPair};
use serde_json::json as j;

use super::{AdminServer, AdminState, AdminUser, Flavor, now_secs, serve_admin, sign_out};
use crate::{empty, form_once, is_form, json, oauth_error};

/// A throwaway RSA key (PKCS#8 PEM) standing in for a service account's private key: made once
/// per test process with `openssl genpkey` (ring cannot make RSA keys), never stored.
pub fn google_test_key_pem() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .expect("openssl is installed (Debian's ca-certificates depends on it)");
        assert!(out.status.success(), "openssl genpkey failed");
        String::from_utf8(out.stdout).expect("a PEM key")
    })
}

/// The scope `users.signOut` and `tokens.*` need.
pub const SECURITY_SCOPE: &str = "https://www.googleapis.com/auth/admin.directory.user.security";
/// The read-only user scope.
pub const READONLY_SCOPE: &str = "https://www.googleapis.com/auth/admin.directory.user.readonly";
/// Google's token endpoint, the `aud` of an assertion.
pub const GOOGLE_TOKEN_AUD: &str = "https://oauth2.googleapis.com/token";

pub(crate) fn test_key() -> RsaKeyPair {
    let body: String = google_test_key_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("test key PEM");
    RsaKeyPair::from_pkcs8(&der).expect("test key PKCS#8")
}

/// A JWT with `claims`, signed RS256 with [`google_test_key_pem`] (header `kid`
/// `test-key-1`).
pub fn sign_test_assertion(claims: &serde_json::Value) -> String {
    let header =
        URL_SAFE_NO_PAD.encode(j!({"alg": "RS256", "typ": "JWT", "kid": "test-key-1"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let key = test_key();
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("RS256");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// A Google Workspace test server: the service account `client_email` (its key
/// [`google_test_key_pem`]) with domain-wide delegation of [`SECURITY_SCOPE`] and
/// [`READONLY_SCOPE`], and `admin_email` a Workspace admin it may act as.
pub async fn google(client_email: &str, admin_email: &str) -> AdminServer {
    let public = test_key().public().as_ref().to_vec();
    google_with_key(client_email, admin_email, &public).await
}

/// Like [`google`], with another service-account key: its RSA public key, DER `RSAPublicKey`.
pub async fn google_with_key(
    client_email: &str,
    admin_email: &str,
    public_key_der: &[u8],
) -> AdminServer {
    let state = AdminState::new(
        client_email,
        "",
        &[SECURITY_SCOPE, READONLY_SCOPE],
        Flavor {
            is_token_path: |p| p == "/token",
            limited,
        },
    );
    {
        let mut inner = state.lock();
        inner.admins.insert(admin_email.to_ascii_lowercase());
        inner.public_key = public_key_der.to_vec();
    }
    let router = Router::new()
        .route("/token", post(token))
        .route("/admin/directory/v1/users/{user}", get(get_user))
        .route(
            "/admin/directory/v1/users/{user}/signOut",
            post(sign_out_user),
        )
        .route("/admin/directory/v1/users/{user}/tokens", get(list_tokens))
        .route(
            "/admin/directory/v1/users/{user}/tokens/{client}",
            delete(delete_token),
        );
    serve_admin(router, state).await
}

fn error(code: StatusCode, message: &str, reason: &str, status: &str) -> Response {
    json(
        code,
        j!({"error": {"code": code.as_u16(), "message": message, "errors": [{"message": message, "domain": "global", "reason": reason}], "status": status}}),
    )
}

fn limited(_secs: u64, plain: bool) -> Response {
    if plain {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.",
            "rateLimitExceeded",
            "RESOURCE_EXHAUSTED",
        )
    } else {
        error(
            StatusCode::FORBIDDEN,
            "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.",
            "userRateLimitExceeded",
            "PERMISSION_DENIED",
        )
    }
}

fn invalid_grant(text: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", text)
}

/// The assertion's claims when its header says RS256 and the signature verifies.
fn verified_claims(state: &AdminState, jwt: &str) -> Option<serde_json::Value> {
    let key = state.lock().public_key.clone();
    super::verified_rs256(&key, jwt)
}

async fn token(State(state): State<AdminState>, headers: HeaderMap, body: String) -> Response {
    let Some(form) = form_once(&body).filter(|_| is_form(&headers)) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Bad Request");
    };
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {grant}"),
        );
    }
    let Some(claims) = form
        .get("assertion")
        .and_then(|a| verified_claims(&state, a))
    else {
        return invalid_grant("Invalid JWT Signature.");
    };
    let text = |name: &str| claims.get(name).and_then(|v| v.as_str()).unwrap_or("");
    if text("iss") != state.client_id {
        return invalid_grant("Invalid email or User ID");
    }
    let own_aud = format!("{}token", state.base());
    if text("aud") != GOOGLE_TOKEN_AUD && text("aud") != own_aud {
        return invalid_grant("Invalid JWT: Failed audience check.");
    }
    let now = now_secs();
    let (iat, exp) = (
        claims.get("iat").and_then(|v| v.as_u64()),
        claims.get("exp").and_then(|v| v.as_u64()),
    );
    let timely = matches!((iat, exp), (Some(iat), Some(exp))
        if exp > now && iat <= now + 60 && exp > iat && exp - iat <= 3600);
    if !timely {
        return invalid_grant(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        );
    }
    let scopes: HashSet<String> = text("scope")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let granted = state.granted();
    if scopes.is_empty() || !scopes.is_subset(&granted) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
        );
    }
    let mut carried = scopes;
    carried.insert(format!("sub:{}", text("sub").to_ascii_lowercase()));
    let at = state.issue("ya29.test-", carried);
    json(
        StatusCode::OK,
        j!({"access_token": at, "expires_in": 3599, "token_type": "Bearer"}),
    )
}

/// The bearer, scope and admin checks; `Err` is the answer.
#[allow(clippy::result_large_err)]
fn auth(state: &AdminState, headers: &HeaderMap, any_of: &[&str]) -> Result<(), Response> {
    let Some(scopes) = state.bearer_scopes(headers) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Request had invalid authentication credentials.",
            "authError",
            "UNAUTHENTICATED",
        ));
    };
    if !any_of.iter().any(|s| scopes.contains(*s)) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Request had insufficient authentication scopes.",
            "insufficientPermissions",
            "PERMISSION_DENIED",
        ));
    }
    let admins = state.lock().admins.clone();
    let is_admin = scopes
        .iter()
        .filter_map(|s| s.strip_prefix("sub:"))
        .any(|sub| admins.contains(sub));
    if is_admin {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "Not Authorized to access this resource/api",
            "forbidden",
            "PERMISSION_DENIED",
        ))
    }
}

fn is_key(u: &AdminUser, key: &str) -> bool {
    u.id == key || u.email.eq_ignore_ascii_case(key)
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("Resource Not Found: {what}"),
        "notFound",
        "NOT_FOUND",
    )
}

async fn get_user(
    State(state): State<AdminState>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    let scopes = [
        READONLY_SCOPE,
        "https://www.googleapis.com/auth/admin.directory.user",
    ];
    if let Err(r) = auth(&state, &headers, &scopes) {
        return r;
    }
    let found = state.with_user(
        |u| is_key(u, &user),
        |u| j!({"kind": "admin#directory#user", "id": u.id, "primaryEmail": u.email, "name": {"fullName": u.display_name}, "suspended": false}),
    );
    match found {
        Some(v) => json(StatusCode::OK, v),
        None => not_found("userKey"),
    }
}

async fn sign_out_user(
    State(state): State<AdminState>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = auth(&state, &headers, &[SECURITY_SCOPE]) {
        return r;
    }
    if !body.trim().is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "The request body must be empty.",
            "invalid",
            "INVALID_ARGUMENT",
        );
    }
    match state.with_user(|u| is_key(u, &user), sign_out) {
        Some(()) => empty(StatusCode::NO_CONTENT),
        None => not_found("userKey"),
    }
}

async fn list_tokens(
    State(state): State<AdminState>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, &[SECURITY_SCOPE]) {
        return r;
    }
    let list = state.with_user(
        |u| is_key(u, &user),
        |u| {
            let items: Vec<_> = u
                .tokens
                .iter()
                .map(|t| {
                    j!({"kind": "admin#directory#token", "etag": format!("\"{}\"", t.id), "clientId": t.client_id, "displayText": t.display_text, "scopes": ["openid", "email"], "userKey": u.id, "anonymous": false, "nativeApp": false})
                })
                .collect();
            let mut v = j!({"kind": "admin#directory#tokenList", "etag": "\"list\""});
            if !items.is_empty() {
                v["items"] = serde_json::Value::Array(items);
            }
            v
        },
    );
    match list {
        Some(v) => json(StatusCode::OK, v),
        None => not_found("userKey"),
    }
}

async fn delete_token(
    State(state): State<AdminState>,
    Path((user, client)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, &[SECURITY_SCOPE]) {
        return r;
    }
    let removed = state.with_user(
        |u| is_key(u, &user),
        |u| {
            let before = u.tokens.len();
            u.tokens.retain(|t| t.client_id != client);
            before != u.tokens.len()
        },
    );
    match removed {
        Some(true) => empty(StatusCode::NO_CONTENT),
        Some(false) => not_found("clientId"),
        None => not_found("userKey"),
    }
}
