//! Okta's `POST /oauth2/{authorizationServerId}/v1/revoke` as its OpenID Connect & OAuth 2.0
//! API reference and rate-limit guide describe it:
//! - Form body (`application/x-www-form-urlencoded`) `token`, optional `token_type_hint`
//!   (`access_token`, `refresh_token`, `device_secret`); the client authenticates the way the
//!   app is set up: HTTP Basic **or** `client_id`/`client_secret` in the form (both at once is
//!   `invalid_request`); a public client sends its `client_id` alone.
//! - 200 with no body, also for a token that is invalid, expired or already revoked
//!   ("revoking an invalid, expired, or revoked token is still considered a success so as to
//!   not leak information").
//! - 401 `{"error":"invalid_client","error_description":"No client credentials found."}` when
//!   the client is unknown or its credentials are wrong or missing; 400 `invalid_request` for a
//!   malformed request; 400 `unsupported_token_type` for another hint.
//! - Rate limited: 429 with `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and
//!   `X-Rate-Limit-Reset` (UTC epoch seconds; note the hyphen).
//!
//! Assumed: the 429 body of `/revoke` (Okta's API error `E0000047`, shown for other
//! endpoints), and `invalid_request` for a parameter sent twice.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Client, ClientIn, ServerState, TestServer, arrive, check_client, empty, epoch_in, form_once,
    is_form, limited, new_state, oauth_error, serve_at,
};

/// An Okta org test server with the app `client_id` (`None` secret: a public client).
pub async fn okta(client_id: &str, client_secret: Option<&str>) -> TestServer {
    serve_at(
        new_state(client_id, client_secret),
        "/oauth2/{server}/v1/revoke",
        post(revoke),
    )
    .await
}

async fn revoke(
    State(state): State<ServerState>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/oauth2/{server}/v1/revoke");
    let busy = limited(
        j!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests.", "errorLink": "E0000047", "errorId": "oae-1", "errorCauses": []}),
        &[
            ("x-rate-limit-limit", "600".into()),
            ("x-rate-limit-remaining", "0".into()),
            ("x-rate-limit-reset", epoch_in(2)),
        ],
    );
    if let Some(r) = arrive(&state, path, &headers, &body, busy).await {
        return r;
    }
    let form = form_once(&body).filter(|_| is_form(&headers));
    let Some(form) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request is malformed.",
        );
    };
    match check_client(&state, &headers, &form, ClientIn::Either) {
        Client::Ok => {}
        Client::Both => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.",
            );
        }
        Client::Missing | Client::Wrong => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "No client credentials found.",
            );
        }
    }
    if let Some(hint) = form.get("token_type_hint")
        && !["access_token", "refresh_token", "device_secret"].contains(&hint.as_str())
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "The token_type_hint is not supported.",
        );
    }
    let Some(token) = form.get("token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The token parameter is required.",
        );
    };
    state.end(token);
    empty(StatusCode::OK)
}
