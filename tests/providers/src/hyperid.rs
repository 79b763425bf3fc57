//! HyperID (Keycloak): /auth/realms/{realm}/protocol/openid-connect/{logout,revoke,token/introspect}
//! with client_id and client_secret in the form. Logout: 200 while the session is active,
//! 400 invalid_grant once it is not, 401 invalid_client for bad credentials.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::{ServerState, TestServer, form_of, intake, json, new_state, serve};

pub const HYPERID_REALM: &str = "HyperID";

pub async fn hyperid(client_id: &str, client_secret: &str) -> TestServer {
    let state = new_state(client_id, Some(client_secret));
    let base = "/auth/realms/{realm}/protocol/openid-connect";
    let router = Router::new()
        .route(&format!("{base}/logout"), post(hyperid_logout))
        .route(&format!("{base}/revoke"), post(hyperid_revoke))
        .route(
            &format!("{base}/token/introspect"),
            post(hyperid_introspect),
        )
        .with_state(state.clone());
    serve(router, state, 0).await
}

fn hyperid_client_ok(
    state: &ServerState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> bool {
    let (id, secret) = client_of(headers, form);
    id.as_deref() == Some(&state.client_id) && secret == state.client_secret
}

fn invalid_client() -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        serde_json::json!({"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"}),
    )
}

async fn hyperid_logout(
    State(state): State<ServerState>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = intake(
        &state,
        format!("/auth/realms/{realm}/protocol/openid-connect/logout"),
        &headers,
        &body,
    )
    .await
    {
        return r;
    }
    let form = form_of(&body);
    if realm != HYPERID_REALM {
        return json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "Realm does not exist"}),
        );
    }
    if !hyperid_client_ok(&state, &headers, &form) {
        return invalid_client();
    }
    let Some(rt) = form.get("refresh_token") else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_request", "error_description": "Refresh token not provided"}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.live.remove(rt) {
        inner.ended.insert(rt.clone());
        StatusCode::NO_CONTENT.into_response()
    } else {
        json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant", "error_description": "Session not active"}),
        )
    }
}

async fn hyperid_revoke(
    State(state): State<ServerState>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(r) = intake(
        &state,
        format!("/auth/realms/{realm}/protocol/openid-connect/revoke"),
        &headers,
        &body,
    )
    .await
    {
        return r;
    }
    let form = form_of(&body);
    if !hyperid_client_ok(&state, &headers, &form) {
        return invalid_client();
    }
    let Some(token) = form.get("token") else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_request"}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.live.remove(token) {
        inner.ended.insert(token.clone());
    }
    StatusCode::OK.into_response()
}

async fn hyperid_introspect(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let form = form_of(&body);
    if !hyperid_client_ok(&state, &headers, &form) {
        return invalid_client();
    }
    let active = form
        .get("token")
        .is_some_and(|t| state.inner.lock().unwrap().live.contains(t));
    json(StatusCode::OK, serde_json::json!({ "active": active }))
}

/// Client credentials from Basic auth or the form.
fn client_of(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> (Option<String>, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64_decode(basic);
        if let Some((id, secret)) = decoded.split_once(':') {
            let dec = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            return (dec(id), dec(secret));
        }
    }
    (
        form.get("client_id").cloned(),
        form.get("client_secret").cloned(),
    )
}

fn base64_decode(s: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}
