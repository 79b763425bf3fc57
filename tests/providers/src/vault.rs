//! HashiCorp Vault's token self-calls as its HTTP API docs describe them
//! (`api-docs/auth/token`, `api-docs/index`):
//! - `POST` (or `PUT`) `/v1/auth/token/revoke-self` with `X-Vault-Token: <token>` (or
//!   `Authorization: Bearer`), no body: revokes the token, its child tokens and the dynamic
//!   secrets made with it; **204** "Success, no data returned".
//! - `GET /v1/auth/token/lookup-self`: 200 `{"data":{…}}` while the token works.
//! - 403 `{"errors":["permission denied"]}` when the token is not accepted, or its policy does
//!   not allow the path; 412 on Enterprise when a standby has not caught up ("should be
//!   retried"); 429 from a rate-limit quota.
//!
//! Assumed: the exact 403 text for a revoked token (Vault answers the same for a policy that
//! denies `revoke-self`: tokens marked with [`TestServer::issue_foreign`] are such tokens,
//! still allowed `lookup-self`), and the quota's `Retry-After` header.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json as j;

use crate::{
    Busy, ServerState, TestServer, arrive, bearer, empty, header, intake, json, new_state, serve,
    with_headers,
};

/// A Vault server test double.
pub async fn vault() -> TestServer {
    let state = new_state("", None);
    let router = Router::new()
        .route(
            "/v1/auth/token/revoke-self",
            post(revoke_self).put(revoke_self),
        )
        .route("/v1/auth/token/lookup-self", get(lookup_self))
        .with_state(state.clone());
    serve(router, state, 0).await
}

fn denied() -> Response {
    json(StatusCode::FORBIDDEN, j!({"errors": ["permission denied"]}))
}

fn token(headers: &HeaderMap) -> Option<&str> {
    header(headers, "x-vault-token").or_else(|| bearer(headers))
}

async fn revoke_self(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let busy = |b| {
        Some(match b {
            Busy::RateLimited => with_headers(
                json(
                    StatusCode::TOO_MANY_REQUESTS,
                    j!({"errors": ["request path \"auth/token/revoke-self\": rate limit quota exceeded"]}),
                ),
                &[("retry-after", "1".into())],
            ),
            Busy::Lagging => json(
                StatusCode::PRECONDITION_FAILED,
                j!({"errors": ["required index state not present"]}),
            ),
        })
    };
    let path = "/v1/auth/token/revoke-self";
    if let Some(r) = arrive(&state, path, &headers, &body, busy).await {
        return r;
    }
    match token(&headers) {
        Some(t) if state.end(t) => empty(StatusCode::NO_CONTENT),
        _ => denied(),
    }
}

async fn lookup_self(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if let Some(r) = intake(&state, "/v1/auth/token/lookup-self".into(), &headers, "").await {
        return r;
    }
    match token(&headers) {
        Some(t) if state.is_live(t) || state.is_foreign(t) => json(
            StatusCode::OK,
            j!({"data": {"display_name": "token", "policies": ["default"], "ttl": 3600}}),
        ),
        _ => denied(),
    }
}
