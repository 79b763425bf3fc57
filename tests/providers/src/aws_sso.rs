//! AWS IAM Identity Center's portal `Logout` as its service model (botocore `sso`
//! 2019-06-10) and Portal API Reference describe it:
//! - `POST /logout` on `portal.sso.{region}.amazonaws.com` with the access token in the header
//!   `x-amz-sso_bearer_token`, no body, no SigV4 (`authtype: none`).
//! - "HTTP 200 response with an empty HTTP body": the sign-in session is over.
//! - `UnauthorizedException` **401** for an invalid (revoked, expired or unknown) token;
//!   `InvalidRequestException` 400; `TooManyRequestsException` **429**.
//!
//! Assumed: the rest-json error shape (`{"message":"…"}` with the name in
//! `x-amzn-ErrorType`) and its texts; no `Retry-After` on the 429 (none is documented).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Busy, ServerState, TestServer, arrive, empty, header, json, new_state, serve_at, with_headers,
};

/// An IAM Identity Center portal test server.
pub async fn aws_sso() -> TestServer {
    serve_at(new_state("", None), "/logout", post(logout)).await
}

fn aws_error(status: StatusCode, name: &str, message: &str) -> Response {
    with_headers(
        json(status, j!({"message": message})),
        &[(
            "x-amzn-errortype",
            format!("{name}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"),
        )],
    )
}

async fn logout(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = |b| {
        (b == Busy::RateLimited).then(|| {
            aws_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Rate exceeded",
            )
        })
    };
    if let Some(r) = arrive(&state, "/logout", &headers, &body, busy).await {
        return r;
    }
    let Some(token) = header(&headers, "x-amz-sso_bearer_token") else {
        return aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "Missing x-amz-sso_bearer_token",
        );
    };
    if state.end(token) {
        empty(StatusCode::OK)
    } else {
        aws_error(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedException",
            "Session token not found or invalid",
        )
    }
}
