//! Auth0's `POST /oauth/revoke` as its Authentication API docs (auth0/docs "Revoke refresh
//! token" and its error table) and the official SDKs describe it:
//! - A JSON body (the docs' sample and auth0-python; a form body is taken too) with
//!   `client_id`, `token` (a refresh token) and, for a confidential application,
//!   `client_secret`.
//! - 200 with an empty body when the refresh token was revoked.
//! - **200 with `{"error":"invalid_request","error_description":…}`** when "the refresh token
//!   is revoked, does not exist, or was not issued to the client making the revocation
//!   request".
//! - 400 `invalid_request` when a required parameter is missing; 401 `invalid_client` when the
//!   client credentials are missing or wrong.
//! - Rate limited: 429 with `x-ratelimit-limit`, `x-ratelimit-remaining` and
//!   `x-ratelimit-reset` (Unix time in seconds, as the SDKs read it).
//!
//! Assumed: the description texts (the docs show "..."), and the 429 body
//! `{"error":"too_many_requests",…}`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;

use crate::{
    Busy, Client, ClientIn, ServerState, TestServer, arrive, check_client, empty, epoch_in,
    form_of, header, is_form, json_fields, new_state, oauth_error, serve_at, with_headers,
};

/// An Auth0 tenant test server for the application `client_id` (`client_secret` for a
/// confidential one, `None` for a native app whose `tokenEndpointAuthMethod` is `none`).
pub async fn auth0(client_id: &str, client_secret: Option<&str>) -> TestServer {
    serve_at(
        new_state(client_id, client_secret),
        "/oauth/revoke",
        post(revoke),
    )
    .await
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = |b| {
        (b == Busy::RateLimited).then(|| {
            with_headers(
                oauth_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "Global limit has been reached",
                ),
                &[
                    ("x-ratelimit-limit", "30".into()),
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", epoch_in(2)),
                ],
            )
        })
    };
    if let Some(r) = arrive(&state, "/oauth/revoke", &headers, &body, busy).await {
        return r;
    }
    let params = if is_form(&headers) {
        Some(form_of(&body))
    } else if header(&headers, "content-type").is_some_and(|t| t.starts_with("application/json")) {
        json_fields(&body)
    } else {
        None
    };
    let Some(params) = params else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid request body",
        );
    };
    for required in ["client_id", "token"] {
        if !params.contains_key(required) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Missing required parameter: {required}"),
            );
        }
    }
    if check_client(&state, &headers, &params, ClientIn::Body) != Client::Ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    if state.end(&params["token"]) {
        empty(StatusCode::OK)
    } else {
        oauth_error(
            StatusCode::OK,
            "invalid_request",
            "The refresh token is revoked, does not exist, or was not issued to the client making the revocation request.",
        )
    }
}
