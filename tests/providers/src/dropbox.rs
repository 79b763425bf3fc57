//! Dropbox's `POST /2/auth/token/revoke` as its API spec (dropbox-api-spec `auth.stone`) and
//! performance guide describe it:
//! - An RPC route with no argument (Void): `Authorization: Bearer <access token>` and no body
//!   (or the literal `null` as `application/json`); answers 200 with the result `null`.
//! - It disables the access token, its refresh token and every other access token of that
//!   refresh token: the grant ([`TestServer::issue_grant`]).
//! - Auth errors: `{"error_summary":"<tag>/…","error":{".tag":"<tag>"}}` with tags
//!   `invalid_access_token` (unknown or already revoked) and `expired_access_token`.
//! - Rate limited: 429, `Retry-After` in seconds ("Rate limited responses always include a
//!   Retry-After header") and a `RateLimitError` body with `retry_after`.
//!
//! Assumed: the 401 status of the auth errors (the tags are documented, their status is
//! secondary), and a 400 plain-text answer to a request with a body it does not take or no
//! `Authorization` (the text Dropbox's API gives, not in the spec).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json as j;

use crate::{ServerState, TestServer, arrive, bearer, header, json, limited, new_state, serve_at};

/// A Dropbox API test server (`api.dropboxapi.com`).
pub async fn dropbox() -> TestServer {
    serve_at(new_state("", None), "/2/auth/token/revoke", post(revoke)).await
}

fn auth_error(tag: &str) -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        j!({"error_summary": format!("{tag}/..."), "error": {".tag": tag}}),
    )
}

fn bad_input(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        format!("Error in call to API function \"auth/token/revoke\": {why}"),
    )
        .into_response()
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = limited(
        j!({"error_summary": "too_many_requests/..", "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 1}}),
        &[("retry-after", "1".into())],
    );
    if let Some(r) = arrive(&state, "/2/auth/token/revoke", &headers, &body, busy).await {
        return r;
    }
    let void = match header(&headers, "content-type") {
        None => body.is_empty(),
        Some(t) => t.starts_with("application/json") && body.trim() == "null",
    };
    if !void {
        return bad_input(
            "This function requires its argument in the HTTP request body to be null or absent.",
        );
    }
    let Some(token) = bearer(&headers) else {
        return bad_input(
            "Must provide HTTP header \"Authorization\" or URL parameter \"authorization\".",
        );
    };
    if state.is_expired(token) {
        return auth_error("expired_access_token");
    }
    if !state.end_grant(token) {
        return auth_error("invalid_access_token");
    }
    json(StatusCode::OK, serde_json::Value::Null)
}
