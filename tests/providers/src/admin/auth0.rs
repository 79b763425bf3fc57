//! Auth0's Management API for signing a user out, as docs/admin-signout.md reads it from the
//! Management API reference ("Delete sessions for user", "Delete refresh tokens for user",
//! "Get users by email"), the "Management API Access Tokens" pages and the rate-limit policy:
//! - `POST /oauth/token` with `grant_type=client_credentials`, `client_id`, `client_secret`,
//!   `audience=https://{domain}/api/v2/` → `{"access_token","token_type":"Bearer",
//!   "expires_in":86400,"scope":"…"}` (a Management API token is valid for 24 hours).
//! - `GET /api/v2/users-by-email?email=…` → 200 array of users (`user_id`, `email`, `name`,
//!   `identities`); exact, case-sensitive match; none → `200 []`. Needs `read:users`.
//! - `DELETE /api/v2/users/{user_id}/sessions` → "Session deletion request accepted."
//!   (`delete:sessions`); `DELETE /api/v2/users/{user_id}/refresh-tokens` → "Refresh token
//!   deletion request accepted." (`delete:refresh_tokens`). Both only on Enterprise plans.
//! - `GET /api/v2/users/{user_id}/sessions` (`read:sessions`) → sessions with `id`, `user_id`,
//!   `created_at`, `updated_at`, `authenticated_at`, `last_interacted_at`, `expires_at`,
//!   `device{initial_ip, last_ip, last_user_agent, …}`, `clients[{client_id}]`; assumed wrapped
//!   as `{"sessions":[…]}` (checkpoint paging; `next` left out: one page), times RFC 3339.
//! - Errors `{"statusCode","error","message","errorCode"}`: unknown user → 404
//!   `{"statusCode":404,"error":"Not Found","message":"The user does not exist.",
//!   "errorCode":"inexistent_user"}`.
//! - Throttled: 429 with `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` (UNIX
//!   time), message "Global limit has been reached".
//!
//! Assumed: both DELETEs answer **202 Accepted** with the quoted text as a plain body, also for
//! a user without sessions; the token endpoint takes a JSON or a form body; the audience must
//! be this server's `{base}api/v2/` (`http://127.0.0.1:<port>/api/v2/`), another → 403
//! `{"error":"access_denied","error_description":"Service not enabled within domain: <aud>"}`;
//! wrong client → 401 `{"error":"access_denied","error_description":"Unauthorized"}`; missing
//! or unknown bearer → 401 `{"statusCode":401,"error":"Unauthorized","message":"Invalid token",
//! "errorCode":"invalid_token"}`; missing scope → 403 `insufficient_scope` "Insufficient scope,
//! expected any of: {scope}"; not Enterprise ([`AdminServer::set_not_enterprise`]) → 403
//! `{"statusCode":403,"error":"Forbidden","message":"This feature is not available on your
//! current plan.","errorCode":"operation_not_supported"}`; `x-ratelimit-limit` 50; a missing
//! `email` → 400 `invalid_query_string`. The sessions DELETE ends sessions (and counts as the
//! sign-out), the refresh-tokens DELETE ends the app tokens ([`AdminServer::tokens_of`]).

use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::json as j;

use super::{AdminServer, AdminState, AdminUser, Flavor, query_of, serve_admin, sign_out};
use crate::{
    Client, ClientIn, check_client, epoch_in, form_of, header, is_form, json, json_fields,
    new_state, with_headers,
};

/// The Management API scopes the M2M application is authorised for here.
pub const AUTH0_SCOPES: [&str; 5] = [
    "read:users",
    "read:sessions",
    "delete:sessions",
    "read:refresh_tokens",
    "delete:refresh_tokens",
];

/// An Auth0 tenant with the machine-to-machine application `client_id` / `client_secret`
/// authorised for [`AUTH0_SCOPES`], on an Enterprise plan.
pub async fn auth0(client_id: &str, client_secret: &str) -> AdminServer {
    let state = AdminState::new(
        client_id,
        client_secret,
        &AUTH0_SCOPES,
        Flavor {
            is_token_path: |p| p == "/oauth/token",
            limited,
        },
    );
    let router = Router::new()
        .route("/oauth/token", post(token))
        .route("/api/v2/users-by-email", get(by_email))
        .route(
            "/api/v2/users/{id}/sessions",
            delete(delete_sessions).get(list_sessions),
        )
        .route("/api/v2/users/{id}/refresh-tokens", delete(delete_tokens));
    serve_admin(router, state).await
}

fn error(status: StatusCode, message: &str, code: &str) -> Response {
    json(
        status,
        j!({"statusCode": status.as_u16(), "error": status.canonical_reason().unwrap_or(""), "message": message, "errorCode": code}),
    )
}

fn limited(secs: u64, _plain: bool) -> Response {
    with_headers(
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "Global limit has been reached",
            "too_many_requests",
        ),
        &[
            ("x-ratelimit-limit", "50".into()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", epoch_in(secs)),
        ],
    )
}

fn token_error(status: StatusCode, code: &str, description: &str) -> Response {
    json(
        status,
        j!({"error": code, "error_description": description}),
    )
}

async fn token(State(state): State<AdminState>, headers: HeaderMap, body: String) -> Response {
    let params: Option<HashMap<String, String>> = if is_form(&headers) {
        Some(form_of(&body))
    } else if header(&headers, "content-type").is_some_and(|t| t.starts_with("application/json")) {
        json_fields(&body)
    } else {
        None
    };
    let Some(params) = params else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid request body",
        );
    };
    if params.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return token_error(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "Grant type not allowed for the client.",
        );
    }
    let client = new_state(&state.client_id, Some(&state.client_secret));
    if check_client(&client, &headers, &params, ClientIn::Either) != Client::Ok {
        return token_error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    }
    let audience = format!("{}api/v2/", state.base());
    let given = params.get("audience").cloned().unwrap_or_default();
    if given != audience {
        return token_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            &format!("Service not enabled within domain: {given}"),
        );
    }
    let scopes = state.granted();
    let mut list: Vec<&str> = scopes.iter().map(String::as_str).collect();
    list.sort();
    let scope = list.join(" ");
    let at = state.issue("eyJhbGciOiJSUzI1NiJ9.mgmt.", scopes);
    json(
        StatusCode::OK,
        j!({"access_token": at, "token_type": "Bearer", "expires_in": 86400, "scope": scope}),
    )
}

#[allow(clippy::result_large_err)]
fn auth(state: &AdminState, headers: &HeaderMap, scope: &str) -> Result<HashSet<String>, Response> {
    let Some(scopes) = state.bearer_scopes(headers) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Invalid token",
            "invalid_token",
        ));
    };
    if scopes.contains(scope) {
        Ok(scopes)
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            &format!("Insufficient scope, expected any of: {scope}"),
            "insufficient_scope",
        ))
    }
}

fn user_json(u: &AdminUser) -> serde_json::Value {
    let (provider, user_id) = u.id.split_once('|').unwrap_or(("auth0", &u.id));
    j!({"user_id": u.id, "email": u.email, "email_verified": true, "name": u.display_name, "nickname": u.username, "identities": [{"provider": provider, "user_id": user_id, "connection": "Username-Password-Authentication", "isSocial": false}]})
}

async fn by_email(
    State(state): State<AdminState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, "read:users") {
        return r;
    }
    let q = query_of(query.as_deref());
    let Some(email) = q.get("email").filter(|e| !e.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Query validation error: 'Missing required property: email' on property email.",
            "invalid_query_string",
        );
    };
    let found: Vec<_> = state
        .users_where(|u| u.email == *email)
        .iter()
        .map(user_json)
        .collect();
    json(StatusCode::OK, serde_json::Value::Array(found))
}

/// The shared part of both DELETEs: scope, plan, user; then `act` on the user.
fn deletion(
    state: &AdminState,
    headers: &HeaderMap,
    id: &str,
    scope: &str,
    act: impl FnOnce(&mut AdminUser),
    accepted: &'static str,
) -> Response {
    if let Err(r) = auth(state, headers, scope) {
        return r;
    }
    if state.lock().not_enterprise {
        return error(
            StatusCode::FORBIDDEN,
            "This feature is not available on your current plan.",
            "operation_not_supported",
        );
    }
    match state.with_user(|u| u.id == id, act) {
        Some(()) => (StatusCode::ACCEPTED, accepted).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "The user does not exist.",
            "inexistent_user",
        ),
    }
}

async fn delete_sessions(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    deletion(
        &state,
        &headers,
        &id,
        "delete:sessions",
        sign_out,
        "Session deletion request accepted.",
    )
}

async fn list_sessions(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, "read:sessions") {
        return r;
    }
    if state.lock().not_enterprise {
        return error(
            StatusCode::FORBIDDEN,
            "This feature is not available on your current plan.",
            "operation_not_supported",
        );
    }
    let rfc3339 = |ms: u64| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let list = state.with_user(
        |u| u.id == id,
        |u| {
            u.sessions
                .iter()
                .map(|s| {
                    let clients: Vec<_> = s.clients.values().map(|c| j!({"client_id": c})).collect();
                    j!({"id": s.id, "user_id": u.id, "created_at": rfc3339(s.start), "updated_at": rfc3339(s.last_access), "authenticated_at": rfc3339(s.start), "last_interacted_at": rfc3339(s.last_access), "device": {"initial_ip": s.ip_address, "last_ip": s.ip_address, "last_user_agent": "Mozilla/5.0"}, "clients": clients})
                })
                .collect::<Vec<_>>()
        },
    );
    match list {
        Some(list) => json(StatusCode::OK, j!({ "sessions": list })),
        None => error(
            StatusCode::NOT_FOUND,
            "The user does not exist.",
            "inexistent_user",
        ),
    }
}

async fn delete_tokens(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    deletion(
        &state,
        &headers,
        &id,
        "delete:refresh_tokens",
        |u| u.tokens.clear(),
        "Refresh token deletion request accepted.",
    )
}
