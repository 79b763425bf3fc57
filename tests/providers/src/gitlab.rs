//! GitLab's OAuth token revocation, `POST /oauth/revoke`, as GitLab's OAuth 2.0 API docs and
//! its server (Doorkeeper's `TokensController#revoke`, GitLab's `Oauth::TokensController`)
//! describe it:
//! - Form body `token=<access or refresh token>` with the application's `client_id` and
//!   `client_secret` (Doorkeeper reads HTTP Basic as well).
//! - 200 `{}` when the token was revoked, and also when it is unknown or already revoked ("if
//!   the client submitted an invalid token"). The access token and its refresh token are one
//!   row: revoking either ends both ([`TestServer::issue_grant`]).
//! - 403 `{"error":"unauthorized_client","error_description":"You are not authorized to
//!   revoke this token"}` when the token belongs to a confidential application and the client
//!   did not authenticate as it (another application's token, or wrong credentials).
//! - Rate limited: 429 with `RateLimit-Limit`, `RateLimit-Observed`, `RateLimit-Remaining`,
//!   `RateLimit-Reset` (Unix time), `RateLimit-ResetTime` and `Retry-After` (seconds).
//!
//! - A personal access token (`glpat-…`) revokes itself: `DELETE
//!   /api/v4/personal_access_tokens/self` with `PRIVATE-TOKEN: <token>` (or a bearer) answers
//!   204 No Content; 401 `{"message":"401 Unauthorized"}` once the token is revoked or expired.
//!   `/oauth/revoke` answers 200 `{}` for it too, and it stays alive: it is no OAuth token.
//!
//! Assumed: the 429 body text (GitLab's issues quote it), and 400 `invalid_request` for a
//! request without a form body or with a parameter sent twice.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, post};
use serde_json::json as j;

use crate::{
    Client, ClientIn, ServerState, TestServer, arrive, bearer, check_client, empty, epoch_in,
    form_token, header, invalid_request, json, limited, new_state, oauth_error, serve,
};

/// A GitLab test server for the OAuth application `client_id` / `client_secret`. Tokens marked
/// with [`TestServer::issue_foreign`] belong to another confidential application.
pub async fn gitlab(client_id: &str, client_secret: &str) -> TestServer {
    let state = new_state(client_id, Some(client_secret));
    let router = axum::Router::new()
        .route("/oauth/revoke", post(revoke))
        .route(
            "/api/v4/personal_access_tokens/self",
            delete(revoke_personal),
        )
        .with_state(state.clone());
    serve(router, state, 0).await
}

/// `DELETE /api/v4/personal_access_tokens/self`: the token in `PRIVATE-TOKEN` (or a bearer)
/// revokes itself.
async fn revoke_personal(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    let path = "/api/v4/personal_access_tokens/self";
    if let Some(r) = arrive(&state, path, &headers, "", |_| None).await {
        return r;
    }
    let token = header(&headers, "private-token")
        .or_else(|| bearer(&headers))
        .map(str::to_owned);
    match token {
        Some(t) if state.end(&t) => empty(StatusCode::NO_CONTENT),
        _ => json(
            StatusCode::UNAUTHORIZED,
            j!({"message": "401 Unauthorized"}),
        ),
    }
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = limited(
        j!({"message": {"error": "This endpoint has been requested too many times. Try again later."}}),
        &[
            ("ratelimit-limit", "10".into()),
            ("ratelimit-observed", "11".into()),
            ("ratelimit-remaining", "0".into()),
            ("ratelimit-reset", epoch_in(2)),
            ("retry-after", "1".into()),
        ],
    );
    if let Some(r) = arrive(&state, "/oauth/revoke", &headers, &body, busy).await {
        return r;
    }
    let (form, token) = match form_token(&headers, &body, invalid_request) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ours = check_client(&state, &headers, &form, ClientIn::Either) == Client::Ok;
    if state.is_foreign(&token) || (state.is_live(&token) && !ours) {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "You are not authorized to revoke this token",
        );
    }
    state.end_grant(&token);
    json(StatusCode::OK, j!({}))
}
