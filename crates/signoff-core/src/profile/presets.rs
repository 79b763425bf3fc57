//! The four seed protocols written as steps, the same form a profile's `[[provider.step]]`s
//! take: RFC 7009 revocation, Keycloak's logout and a bearer logout (`oidc` revokes as RFC 7009
//! at the endpoint discovery finds). Which of them a sign-out calls, and with which token, is
//! the planner's choice (`engine::plan`).

use serde_json::json;
use url::Url;

use super::steps::{AnswerRule, Placement, StatusPattern, Step};
use super::vocab::{BodyEncoding, ClientAuth, Method, Then, TokenKind};

/// RFC 7009: `POST url` with the token in `token`, its kind in `token_type_hint`, the client
/// authenticated as the profile says. Unknown tokens get 200, so every 2xx is "revoked".
pub fn revoke(url: Url, token: TokenKind, client_auth: ClientAuth) -> Step {
    Step {
        name: "revoke".into(),
        method: Method::Post,
        url,
        token,
        send: Placement::Form("token".into()),
        body: BodyEncoding::Form,
        client_auth,
        fields: vec![("token_type_hint".into(), token.as_str().into())],
        headers: Vec::new(),
        answers: Vec::new(),
        rate_limit_reset: None,
        content_type: None,
        bearer_too: false,
        when_token_starts_with: Vec::new(),
        unless_token_starts_with: Vec::new(),
    }
}

/// Keycloak's logout with the refresh token. Keycloak says `invalid_grant` both for a session
/// that is over ("Token is not active", "Session not active", "Refresh token expired") and for
/// one that lives on but is not this client's or realm's ("Unmatching clients", "Invalid
/// refresh token"): only the first is "already signed out".
pub fn keycloak_logout(url: Url, client_auth: ClientAuth) -> Step {
    Step {
        name: "logout".into(),
        method: Method::Post,
        url,
        token: TokenKind::RefreshToken,
        send: Placement::Form("refresh_token".into()),
        body: BodyEncoding::Form,
        client_auth,
        fields: Vec::new(),
        headers: Vec::new(),
        answers: keycloak_logout_answers(),
        rate_limit_reset: None,
        content_type: None,
        bearer_too: false,
        when_token_starts_with: Vec::new(),
        unless_token_starts_with: Vec::new(),
    }
}

/// The rules of [`keycloak_logout`].
pub fn keycloak_logout_answers() -> Vec<AnswerRule> {
    vec![AnswerRule {
        status: StatusPattern::Exact(vec![400]),
        json: vec![("/error".into(), json!("invalid_grant"))],
        says: vec!["not active".into(), "expired".into()],
        then: Then::AlreadyRevoked,
        reason: None,
    }]
}

/// A logout called with `Authorization: Bearer <access token>` (Matar); 401 with
/// `{"error":"token_revoked"}` means the token is already gone.
pub fn bearer_logout(url: Url) -> Step {
    Step {
        name: "logout".into(),
        method: Method::Post,
        url,
        token: TokenKind::AccessToken,
        send: Placement::Bearer,
        body: BodyEncoding::None,
        client_auth: ClientAuth::None,
        fields: Vec::new(),
        headers: Vec::new(),
        answers: bearer_logout_answers(),
        rate_limit_reset: None,
        content_type: None,
        bearer_too: false,
        when_token_starts_with: Vec::new(),
        unless_token_starts_with: Vec::new(),
    }
}

/// The rules of [`bearer_logout`].
pub fn bearer_logout_answers() -> Vec<AnswerRule> {
    vec![AnswerRule {
        status: StatusPattern::Exact(vec![401]),
        json: vec![("/error".into(), json!("token_revoked"))],
        says: Vec::new(),
        then: Then::AlreadyRevoked,
        reason: None,
    }]
}
