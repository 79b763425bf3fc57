//! Reddit's `POST /api/v1/revoke_token` as its (archived, 2017) server source
//! (`r2/controllers/oauth2.py`) and API wiki describe it:
//! - Form body `token=<access or refresh token>`, optional `token_type_hint`; the app's
//!   credentials as HTTP Basic (`client_id:client_secret`; an installed app sends an empty
//!   secret); a `User-Agent` of the app's own (default agents are "drastically limited").
//! - **204**, no body, when the token was revoked, and also "if an invalid token_id was passed
//!   in". Revoking a refresh token also ends its access tokens ([`TestServer::issue_grant`]).
//! - 400 `{"error":"unauthorized_client"}` when the token belongs to another client; 401 with
//!   `WWW-Authenticate: Basic realm="reddit"` for missing or wrong client credentials; 403
//!   while the site is read-only (try later).
//! - Rate-limit headers `X-Ratelimit-Used`, `X-Ratelimit-Remaining`, `X-Ratelimit-Reset`
//!   ("approximate number of **seconds** to end of period", not a time).
//!
//! Assumed: the status of the per-address revoke limit (429, with those headers) and of a
//! request without a `User-Agent` (429 as well, the "drastic" limit); the 403 body.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Busy, Client, ClientIn, ServerState, TestServer, arrive, check_client, empty, form_token,
    header, invalid_request, json, new_state, serve_at, with_headers,
};

/// A Reddit test server for the app `client_id` / `client_secret` (`""` for an installed app).
/// Tokens marked with [`TestServer::issue_foreign`] belong to another app.
pub async fn reddit(client_id: &str, client_secret: &str) -> TestServer {
    serve_at(
        new_state(client_id, Some(client_secret)),
        "/api/v1/revoke_token",
        post(revoke),
    )
    .await
}

fn limited() -> Response {
    with_headers(
        json(
            StatusCode::TOO_MANY_REQUESTS,
            j!({"message": "Too Many Requests", "error": 429}),
        ),
        &[
            ("x-ratelimit-used", "100".into()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", "1".into()),
        ],
    )
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = |b| {
        Some(match b {
            Busy::RateLimited => limited(),
            Busy::Lagging => json(
                StatusCode::FORBIDDEN,
                j!({"message": "Forbidden", "error": 403}),
            ),
        })
    };
    if let Some(r) = arrive(&state, "/api/v1/revoke_token", &headers, &body, busy).await {
        return r;
    }
    if header(&headers, "user-agent").is_none_or(str::is_empty) {
        return limited();
    }
    let (form, token) = match form_token(&headers, &body, invalid_request) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if check_client(&state, &headers, &form, ClientIn::Basic) != Client::Ok {
        return with_headers(
            json(
                StatusCode::UNAUTHORIZED,
                j!({"message": "Unauthorized", "error": 401}),
            ),
            &[("www-authenticate", "Basic realm=\"reddit\"".into())],
        );
    }
    if state.is_foreign(&token) {
        return json(
            StatusCode::BAD_REQUEST,
            j!({"error": "unauthorized_client"}),
        );
    }
    state.end_family(&token);
    empty(StatusCode::NO_CONTENT)
}
