//! The npm registry's token calls as the npm CLI makes them (npm/cli `lib/commands/logout.js`,
//! `lib/utils/get-identity.js`):
//! - `npm logout`: `DELETE /-/user/token/{token}`, the token URL-encoded as one path segment,
//!   with the same token as `Authorization: Bearer`; no body; the CLI reads only the status.
//! - `npm whoami`: `GET /-/whoami` with the bearer: `{"username":"…"}` while the token works.
//!
//! Assumed (the registry documents no statuses for these): 204 when the token was deleted; 401
//! `{"error":"…"}` from both calls for a token the registry no longer accepts; 403 from the
//! `DELETE` for a live token that may not delete tokens (marked with
//! [`TestServer::issue_foreign`]: a read-only or granular token), which `whoami` still
//! accepts; a rate limit as 429 with `Retry-After`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get};
use serde_json::json as j;

use crate::{
    ServerState, TestServer, arrive, bearer, empty, intake, json, limited, new_state, serve,
};

/// An npm registry test server.
pub async fn npm() -> TestServer {
    let state = new_state("", None);
    let router = Router::new()
        .route("/-/user/token/{token}", delete(logout))
        .route("/-/whoami", get(whoami))
        .with_state(state.clone());
    serve(router, state, 0).await
}

fn unauthorized() -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        j!({"error": "You must be logged in to do that"}),
    )
}

async fn logout(
    State(state): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    // What the server records never holds the token: it is in the path.
    let busy = limited(
        j!({"error": "Too Many Requests"}),
        &[("retry-after", "1".into())],
    );
    if let Some(r) = arrive(&state, "/-/user/token/…", &headers, "", busy).await {
        return r;
    }
    let Some(auth) = bearer(&headers) else {
        return unauthorized();
    };
    if state.is_foreign(auth) {
        return json(
            StatusCode::FORBIDDEN,
            j!({"error": "This token may not delete tokens"}),
        );
    }
    if !state.is_live(auth) {
        return unauthorized();
    }
    if !state.end(&token) {
        return json(StatusCode::NOT_FOUND, j!({"error": "Not found"}));
    }
    empty(StatusCode::NO_CONTENT)
}

async fn whoami(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if let Some(r) = intake(&state, "/-/whoami".into(), &headers, "").await {
        return r;
    }
    match bearer(&headers) {
        Some(t) if state.is_live(t) || state.is_foreign(t) => {
            json(StatusCode::OK, j!({"username": "ada"}))
        }
        _ => unauthorized(),
    }
}
