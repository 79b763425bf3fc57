//! GitHub's OAuth app token API as its REST documentation describes it ("Delete an app token",
//! "Get the authenticated user"):
//! - `DELETE /applications/{client_id}/token` with HTTP Basic `client_id:client_secret` and a
//!   JSON body `{"access_token": "..."}` answers 204 No Content when it revoked the token, 422
//!   `{"message": "Validation Failed"}` for a body without the token.
//! - `GET /user` with `Authorization: Bearer <token>` answers 200 with the user while the token
//!   works, 401 `{"message": "Bad credentials"}` once it does not.
//!
//! Assumed (GitHub documents no answer for these): a token that is unknown, already revoked, or
//! issued to another OAuth app, and wrong client credentials, all get 404 `{"message": "Not
//! Found"}`: which of them it was is only told by `GET /user`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{delete, get};

use crate::{ServerState, TestServer, basic, intake, json, new_state, serve};

/// A GitHub test server for the OAuth app `client_id` / `client_secret`. Tokens marked with
/// [`TestServer::issue`] belong to this app; [`TestServer::issue_foreign`] marks tokens of
/// another app (alive at `GET /user`, refused by this app's revoke).
pub async fn github(client_id: &str, client_secret: &str) -> TestServer {
    let state = new_state(client_id, Some(client_secret));
    let router = Router::new()
        .route("/applications/{client_id}/token", delete(revoke))
        .route("/user", get(user))
        .with_state(state.clone());
    serve(router, state, 0).await
}

fn not_found() -> Response {
    json(
        StatusCode::NOT_FOUND,
        serde_json::json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token", "status": "404"}),
    )
}

async fn revoke(
    State(state): State<ServerState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/applications/{client_id}/token");
    if let Some(r) = intake(&state, path, &headers, &body).await {
        return r;
    }
    let secret = state.client_secret.clone().unwrap_or_default();
    if client_id != state.client_id || basic(&headers) != Some((client_id, secret)) {
        return not_found();
    }
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let token = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("access_token")?.as_str().map(str::to_owned));
    let (true, Some(token)) = (json_type, token) else {
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({"message": "Validation Failed", "status": "422"}),
        );
    };
    if state.end(&token) {
        Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(axum::body::Body::empty())
            .unwrap()
    } else {
        not_found()
    }
}

async fn user(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if let Some(r) = intake(&state, "/user".into(), &headers, "").await {
        return r;
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
        });
    let inner = state.inner.lock().unwrap();
    if token.is_some_and(|t| inner.live.contains(t) || inner.foreign.contains(t)) {
        json(
            StatusCode::OK,
            serde_json::json!({"login": "octocat", "id": 1}),
        )
    } else {
        json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        )
    }
}
