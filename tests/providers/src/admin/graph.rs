//! The Microsoft identity platform's app-only token and Microsoft Graph's
//! `revokeSignInSessions`, as docs/admin-signout.md reads them from the Graph reference
//! (`user-revokesigninsessions`), its known-issues page, the throttling guide, the errors page
//! and MSAL's client-credentials docs. One server serves both the login host's and Graph's
//! paths (point both base URLs at it):
//! - `POST /{tenant}/oauth2/v2.0/token`, form `grant_type=client_credentials`, `client_id`,
//!   `client_secret`, `scope=https://graph.microsoft.com/.default` ("Client credential flows
//!   must have a scope value with /.default suffixed", AADSTS1002012) → `{"token_type":"Bearer",
//!   "expires_in","access_token"}`.
//! - `POST /v1.0/users/{id | userPrincipalName}/revokeSignInSessions`, bearer, no body → 200
//!   `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean","value":true}`
//!   (the value "is always true"; also for a user already signed out). Needs the application
//!   permission `User.RevokeSessions.All` (or `User.ReadWrite.All` / `Directory.ReadWrite.All`).
//!   The SDK form `…/microsoft.graph.revokeSignInSessions` is taken too.
//! - 404 `{"error":{"code":"Request_ResourceNotFound","message":"Resource '<x>' does not exist
//!   or one of its queried reference-property objects are not present.","innerError":{…}}}`;
//!   403 `Authorization_RequestDenied` "Insufficient privileges to complete the operation.".
//! - Throttled: 429 with `Retry-After` (seconds).
//! - `GET /v1.0/users?$filter=mail eq 'a@b.c'` → `{"value":[…]}` (`id`, `userPrincipalName`,
//!   `mail`, `displayName`).
//!
//! Assumed: 401 `InvalidAuthenticationToken` "Access token is empty." (no bearer) / "Access
//! token validation failure. Invalid audience." (unknown token); the token endpoint's errors:
//! wrong secret → 401 `invalid_client` (AADSTS7000215), another scope → 400 `invalid_scope`
//! (AADSTS1002012), another grant → 400 `unsupported_grant_type`, another tenant → 400
//! `invalid_request` (AADSTS90002); `expires_in` 3599; the 429 body code `TooManyRequests`;
//! `$filter` other than `mail eq '…'` (or `userPrincipalName eq '…'`) → 400 `BadRequest`
//! "Invalid filter clause"; listing needs `User.Read.All` (or `User.ReadWrite.All` /
//! `Directory.Read.All`); UPN matches case-insensitively; revoking also ends the user's app
//! tokens (refresh tokens).

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json as j;

use super::{AdminServer, AdminState, AdminUser, Flavor, query_of, serve_admin, sign_out};
use crate::{Client, ClientIn, bearer, check_client, form_once, is_form, json, new_state};

/// The application permissions the app has here (admin consent given).
pub const GRAPH_ROLES: [&str; 2] = ["User.RevokeSessions.All", "User.Read.All"];

const REVOKE_ROLES: [&str; 3] = [
    "User.RevokeSessions.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const READ_ROLES: [&str; 3] = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];

/// An Entra tenant (`tenant`: its id or domain) with the app `client_id` / `client_secret`
/// granted [`GRAPH_ROLES`], on one server for both `login.microsoftonline.com` and
/// `graph.microsoft.com` paths.
pub async fn graph(tenant: &str, client_id: &str, client_secret: &str) -> AdminServer {
    let state = AdminState::new(
        client_id,
        client_secret,
        &GRAPH_ROLES,
        Flavor {
            is_token_path: |p| p.ends_with("/oauth2/v2.0/token"),
            limited,
        },
    );
    state.lock().tenant = tenant.to_owned();
    let router = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/v1.0/users", get(list))
        .route("/v1.0/users/{user}/{action}", post(revoke));
    serve_admin(router, state).await
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        j!({"error": {"code": code, "message": message, "innerError": {"date": "2026-12-01T00:00:00", "request-id": uuid::Uuid::new_v4().to_string(), "client-request-id": uuid::Uuid::new_v4().to_string()}}}),
    )
}

fn limited(secs: u64, _plain: bool) -> Response {
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Too many requests.",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
    r
}

fn aad_error(status: StatusCode, code: &str, aadsts: u32, text: &str) -> Response {
    json(
        status,
        j!({"error": code, "error_description": format!("AADSTS{aadsts}: {text}"), "error_codes": [aadsts], "timestamp": "2026-12-01 00:00:00Z", "trace_id": uuid::Uuid::new_v4().to_string(), "correlation_id": uuid::Uuid::new_v4().to_string()}),
    )
}

async fn token(
    State(state): State<AdminState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if state.lock().tenant != tenant {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    let Some(form) = form_once(&body).filter(|_| is_form(&headers)) else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let client = new_state(&state.client_id, Some(&state.client_secret));
    if check_client(&client, &headers, &form, ClientIn::Either) != Client::Ok {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        );
    }
    if form.get("scope").map(String::as_str) != Some("https://graph.microsoft.com/.default") {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
        );
    }
    let at = state.issue("eyJ0eXAiOiJKV1Qi.graph.", state.granted());
    json(
        StatusCode::OK,
        j!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": at}),
    )
}

#[allow(clippy::result_large_err)]
fn auth(state: &AdminState, headers: &HeaderMap, any_of: &[&str]) -> Result<(), Response> {
    if bearer(headers).is_none_or(str::is_empty) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token is empty.",
        ));
    }
    let Some(roles) = state.bearer_scopes(headers) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        ));
    };
    if any_of.iter().any(|r| roles.contains(*r)) {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ))
    }
}

fn user_json(u: &AdminUser) -> serde_json::Value {
    j!({"id": u.id, "userPrincipalName": u.username, "mail": u.email, "displayName": u.display_name})
}

async fn revoke(
    State(state): State<AdminState>,
    Path((user, action)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !matches!(
        action.as_str(),
        "revokeSignInSessions" | "microsoft.graph.revokeSignInSessions"
    ) {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Resource not found for the segment '{action}'."),
        );
    }
    if let Err(r) = auth(&state, &headers, &REVOKE_ROLES) {
        return r;
    }
    let done = state.with_user(
        |u| u.id == user || u.username.eq_ignore_ascii_case(&user),
        |u| {
            sign_out(u);
            u.tokens.clear();
        },
    );
    match done {
        Some(()) => json(
            StatusCode::OK,
            j!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", "value": true}),
        ),
        None => error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{user}' does not exist or one of its queried reference-property objects are not present."
            ),
        ),
    }
}

async fn list(
    State(state): State<AdminState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth(&state, &headers, &READ_ROLES) {
        return r;
    }
    let q = query_of(query.as_deref());
    let users = match q.get("$filter") {
        None => state.users_where(|_| true),
        Some(f) => {
            let clause = |field: &str| {
                f.trim()
                    .strip_prefix(field)
                    .and_then(|s| s.strip_prefix(" eq '"))
                    .and_then(|s| s.strip_suffix('\''))
                    .map(|s| s.replace("''", "'"))
            };
            if let Some(mail) = clause("mail") {
                state.users_where(|u| u.email.eq_ignore_ascii_case(&mail))
            } else if let Some(upn) = clause("userPrincipalName") {
                state.users_where(|u| u.username.eq_ignore_ascii_case(&upn))
            } else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "Invalid filter clause",
                );
            }
        }
    };
    let value: Vec<_> = users.iter().map(user_json).collect();
    json(
        StatusCode::OK,
        j!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": value}),
    )
}
