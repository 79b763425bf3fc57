//! The words a profile is written in: the sign-out protocols, client authentication, logout or
//! revoke, and token kinds (their TOML and JSON names come from serde, their text from strum).

use serde::{Deserialize, Serialize};

named!(
    "kebab-case";
    /// How a provider ends a session.
    pub enum Protocol {
        /// RFC 7009 token revocation (MeshyDB and any OAuth 2 server).
        Rfc7009,
        /// Keycloak's logout endpoint with the refresh token (HyperID).
        KeycloakLogout,
        /// A logout URL called with `Authorization: Bearer <access token>` (Matar).
        BearerLogout,
        /// Any OpenID provider: endpoints from discovery at the issuer.
        Oidc,
        /// The profile's own `[[provider.step]]`s.
        Steps,
    }
);

/// How the client authenticates on revocation, logout and introspection calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic with client id and secret (RFC 6749 §2.3.1; the default).
    #[default]
    #[serde(alias = "client_secret_basic")]
    Basic,
    /// `client_id` and `client_secret` in the form body.
    #[serde(alias = "client_secret_post")]
    Post,
    /// A public client: `client_id` in the form, no secret.
    None,
}

/// For providers that offer both: end the whole session, or revoke the one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignoutMode {
    #[default]
    Logout,
    Revoke,
}

named!(
    /// The kinds of token an account holds (and a hint or a step can name).
    pub enum TokenKind {
        RefreshToken,
        AccessToken,
        IdToken,
    }
);

named!(
    "UPPERCASE";
    /// The HTTP method of a sign-out step.
    pub enum Method {
        Post,
        Delete,
        Get,
    }
);

named!(
    /// How a step's request body is encoded.
    pub enum BodyEncoding {
        /// `application/x-www-form-urlencoded`.
        Form,
        /// `application/json`.
        Json,
        /// No body.
        None,
    }
);

named!(
    /// What an answer rule concludes.
    pub enum Then {
        /// The provider ended the token or session.
        Revoked,
        /// It was already gone; that counts as ended.
        AlreadyRevoked,
        /// Try again later (a rate limit or outage the provider signals its own way).
        Retry,
        /// A permanent error: the token is kept and the account needs attention.
        Failed,
        /// The answer is ambiguous: ask the profile's probe.
        Probe,
    }
);

named!(
    /// What a profile's sign-out ends at the provider.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum WhatEnds {
        /// The one token sent.
        Token,
        /// The whole grant: every token of this app's authorization.
        Grant,
        /// Every session of the user at the provider.
        AllSessions,
        /// The app's consent (the person must authorize it again).
        Consent,
        /// Nothing at the provider: the tokens are only deleted here.
        Nothing,
    }
);
