//! Amazon Cognito's two sign-out calls as the Cognito API Reference and developer guide
//! describe them; one server answers both hosts' paths (a profile that moves `base_url` drops
//! the built-in's other host):
//! - `POST /` on `cognito-idp.{region}.amazonaws.com`, the AWS JSON protocol: `Content-Type:
//!   application/x-amz-json-1.1`, `X-Amz-Target: AWSCognitoIdentityProviderService.GlobalSignOut`,
//!   body `{"AccessToken":"…"}`, no `Authorization`. 200 `{}`: every token of the user is
//!   revoked. Errors are `{"__type":"<name>","message":"…"}`: `NotAuthorizedException` (400;
//!   "Access Token has been revoked" for a revoked token, "Access Token does not have required
//!   scopes" for a token without `aws.cognito.signin.user.admin`), and throttling as
//!   `TooManyRequestsException` with HTTP **400**, not 429.
//! - `POST /oauth2/revoke` on the user pool's domain: form `token=<refresh token>`, the app
//!   client's id and secret as HTTP Basic (a client without a secret sends `client_id` in the
//!   form); 200 with an empty body. It also revokes every access and ID token of that refresh
//!   token ([`TestServer::issue_grant`]); revoking it again answers 200 as well.
//!
//! Assumed: `/oauth2/revoke`'s error bodies (OAuth style, 400 `invalid_request`, 401
//! `invalid_client`), the GlobalSignOut message for a token Cognito never issued ("Invalid
//! Access Token"), and the errors for a request without the AWS JSON headers
//! (`UnknownOperationException`, `SerializationException`, 400).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{
    Busy, Client, ClientIn, ServerState, TestServer, arrive, check_client, empty, form_once,
    header, intake, is_form, json, json_fields, new_state, serve,
};

/// The `X-Amz-Target` of GlobalSignOut.
const GLOBAL_SIGN_OUT: &str = "AWSCognitoIdentityProviderService.GlobalSignOut";

/// A Cognito test server for the app client `client_id` (`None` secret: a public client).
/// Tokens marked with [`TestServer::issue_foreign`] are access tokens without the
/// `aws.cognito.signin.user.admin` scope.
pub async fn cognito(client_id: &str, client_secret: Option<&str>) -> TestServer {
    let state = new_state(client_id, client_secret);
    let router = Router::new()
        .route("/", post(json_rpc))
        .route("/oauth2/revoke", post(revoke))
        .with_state(state.clone());
    serve(router, state, 0).await
}

fn aws_error(name: &str, message: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        j!({"__type": name, "message": message}),
    )
}

async fn json_rpc(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    let busy = |b| {
        (b == Busy::RateLimited).then(|| aws_error("TooManyRequestsException", "Rate exceeded"))
    };
    if let Some(r) = arrive(&state, "/", &headers, &body, busy).await {
        return r;
    }
    if header(&headers, "x-amz-target") != Some(GLOBAL_SIGN_OUT) {
        return aws_error("UnknownOperationException", "");
    }
    let params = json_fields(&body)
        .filter(|_| header(&headers, "content-type") == Some("application/x-amz-json-1.1"));
    let Some(token) = params.and_then(|mut p| p.remove("AccessToken")) else {
        return aws_error(
            "SerializationException",
            "Start of structure or map found where not expected.",
        );
    };
    if state.is_foreign(&token) {
        return aws_error(
            "NotAuthorizedException",
            "Access Token does not have required scopes",
        );
    }
    if state.was_ended(&token) {
        return aws_error("NotAuthorizedException", "Access Token has been revoked");
    }
    if !state.end_grant(&token) {
        return aws_error("NotAuthorizedException", "Invalid Access Token");
    }
    json(StatusCode::OK, j!({}))
}

async fn revoke(State(state): State<ServerState>, headers: HeaderMap, body: String) -> Response {
    if let Some(r) = intake(&state, "/oauth2/revoke".into(), &headers, &body).await {
        return r;
    }
    let oauth = |status, code: &str| json(status, j!({"error": code}));
    let Some(form) = form_once(&body).filter(|_| is_form(&headers)) else {
        return oauth(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let at = if state.client_secret.is_some() {
        ClientIn::Basic
    } else {
        ClientIn::Body
    };
    if check_client(&state, &headers, &form, at) != Client::Ok {
        return oauth(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let Some(token) = form.get("token") else {
        return oauth(StatusCode::BAD_REQUEST, "invalid_request");
    };
    state.end_grant(token);
    empty(StatusCode::OK)
}
