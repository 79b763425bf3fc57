//! Box's `POST https://api.box.com/oauth2/revoke` as its API reference and OpenAPI
//! description (box/box-openapi) and rate-limit guide describe it:
//! - Form body `client_id`, `client_secret`, `token=<access or refresh token>`.
//! - "Returns an empty response when the token was successfully revoked" (200); either token
//!   of the pair ends both ("revoked at any time by either sending the Access Token or Refresh
//!   Token", [`TestServer::issue_grant`]).
//! - Errors as `{"error":…,"error_description":…}` with 400: `{"error":"invalid_client",
//!   "error_description":"The client credentials are not valid"}`.
//! - Rate limited: 429 with `retry-after` (seconds) and `{"type":"error","status":429,
//!   "code":"rate_limit_exceeded",…}`.
//!
//! Assumed: an unknown or already revoked token is answered 200 as well (RFC 7009; Box does
//! not say), and 400 `invalid_request` for a request without a form token.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Client, ClientIn, ServerState, TestServer, arrive, check_client, empty, form_token,
    invalid_request, limited, new_state, oauth_error, serve_at,
};

/// A Box test server for the app `client_id` / `client_secret`.
pub async fn boxcom(client_id: &str, client_secret: &str) -> TestServer {
    serve_at(
        new_state(client_id, Some(client_secret)),
        "/oauth2/revoke",
        post(revoke),
    )
    .await
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = limited(
        j!({"type": "error", "status": 429, "code": "rate_limit_exceeded", "message": "Request rate limit exceeded, please try again later"}),
        &[("retry-after", "1".into())],
    );
    if let Some(r) = arrive(&state, "/oauth2/revoke", &headers, &body, busy).await {
        return r;
    }
    let (form, token) = match form_token(&headers, &body, invalid_request) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if check_client(&state, &headers, &form, ClientIn::Body) != Client::Ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "The client credentials are not valid",
        );
    }
    state.end_grant(&token);
    empty(StatusCode::OK)
}
