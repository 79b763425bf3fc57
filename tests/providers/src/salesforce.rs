//! Salesforce's `POST /services/oauth2/revoke` as its Mobile SDK guide ("Revoking OAuth
//! Tokens") and developer blog describe it:
//! - Form body `token=<refresh or access token>` (`application/x-www-form-urlencoded`), no
//!   client authentication.
//! - 200 when the token was revoked. A refresh token takes every access token issued from it
//!   along; an access token goes alone ([`TestServer::issue_grant`], refresh token first).
//! - "For all error conditions, Salesforce returns a 400 status code" with `{"error":
//!   "invalid_token"}` (the token was invalid) or `unsupported_token_type`.
//!
//! Assumed: the description text, 400 `invalid_request` for a request without a form token,
//! and a rate limit as 429 with `Retry-After` (none is documented for revoke).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    ServerState, TestServer, arrive, empty, form_token, invalid_request, limited, new_state,
    oauth_error, serve_at,
};

/// A Salesforce (login or My Domain) test server.
pub async fn salesforce() -> TestServer {
    serve_at(new_state("", None), "/services/oauth2/revoke", post(revoke)).await
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = limited(
        j!({"error": "rate_limit_exceeded"}),
        &[("retry-after", "1".into())],
    );
    if let Some(r) = arrive(&state, "/services/oauth2/revoke", &headers, &body, busy).await {
        return r;
    }
    let token = match form_token(&headers, &body, invalid_request) {
        Ok((_, t)) => t,
        Err(r) => return r,
    };
    if state.end_family(&token) {
        empty(StatusCode::OK)
    } else {
        oauth_error(StatusCode::BAD_REQUEST, "invalid_token", "invalid token")
    }
}
