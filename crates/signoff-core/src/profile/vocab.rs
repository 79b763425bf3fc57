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
    /// The kinds of token a hint can name.
    pub enum TokenKind {
        RefreshToken,
        AccessToken,
    }
);
