//! HyperID (Keycloak): /auth/realms/{realm}/protocol/openid-connect/{logout,revoke,token/introspect}
//! with client_id and client_secret in the form. Logout: 200 while the session is active,
//! 400 invalid_grant once it is not, 401 invalid_client for bad credentials.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::{ServerState, TestServer, form_of, intake, invalid_request, json, new_state, serve};

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

/// What the logout and revoke endpoints do first: record the request (and apply a fault),
/// check the realm (logout only: revoke answers for any realm) and the client's credentials;
/// gives the form.
async fn hyperid_client_form(
    state: &ServerState,
    realm: &str,
    endpoint: &str,
    headers: &HeaderMap,
    body: &str,
) -> Result<HashMap<String, String>, Response> {
    let path = format!("/auth/realms/{realm}/protocol/openid-connect/{endpoint}");
    if let Some(r) = intake(state, path, headers, body).await {
        return Err(r);
    }
    let form = form_of(body);
    if endpoint == "logout" && realm != HYPERID_REALM {
        return Err(json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "Realm does not exist"}),
        ));
    }
    if !hyperid_client_ok(state, headers, &form) {
        return Err(invalid_client());
    }
    Ok(form)
}

async fn hyperid_logout(
    State(state): State<ServerState>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let form = match hyperid_client_form(&state, &realm, "logout", &headers, &body).await {
        Ok(form) => form,
        Err(r) => return r,
    };
    let Some(rt) = form.get("refresh_token") else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_request", "error_description": "Refresh token not provided"}),
        );
    };
    if state.end(rt) {
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
    let form = match hyperid_client_form(&state, &realm, "revoke", &headers, &body).await {
        Ok(form) => form,
        Err(r) => return r,
    };
    let Some(token) = form.get("token") else {
        return invalid_request();
    };
    state.end(token);
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
