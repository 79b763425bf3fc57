//! Google's OAuth 2.0 token revocation, `POST https://oauth2.googleapis.com/revoke`, as
//! Google's guide ("Revoking a token") and its Node SDK describe it:
//! - Form body `token=<refresh or access token>` (`application/x-www-form-urlencoded`; the
//!   guide's curl sample sends it in the query, which is accepted too), no client
//!   authentication.
//! - 200 when the revocation was processed; for an access token with a refresh token, the
//!   refresh token is revoked too: the whole grant ([`TestServer::issue_grant`]).
//! - "For error conditions, a status code 400 is returned along with an error code."
//!
//! Assumed: the 400 body for a revoked, expired or unknown token, `{"error":"invalid_token",
//! "error_description":"Token expired or revoked"}` (secondary: observed, not in the guide);
//! 400 `{"error":"invalid_request"}` for a request without a token; a rate limit as 429 with
//! `Retry-After` (none is documented for `/revoke`).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    ServerState, TestServer, arrive, empty, form_of, invalid_request, is_form, limited, new_state,
    oauth_error, serve_at,
};

/// A Google OAuth test server (`oauth2.googleapis.com`).
pub async fn google() -> TestServer {
    serve_at(new_state("", None), "/revoke", post(revoke)).await
}

async fn revoke(
    State(state): State<ServerState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let busy = limited(
        j!({"error": "rate_limit_exceeded"}),
        &[("retry-after", "1".into())],
    );
    if let Some(r) = arrive(&state, "/revoke", &headers, &body, busy).await {
        return r;
    }
    let form = if is_form(&headers) {
        form_of(&body)
    } else {
        Default::default()
    };
    let token = form
        .get("token")
        .cloned()
        .or_else(|| form_of(query.as_deref().unwrap_or_default()).remove("token"));
    let Some(token) = token else {
        return invalid_request();
    };
    if state.end_grant(&token) {
        empty(StatusCode::OK)
    } else {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        )
    }
}
