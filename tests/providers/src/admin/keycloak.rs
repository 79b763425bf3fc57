//! Keycloak's Admin REST API for signing a user out, as docs/admin-signout.md reads it from
//! the Server Development guide ("Admin REST API"), `UserResource.java`,
//! `UserSessionRepresentation.java` and the `UsersResource` javadoc:
//! - `POST /realms/{realm}/protocol/openid-connect/token`, form
//!   `grant_type=client_credentials`, the confidential client's id and secret by HTTP Basic or
//!   in the form → `{"access_token","expires_in","token_type":"Bearer",…}`.
//! - Every admin call takes `Authorization: Bearer <access_token>`.
//! - `GET /admin/realms/{realm}/users?email=…&exact=true` (or `username=`) → 200 array of
//!   `UserRepresentation` (`id`, `username`, `email`, `enabled`, …); no match → `200 []`.
//!   Needs `query-users` or `view-users`.
//! - `GET /admin/realms/{realm}/users/{id}` → 200 `UserRepresentation` (`view-users`).
//! - `GET /admin/realms/{realm}/users/{id}/sessions` → array of `UserSessionRepresentation`
//!   (`id`, `username`, `userId`, `ipAddress`, `start`, `lastAccess` in epoch ms, `rememberMe`,
//!   `clients` {uuid: clientId}, `transientUser`). Needs `view-users`.
//! - `POST /admin/realms/{realm}/users/{id}/logout`, no body → 204, also when the user has no
//!   session left; ends every online session. Needs `manage-users`; without → 403.
//! - `DELETE /admin/realms/{realm}/sessions/{session}` → 204. Needs `manage-users`.
//! - `GET /admin/realms/{realm}/users/{id}/consents` → array of the user's consents, one per
//!   client: `clientId`, `grantedClientScopes`, `createdDate`, `lastUpdatedDate` (epoch ms),
//!   and for offline tokens `additionalGrants: [{"client": <uuid>, "key": "Offline Token"}]`
//!   (`toConsent` in `UserResource`). Needs `view-users`.
//! - `DELETE /admin/realms/{realm}/users/{id}/consents/{clientId}` → 204: "Revoke consent and
//!   offline tokens for particular client from user"; nothing to revoke → 404 `Consent nor
//!   offline token not found`. Needs `manage-users`.
//!
//! Offline sessions are the user's app tokens here ([`AdminServer::add_token`]: one per
//! client, with an offline grant and no consent screen): `logout` leaves them, as Keycloak's
//! does (it iterates online sessions only); revoking the client's consent ends them.
//!
//! Assumed: an unknown user id → 404 `{"error":"User not found"}`; an unknown session → 404
//! `{"error":"Session not found"}`; a missing or unknown bearer → 401
//! `{"error":"HTTP 401 Unauthorized"}`; 403 → `{"error":"HTTP 403 Forbidden"}`; bad client
//! credentials → 401 `{"error":"invalid_client","error_description":"Invalid client or Invalid
//! client credentials"}`; another grant → 400 `unsupported_grant_type`; a realm other than the
//! server's → 404 `{"error":"Realm does not exist"}` (token) / `{"error":"Realm not found."}`
//! (admin); `expires_in` 300 (the realm default lifespan). Without `exact=true`, `email` and
//! `username` match as case-insensitive substrings; with it, case-insensitively whole. There is
//! no documented rate limit: [`AdminServer::rate_limit_next`] answers what a reverse proxy in
//! front would, 503 with `Retry-After`. Deleting a user's last session counts as signing them
//! out.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde_json::json as j;

use super::{
    AdminServer, AdminState, AdminUser, Flavor, bad_request, query_of, serve_admin, sign_out,
};
use crate::{Client, ClientIn, check_client, empty, form_once, json, new_state, oauth_error};

/// The realm-management roles a service account gets by default here.
pub const KEYCLOAK_ROLES: [&str; 3] = ["view-users", "query-users", "manage-users"];

/// A Keycloak test server for `realm` and its confidential client `client_id` / `client_secret`
/// (service account with [`KEYCLOAK_ROLES`]; take one away with [`AdminServer::withhold`]).
pub async fn keycloak(realm: &str, client_id: &str, client_secret: &str) -> AdminServer {
    let state = AdminState::new(
        client_id,
        client_secret,
        &KEYCLOAK_ROLES,
        Flavor {
            is_token_path: |p| p.ends_with("/protocol/openid-connect/token"),
            limited,
        },
    );
    state.lock().tenant = realm.to_owned();
    let router = Router::new()
        .route("/realms/{realm}/protocol/openid-connect/token", post(token))
        .route("/admin/realms/{realm}/users", get(users))
        .route("/admin/realms/{realm}/users/{id}", get(user))
        .route("/admin/realms/{realm}/users/{id}/sessions", get(sessions))
        .route("/admin/realms/{realm}/users/{id}/logout", post(logout))
        .route("/admin/realms/{realm}/users/{id}/consents", get(consents))
        .route(
            "/admin/realms/{realm}/users/{id}/consents/{client}",
            delete(revoke_consent),
        )
        .route(
            "/admin/realms/{realm}/sessions/{session}",
            delete(delete_session),
        );
    serve_admin(router, state).await
}

fn limited(secs: u64, _plain: bool) -> Response {
    let mut r = json(
        StatusCode::SERVICE_UNAVAILABLE,
        j!({"error": "Service Unavailable"}),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
    r
}

fn error(status: StatusCode, text: &str) -> Response {
    json(status, j!({"error": text}))
}

fn is_realm(state: &AdminState, realm: &str) -> bool {
    state.lock().tenant == realm
}

async fn token(
    State(state): State<AdminState>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !is_realm(&state, &realm) {
        return error(StatusCode::NOT_FOUND, "Realm does not exist");
    }
    let Some(form) = form_once(&body).filter(|_| crate::is_form(&headers)) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid request",
        );
    };
    let client = new_state(&state.client_id, Some(&state.client_secret));
    match check_client(&client, &headers, &form, ClientIn::Either) {
        Client::Ok => {}
        Client::Both => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Multiple client credentials",
            );
        }
        Client::Missing | Client::Wrong => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Invalid client or Invalid client credentials",
            );
        }
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant_type",
        );
    }
    let at = state.issue("kc-at-", state.granted());
    json(
        StatusCode::OK,
        j!({"access_token": at, "expires_in": 300, "refresh_expires_in": 0, "token_type": "Bearer", "not-before-policy": 0, "scope": "profile email"}),
    )
}

/// The realm and bearer checks every admin call shares; `Err` is the answer.
#[allow(clippy::result_large_err)]
fn admin(
    state: &AdminState,
    realm: &str,
    headers: &HeaderMap,
    any_of: &[&str],
) -> Result<(), Response> {
    if !is_realm(state, realm) {
        return Err(error(StatusCode::NOT_FOUND, "Realm not found."));
    }
    let Some(roles) = state.bearer_scopes(headers) else {
        return Err(error(StatusCode::UNAUTHORIZED, "HTTP 401 Unauthorized"));
    };
    if any_of.iter().any(|r| roles.contains(*r)) {
        Ok(())
    } else {
        Err(error(StatusCode::FORBIDDEN, "HTTP 403 Forbidden"))
    }
}

fn representation(u: &AdminUser) -> serde_json::Value {
    let (first, last) = u
        .display_name
        .split_once(' ')
        .unwrap_or((&u.display_name, ""));
    j!({"id": u.id, "username": u.username, "email": u.email, "firstName": first, "lastName": last, "enabled": true, "emailVerified": true, "createdTimestamp": 0})
}

async fn users(
    State(state): State<AdminState>,
    Path(realm): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin(&state, &realm, &headers, &["query-users", "view-users"]) {
        return r;
    }
    let q = query_of(query.as_deref());
    let exact = q.get("exact").is_some_and(|v| v == "true");
    let matches = |have: &str, want: Option<&String>| {
        want.is_none_or(|w| {
            let (have, w) = (have.to_lowercase(), w.to_lowercase());
            if exact { have == w } else { have.contains(&w) }
        })
    };
    let (email, username) = (q.get("email"), q.get("username"));
    let found: Vec<_> = state
        .users_where(|u| matches(&u.email, email) && matches(&u.username, username))
        .iter()
        .map(representation)
        .collect();
    json(StatusCode::OK, serde_json::Value::Array(found))
}

async fn user(
    State(state): State<AdminState>,
    Path((realm, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin(&state, &realm, &headers, &["view-users"]) {
        return r;
    }
    match state.with_user(|u| u.id == id, |u| representation(u)) {
        Some(v) => json(StatusCode::OK, v),
        None => error(StatusCode::NOT_FOUND, "User not found"),
    }
}

async fn sessions(
    State(state): State<AdminState>,
    Path((realm, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin(&state, &realm, &headers, &["view-users"]) {
        return r;
    }
    let list = state.with_user(
        |u| u.id == id,
        |u| {
            u.sessions
                .iter()
                .map(|s| {
                    j!({"id": s.id, "username": u.username, "userId": u.id, "ipAddress": s.ip_address, "start": s.start, "lastAccess": s.last_access, "rememberMe": false, "clients": s.clients, "transientUser": false})
                })
                .collect::<Vec<_>>()
        },
    );
    match list {
        Some(list) => json(StatusCode::OK, serde_json::Value::Array(list)),
        None => error(StatusCode::NOT_FOUND, "User not found"),
    }
}

async fn consents(
    State(state): State<AdminState>,
    Path((realm, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin(&state, &realm, &headers, &["view-users"]) {
        return r;
    }
    let list = state.with_user(
        |u| u.id == id,
        |u| {
            u.tokens
                .iter()
                .map(|t| {
                    j!({"clientId": t.client_id, "grantedClientScopes": [], "createdDate": 1_764_590_000_000_u64, "lastUpdatedDate": 1_764_600_000_000_u64, "additionalGrants": [{"client": t.id, "key": "Offline Token"}]})
                })
                .collect::<Vec<_>>()
        },
    );
    match list {
        Some(list) => json(StatusCode::OK, serde_json::Value::Array(list)),
        None => error(StatusCode::NOT_FOUND, "User not found"),
    }
}

async fn revoke_consent(
    State(state): State<AdminState>,
    Path((realm, id, client)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin(&state, &realm, &headers, &["manage-users"]) {
        return r;
    }
    let removed = state.with_user(
        |u| u.id == id,
        |u| {
            let before = u.tokens.len();
            u.tokens.retain(|t| t.client_id != client);
            before != u.tokens.len()
        },
    );
    match removed {
        Some(true) => empty(StatusCode::NO_CONTENT),
        Some(false) => error(StatusCode::NOT_FOUND, "Consent nor offline token not found"),
        None => error(StatusCode::NOT_FOUND, "User not found"),
    }
}

async fn logout(
    State(state): State<AdminState>,
    Path((realm, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin(&state, &realm, &headers, &["manage-users"]) {
        return r;
    }
    match state.with_user(|u| u.id == id, sign_out) {
        Some(()) => empty(StatusCode::NO_CONTENT),
        None => error(StatusCode::NOT_FOUND, "User not found"),
    }
}

async fn delete_session(
    State(state): State<AdminState>,
    Path((realm, session)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admin(&state, &realm, &headers, &["manage-users"]) {
        return r;
    }
    if session.is_empty() {
        return bad_request();
    }
    let ended = state.with_user(
        |u| u.sessions.iter().any(|s| s.id == session),
        |u| {
            u.sessions.retain(|s| s.id != session);
            if u.sessions.is_empty() {
                u.signed_out = true;
            }
        },
    );
    match ended {
        Some(()) => empty(StatusCode::NO_CONTENT),
        None => error(StatusCode::NOT_FOUND, "Session not found"),
    }
}
