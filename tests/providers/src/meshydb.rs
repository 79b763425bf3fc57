//! MeshyDB: POST /{accountName}/connect/revocation, form token, token_type_hint, client_id.
//! 200 OK on logout; 400 for an invalid client id, a missing token, an unsupported token type;
//! 429 when the API or database limit is hit.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::{ServerState, TestServer, form_of, intake, invalid_request, json, new_state, serve};

/// The MeshyDB account name the server answers for.
pub const MESHYDB_ACCOUNT: &str = "acme";

pub async fn meshydb(public_key: &str) -> TestServer {
    meshydb_on(public_key, 0).await
}

/// MeshyDB on a given port (0: any), e.g. to bring a "down" provider back where it was.
pub async fn meshydb_on(public_key: &str, port: u16) -> TestServer {
    let state = new_state(public_key, None);
    let router = Router::new()
        .route("/{account}/connect/revocation", post(meshydb_revocation))
        .route("/{account}/connect/token", post(meshydb_token))
        .route(
            "/{account}/users/register/anonymous",
            post(meshydb_register_anonymous),
        )
        .with_state(state.clone());
    serve(router, state, port).await
}

/// What every MeshyDB form endpoint does first: record the request (and apply a fault), check
/// the account name and the public key (`client_id`); gives the form.
async fn meshydb_client_form(
    state: &ServerState,
    account: &str,
    path: String,
    headers: &HeaderMap,
    body: &str,
) -> Result<HashMap<String, String>, Response> {
    if let Some(r) = intake(state, path, headers, body).await {
        return Err(r);
    }
    if account != MESHYDB_ACCOUNT {
        return Err((StatusCode::NOT_FOUND, "Account not found").into_response());
    }
    let form = form_of(body);
    if form.get("client_id") != Some(&state.client_id) {
        return Err(json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_client"}),
        ));
    }
    Ok(form)
}

async fn meshydb_revocation(
    State(state): State<ServerState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/{account}/connect/revocation");
    let form = match meshydb_client_form(&state, &account, path, &headers, &body).await {
        Ok(form) => form,
        Err(r) => return r,
    };
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return invalid_request();
    };
    match form.get("token_type_hint").map(String::as_str) {
        None | Some("refresh_token") | Some("access_token") => {}
        Some(_) => {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "unsupported_token_type"}),
            );
        }
    }
    state.end(token);
    StatusCode::OK.into_response()
}

/// MeshyDB's documented token login (docs/authorization/generating_token and refreshing_token):
/// `POST /{accountName}/connect/token`, form `client_id`, `grant_type=password` with `username`,
/// `password` and `scope=meshy.api offline_access`, or `grant_type=refresh_token`. Answers
/// `{access_token, expires_in: 3600, token_type: "Bearer", refresh_token}`.
async fn meshydb_token(
    State(state): State<ServerState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/{account}/connect/token");
    let form = match meshydb_client_form(&state, &account, path, &headers, &body).await {
        Ok(form) => form,
        Err(r) => return r,
    };
    let invalid_grant = || {
        json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant"}),
        )
    };
    let mut inner = state.inner.lock().unwrap();
    let (user, refresh) = match form.get("grant_type").map(String::as_str) {
        Some("password") => {
            let (Some(name), Some(password)) = (form.get("username"), form.get("password")) else {
                return invalid_grant();
            };
            if inner.users.get(name) != Some(password) {
                return invalid_grant();
            }
            let scopes: Vec<&str> = form
                .get("scope")
                .map(|s| s.split(' ').collect())
                .unwrap_or_default();
            if !scopes.contains(&"meshy.api") {
                return json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"error": "invalid_scope"}),
                );
            }
            let refresh = scopes
                .contains(&"offline_access")
                .then(|| format!("mdb-rt-{}", uuid::Uuid::new_v4().simple()));
            (name.clone(), refresh)
        }
        Some("refresh_token") => {
            let Some(rt) = form.get("refresh_token") else {
                return invalid_grant();
            };
            let owner = inner
                .issued
                .iter()
                .find(|(_, t)| t == rt)
                .map(|(u, _)| u.clone());
            match owner {
                Some(user) if inner.live.contains(rt) => (user, None),
                _ => return invalid_grant(),
            }
        }
        _ => {
            return json(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "unsupported_grant_type"}),
            );
        }
    };
    let access = format!("mdb-at-{}", uuid::Uuid::new_v4().simple());
    inner.live.insert(access.clone());
    let mut answer = serde_json::json!({
        "access_token": access,
        "expires_in": 3600,
        "token_type": "Bearer",
    });
    if let Some(rt) = refresh {
        inner.live.insert(rt.clone());
        inner.issued.push((user, rt.clone()));
        answer["refresh_token"] = rt.into();
    }
    json(StatusCode::OK, answer)
}

/// MeshyDB's anonymous registration (docs/users/registering_anonymoususer): `POST
/// /{accountName}/users/register/anonymous` with JSON `{"username": ...}`; the user then logs in
/// with the password `nopassword`.
async fn meshydb_register_anonymous(
    State(state): State<ServerState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/{account}/users/register/anonymous");
    if let Some(r) = intake(&state, path, &headers, &body).await {
        return r;
    }
    if account != MESHYDB_ACCOUNT {
        return (StatusCode::NOT_FOUND, "Account not found").into_response();
    }
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let name = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["username"].as_str().map(str::to_owned))
        .filter(|n| !n.is_empty());
    let (true, Some(name)) = (json_type, name) else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "Username is required."}),
        );
    };
    let mut inner = state.inner.lock().unwrap();
    if inner.users.contains_key(&name) {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "Username already exists."}),
        );
    }
    inner.users.insert(name.clone(), "nopassword".into());
    json(
        StatusCode::CREATED,
        serde_json::json!({
            "id": uuid::Uuid::new_v4().simple().to_string(),
            "username": name,
            "verified": false,
            "isActive": true,
            "roles": [],
            "anonymous": true,
        }),
    )
}
