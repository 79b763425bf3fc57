//! Slack's Web API methods `auth.revoke` and `auth.test` as Slack documents them
//! (api.slack.com/methods/auth.revoke, /methods/auth.test, /docs/rate-limits):
//! - Both take the token as `Authorization: Bearer` (or a `token` POST parameter) and answer
//!   **HTTP 200 either way**; the body says what happened: `{"ok":true,"revoked":true}` when
//!   `auth.revoke` revoked the token, `{"ok":false,"error":"<code>"}` when it did not.
//! - `token_revoked` for a token that was revoked (or whose app was removed), `invalid_auth`
//!   for a token Slack does not know (it also covers a call from an address the workspace does
//!   not allow), `not_authed` when no token was sent.
//! - `auth.test` answers `{"ok":true,…}` for a working token, the same errors otherwise.
//! - Over the method's rate limit: HTTP 429 with `Retry-After` in seconds.
//!
//! Assumed (not in Slack's pages): the 429 body `{"ok":false,"error":"ratelimited"}`
//! (secondary); a live token the workspace's policy does not let this caller revoke
//! ([`TestServer::issue_foreign`]) gets `access_denied` from `auth.revoke` and still passes
//! `auth.test`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use serde_json::json as j;

use crate::{ServerState, TestServer, arrive, bearer, form_of, json, limited, new_state, serve};

/// A Slack test server; its base URL plus `api` is the profile's `base_url`.
pub async fn slack() -> TestServer {
    let state = new_state("", None);
    let router = Router::new()
        .route("/api/auth.revoke", post(method))
        .route("/api/auth.test", post(method))
        .with_state(state.clone());
    serve(router, state, 0).await
}

fn says(body: serde_json::Value) -> Response {
    json(StatusCode::OK, body)
}

async fn method(
    State(state): State<ServerState>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let busy = limited(
        j!({"ok": false, "error": "ratelimited"}),
        &[("retry-after", "1".into())],
    );
    if let Some(r) = arrive(&state, uri.path().to_owned(), &headers, &body, busy).await {
        return r;
    }
    let token = bearer(&headers)
        .map(str::to_owned)
        .or_else(|| form_of(&body).remove("token"));
    let Some(token) = token else {
        return says(j!({"ok": false, "error": "not_authed"}));
    };
    let revoke = uri.path().ends_with("auth.revoke");
    if state.is_foreign(&token) {
        return says(if revoke {
            j!({"ok": false, "error": "access_denied"})
        } else {
            j!({"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "ada"})
        });
    }
    if state.was_ended(&token) {
        return says(j!({"ok": false, "error": "token_revoked"}));
    }
    if !state.is_live(&token) {
        return says(j!({"ok": false, "error": "invalid_auth"}));
    }
    if revoke {
        state.end(&token);
        says(j!({"ok": true, "revoked": true}))
    } else {
        says(j!({"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "ada"}))
    }
}
