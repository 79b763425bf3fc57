//! Matar: POST /api/v1/logout with Authorization: Bearer <access token>. 200 {"message":
//! "Successfully logged out"}; 401 {"description": "The token has been revoked.", "error":
//! "token_revoked"} once revoked; 401 for a token it never issued (expired or unknown).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};

use crate::{ServerState, TestServer, intake, json, new_state, serve};

pub async fn matar() -> TestServer {
    let state = new_state("", None);
    let router = Router::new()
        .route("/api/v1/logout", post(matar_logout))
        .route("/api/v1/me", get(matar_me))
        .with_state(state.clone());
    serve(router, state, 0).await
}

async fn matar_logout(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = intake(&state, "/api/v1/logout".into(), &headers, &body).await {
        return r;
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(token) = token else {
        return json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": "missing_token", "description": "Authorization header required."}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.live.remove(&token) {
        inner.ended.insert(token);
        json(
            StatusCode::OK,
            serde_json::json!({"message": "Successfully logged out"}),
        )
    } else if inner.ended.contains(&token) {
        json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"description": "The token has been revoked.", "error": "token_revoked"}),
        )
    } else {
        json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"description": "The token has expired.", "error": "token_expired"}),
        )
    }
}

/// A check endpoint for pasted tokens (not in Matar's seed; a profile can name one):
/// `GET /api/v1/me` with the bearer token answers 200 while the token is live, else 401.
async fn matar_me(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if let Some(r) = intake(&state, "/api/v1/me".into(), &headers, "").await {
        return r;
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token.is_some_and(|t| state.inner.lock().unwrap().live.contains(t)) {
        json(StatusCode::OK, serde_json::json!({"user": "usr_123"}))
    } else {
        json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"description": "The token has expired.", "error": "token_expired"}),
        )
    }
}
