//! Zoom's `POST https://zoom.us/oauth/revoke` as Zoom's public API collection and its OAuth
//! error table describe it (secondary sources: no developers.zoom.us page with the call was
//! readable):
//! - Form body `token=<access token>`, the app's credentials as HTTP Basic.
//! - Success is in the body: `{"status":"success"}`.
//! - Errors are `{"status":false,"errorCode":N,"errorMessage":"…","result":null}`: 4700 "Token
//!   cannot be empty.", 4702 invalid client, 4706 client id or secret missing, **4741 "The
//!   token has been revoked."**
//!
//! Assumed: every HTTP status (success 200; 4741 and 4700 as 400; 4702 and 4706 as 401), that
//! revoking ends the app's authorization for the user (the access and the refresh token,
//! [`TestServer::issue_grant`]), a token Zoom never issued answered like a revoked one, and a
//! rate limit as 429 with `Retry-After`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Client, ClientIn, ServerState, TestServer, arrive, check_client, form_token, json, limited,
    new_state, serve_at,
};

/// A Zoom test server for the OAuth app `client_id` / `client_secret`.
pub async fn zoom(client_id: &str, client_secret: &str) -> TestServer {
    serve_at(
        new_state(client_id, Some(client_secret)),
        "/oauth/revoke",
        post(revoke),
    )
    .await
}

fn error(status: StatusCode, code: u16, message: &str) -> Response {
    json(
        status,
        j!({"status": false, "errorCode": code, "errorMessage": message, "result": null}),
    )
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = limited(
        j!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."}),
        &[("retry-after", "1".into())],
    );
    if let Some(r) = arrive(&state, "/oauth/revoke", &headers, &body, busy).await {
        return r;
    }
    let empty_token = || error(StatusCode::BAD_REQUEST, 4700, "Token cannot be empty.");
    let (form, token) = match form_token(&headers, &body, empty_token) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match check_client(&state, &headers, &form, ClientIn::Basic) {
        Client::Ok => {}
        Client::Missing => {
            return error(
                StatusCode::UNAUTHORIZED,
                4706,
                "Client ID or client secret is missing.",
            );
        }
        Client::Wrong | Client::Both => {
            return error(
                StatusCode::UNAUTHORIZED,
                4702,
                "Invalid client_id or client_secret.",
            );
        }
    }
    if state.end_grant(&token) {
        json(StatusCode::OK, j!({"status": "success"}))
    } else {
        error(StatusCode::BAD_REQUEST, 4741, "The token has been revoked.")
    }
}
