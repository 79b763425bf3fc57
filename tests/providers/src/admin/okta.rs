//! Okta's users API for signing a user out, as docs/admin-signout.md reads it from the
//! management OpenAPI spec (`management-minimal.yaml`) and the rate-limit guide:
//! - Auth: `Authorization: SSWS <API token>`, or `Authorization: Bearer <access token>` of a
//!   service app carrying Okta scopes.
//! - `DELETE /api/v1/users/{userId}/sessions?oauthTokens=true&forgetDevices=false` → 204 No
//!   Content ("Revokes all active identity provider sessions of the user"; `oauthTokens=true`
//!   also revokes the OAuth tokens issued to the user). Needs `okta.users.manage`.
//! - `GET /api/v1/users/{id}` — an id, a login, or a login shortname (when unambiguous); logins
//!   with `/` only by id → 200 user (`id`, `status`, `profile.login`, `profile.email`, …).
//!   Needs `okta.users.read`.
//! - `GET /api/v1/users?search=profile.email eq "a@b.c"` → 200 array (possibly empty).
//! - Errors: `{"errorCode","errorSummary","errorLink","errorId","errorCauses":[]}`: 404
//!   E0000007 "Not found: …", 403 E0000006 "You do not have permission to perform the requested
//!   action", 429 E0000047 "API call exceeded rate limit due to too many requests." with
//!   `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset` (UTC epoch seconds).
//!
//! - OAuth service app: `POST /oauth2/v1/token` (the org authorization server), form
//!   `grant_type=client_credentials`, `scope` (Okta scopes), `client_assertion_type=
//!   urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_assertion` — a JWT signed
//!   with the app's private key, `iss` = `sub` = the client id, `aud` the token endpoint's URL,
//!   `exp` at most an hour ahead, optional `jti` → `{"token_type":"Bearer","expires_in":3600,
//!   "access_token","scope"}`; the token is sent as `Authorization: Bearer`.
//!
//! Assumed: the token endpoint's errors follow RFC 6749 — a bad or missing assertion, another
//! `iss`/`sub`/`aud`, a stale `exp` or a reused `jti` → 401 `invalid_client` "The client_assertion
//! token is invalid." (Okta's wording varies); a scope the app was not granted → 400
//! `invalid_scope` "The following scopes are not allowed: …"; another grant → 400
//! `unsupported_grant_type`. Assumed: 401 E0000011 "Invalid token provided" for a missing or unknown token; the 404
//! summary "Not found: Resource not found: {id} (User)"; a `search` other than the
//! `profile.email eq "…"` form → 400 E0000031 "Invalid search criteria."; a user without a
//! session → 204 too; a login shortname matches case-insensitively; `X-Rate-Limit-Limit` 600.
//! `oauthTokens=true` ends the user's app tokens ([`AdminServer::tokens_of`]); without it they
//! stay. The SSWS token acts with the admin's current permissions ([`AdminServer::withhold`]
//! `okta.users.manage` → 403). The query each call got is recorded
//! ([`AdminServer::queries_to`]).

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get};
use serde_json::json as j;

use super::{AdminServer, AdminState, AdminUser, Flavor, query_of, serve_admin, sign_out};
use crate::{empty, epoch_in, header, json, with_headers};

/// The scopes the SSWS token's admin has here.
pub const OKTA_SCOPES: [&str; 2] = ["okta.users.read", "okta.users.manage"];

/// An Okta org test server accepting the API token `api_token` (`SSWS`), and bearer tokens
/// added with [`AdminServer::issue_token`].
pub async fn okta(api_token: &str) -> AdminServer {
    let state = AdminState::new(
        "",
        api_token,
        &OKTA_SCOPES,
        Flavor {
            is_token_path: |p| p == "/oauth2/v1/token",
            limited,
        },
    );
    let router = Router::new()
        .route("/oauth2/v1/token", axum::routing::post(token))
        .route("/api/v1/users", get(list))
        .route("/api/v1/users/{user}", get(get_user))
        .route("/api/v1/users/{user}/sessions", delete(revoke));
    serve_admin(router, state).await
}

async fn token(State(state): State<AdminState>, headers: HeaderMap, body: String) -> Response {
    let Some(form) = crate::form_once(&body).filter(|_| crate::is_form(&headers)) else {
        return crate::oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Bad Request");
    };
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return crate::oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    let invalid = || {
        crate::oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client_assertion token is invalid.",
        )
    };
    let (client_id, key) = {
        let inner = state.lock();
        (inner.app_client_id.clone(), inner.public_key.clone())
    };
    if client_id.is_empty()
        || field("client_assertion_type")
            != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    {
        return invalid();
    }
    let Some(claims) = super::verified_rs256(&key, field("client_assertion")) else {
        return invalid();
    };
    let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let now = super::now_secs();
    let exp = claims.get("exp").and_then(|v| v.as_u64()).unwrap_or(0);
    let own_aud = format!("{}oauth2/v1/token", state.base());
    if text("iss") != client_id || text("sub") != client_id || text("aud") != own_aud {
        return invalid();
    }
    if exp <= now || exp > now + 3600 + 60 {
        return invalid();
    }
    if !text("jti").is_empty() && !state.lock().used_jti.insert(text("jti").to_owned()) {
        return invalid();
    }
    let asked: std::collections::HashSet<String> = field("scope")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let granted = state.granted();
    let refused: Vec<&str> = asked
        .iter()
        .filter(|s| !granted.contains(*s))
        .map(String::as_str)
        .collect();
    if asked.is_empty() || !refused.is_empty() {
        return crate::oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!(
                "The following scopes are not allowed: {}",
                refused.join(" ")
            ),
        );
    }
    let scope = field("scope").to_owned();
    let at = state.issue("eyJraWQiOiJvYXV0aCJ9.okta.", asked);
    json(
        StatusCode::OK,
        j!({"token_type": "Bearer", "expires_in": 3600, "access_token": at, "scope": scope}),
    )
}

fn error(status: StatusCode, code: &str, summary: &str) -> Response {
    json(
        status,
        j!({"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": format!("oae{}", uuid::Uuid::new_v4().simple()), "errorCauses": []}),
    )
}

fn limited(secs: u64, _plain: bool) -> Response {
    with_headers(
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        ),
        &[
            ("x-rate-limit-limit", "600".into()),
            ("x-rate-limit-remaining", "0".into()),
            ("x-rate-limit-reset", epoch_in(secs)),
        ],
    )
}

/// The caller's permissions; `Err` is the 401 or 403 answer.
#[allow(clippy::result_large_err)]
fn auth(state: &AdminState, headers: &HeaderMap, scope: &str) -> Result<(), Response> {
    let ssws = header(headers, "authorization")
        .and_then(|v| v.strip_prefix("SSWS "))
        .map(str::trim);
    let scopes = match ssws {
        Some(t) if !state.client_secret.is_empty() && t == state.client_secret => {
            Some(state.granted())
        }
        Some(_) => None,
        None => state.bearer_scopes(headers),
    };
    let Some(scopes) = scopes else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        ));
    };
    if scopes.contains(scope) {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        ))
    }
}

fn not_found(user: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "E0000007",
        &format!("Not found: Resource not found: {user} (User)"),
    )
}

/// The user `key` names: an id, a login, or an unambiguous login shortname; a key with `/` only
/// as an id.
fn find(state: &AdminState, key: &str) -> Option<String> {
    let by = |f: &dyn Fn(&AdminUser) -> bool| state.users_where(f);
    if let [u] = by(&|u| u.id == key).as_slice() {
        return Some(u.id.clone());
    }
    if key.contains('/') {
        return None;
    }
    if let [u] = by(&|u| u.username.eq_ignore_ascii_case(key)).as_slice() {
        return Some(u.id.clone());
    }
    let short = |u: &AdminUser| {
        u.username
            .split('@')
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case(key))
    };
    match by(&short).as_slice() {
        [u] => Some(u.id.clone()),
        _ => None,
    }
}

fn user_json(u: &AdminUser) -> serde_json::Value {
    let (first, last) = u
        .display_name
        .split_once(' ')
        .unwrap_or((&u.display_name, ""));
    j!({"id": u.id, "status": "ACTIVE", "profile": {"login": u.username, "email": u.email, "firstName": first, "lastName": last}, "_links": {}})
}

async fn get_user(
    State(state): State<AdminState>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, "okta.users.read") {
        return r;
    }
    let found =
        find(&state, &user).and_then(|id| state.with_user(|u| u.id == id, |u| user_json(u)));
    match found {
        Some(v) => json(StatusCode::OK, v),
        None => not_found(&user),
    }
}

async fn list(
    State(state): State<AdminState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, "okta.users.read") {
        return r;
    }
    let q = query_of(query.as_deref());
    let Some(search) = q.get("search").or_else(|| q.get("filter")) else {
        let all: Vec<_> = state.users_where(|_| true).iter().map(user_json).collect();
        return json(StatusCode::OK, serde_json::Value::Array(all));
    };
    let email = search
        .trim()
        .strip_prefix("profile.email eq \"")
        .and_then(|s| s.strip_suffix('"'))
        .filter(|e| !e.contains('"'));
    let Some(email) = email else {
        return error(
            StatusCode::BAD_REQUEST,
            "E0000031",
            "Invalid search criteria.",
        );
    };
    let found: Vec<_> = state
        .users_where(|u| u.email.eq_ignore_ascii_case(email))
        .iter()
        .map(user_json)
        .collect();
    json(StatusCode::OK, serde_json::Value::Array(found))
}

async fn revoke(
    State(state): State<AdminState>,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, "okta.users.manage") {
        return r;
    }
    let q = query_of(query.as_deref());
    let oauth_tokens = q.get("oauthTokens").is_some_and(|v| v == "true");
    let Some(id) = find(&state, &user) else {
        return not_found(&user);
    };
    state.with_user(
        |u| u.id == id,
        |u| {
            sign_out(u);
            if oauth_tokens {
                u.tokens.clear();
            }
        },
    );
    empty(StatusCode::NO_CONTENT)
}
