//! Twitch's `POST https://id.twitch.tv/oauth2/revoke` as its authentication guide ("Revoking
//! access tokens") describes it:
//! - Form body (`application/x-www-form-urlencoded`) `client_id=<app>` and `token=<access
//!   token>`; no client secret.
//! - "200 OK (with no body)" when the token was revoked.
//! - 400 `{"status":400,"message":"Invalid token"}` "if the client ID is valid but the access
//!   token is not" (revoked, expired or unknown); 404 `{"status":404,"message":"client does
//!   not exist"}` for a client id Twitch does not know.
//!
//! Assumed: revoking an access token leaves its refresh token alone (not documented); a rate
//! limit as the Helix API answers one (429 with `Ratelimit-Limit`, `Ratelimit-Remaining`,
//! `Ratelimit-Reset` in Unix seconds), nothing being documented for `id.twitch.tv`; 400
//! `{"status":400,"message":"missing client id"}` for a request without one form body with
//! each parameter once.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Busy, ServerState, TestServer, arrive, empty, epoch_in, form_token, json, new_state, serve_at,
    with_headers,
};

/// A Twitch test server knowing the application `client_id`.
pub async fn twitch(client_id: &str) -> TestServer {
    serve_at(new_state(client_id, None), "/oauth2/revoke", post(revoke)).await
}

fn says(status: StatusCode, message: &str) -> Response {
    json(status, j!({"status": status.as_u16(), "message": message}))
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = |b| {
        (b == Busy::RateLimited).then(|| {
            with_headers(
                says(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"),
                &[
                    ("ratelimit-limit", "800".into()),
                    ("ratelimit-remaining", "0".into()),
                    ("ratelimit-reset", epoch_in(2)),
                ],
            )
        })
    };
    if let Some(r) = arrive(&state, "/oauth2/revoke", &headers, &body, busy).await {
        return r;
    }
    let bad = || says(StatusCode::BAD_REQUEST, "missing client id");
    let (form, token) = match form_token(&headers, &body, bad) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match form.get("client_id") {
        None => return bad(),
        Some(id) if *id != state.client_id => {
            return says(StatusCode::NOT_FOUND, "client does not exist");
        }
        Some(_) => {}
    }
    if state.end_family(&token) {
        empty(StatusCode::OK)
    } else {
        says(StatusCode::BAD_REQUEST, "Invalid token")
    }
}
