//! Discord's `POST /api/v10/oauth2/token/revoke` as its OAuth2 and rate-limit docs
//! (discord/discord-api-docs) and a maintainer's word on PR #6356 describe it:
//! - Form body only (`application/x-www-form-urlencoded`: "JSON content is not permitted and
//!   will return an error"), `token`, optional `token_type_hint` (`access_token` or
//!   `refresh_token`, else 400 `unsupported_token_type`); the client as HTTP Basic or
//!   `client_id`/`client_secret` in the form.
//! - 200 `{}` (the maintainer: "just what it does today"); every access and refresh token of
//!   that authorization is revoked, whichever was sent ([`TestServer::issue_grant`]).
//! - Rate limited: 429 `{"message":"You are being rate limited.","retry_after":…,"global":
//!   false}` with `Retry-After` (seconds), `X-RateLimit-Reset` (epoch, may have decimals),
//!   `X-RateLimit-Reset-After`, `X-RateLimit-Scope`.
//!
//! Assumed: an unknown or already revoked token is answered 200 `{}` (RFC 7009; not
//! documented); wrong client credentials 401 `{"error":"invalid_client"}`; a bad body 400
//! `{"error":"invalid_request"}`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Client, ClientIn, ServerState, TestServer, arrive, check_client, epoch_in, form_token,
    invalid_request, json, limited, new_state, serve_at,
};

/// A Discord test server for the application `client_id` / `client_secret`.
pub async fn discord(client_id: &str, client_secret: &str) -> TestServer {
    serve_at(
        new_state(client_id, Some(client_secret)),
        "/api/v10/oauth2/token/revoke",
        post(revoke),
    )
    .await
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = limited(
        j!({"message": "You are being rate limited.", "retry_after": 1.0, "global": false}),
        &[
            ("retry-after", "1".into()),
            ("x-ratelimit-reset", format!("{}.250", epoch_in(1))),
            ("x-ratelimit-reset-after", "1.000".into()),
            ("x-ratelimit-scope", "user".into()),
        ],
    );
    let path = "/api/v10/oauth2/token/revoke";
    if let Some(r) = arrive(&state, path, &headers, &body, busy).await {
        return r;
    }
    let (form, token) = match form_token(&headers, &body, invalid_request) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if check_client(&state, &headers, &form, ClientIn::Either) != Client::Ok {
        return json(StatusCode::UNAUTHORIZED, j!({"error": "invalid_client"}));
    }
    if let Some(hint) = form.get("token_type_hint")
        && hint != "access_token"
        && hint != "refresh_token"
    {
        return json(
            StatusCode::BAD_REQUEST,
            j!({"error": "unsupported_token_type"}),
        );
    }
    state.end_grant(&token);
    json(StatusCode::OK, j!({}))
}
