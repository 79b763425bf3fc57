//! Why a sign-out (or a token check) did not simply end: Signoff's own conclusion (the network
//! failed, a redirect was refused, the profile is incomplete, …) or the provider's own words
//! (`invalid_grant`, with its description). The page and `--json` branch on `kind`, never on
//! the text.

use serde::{Deserialize, Serialize};

named!(
    /// The kinds of [`Reason`], as they appear in JSON (`kind`) and in the store.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    #[non_exhaustive]
    pub enum ReasonKind {
        /// The provider could not be reached: connection refused or reset, timeout, DNS.
        Network,
        /// The TLS handshake failed (an untrusted or expired certificate, a protocol mismatch).
        Tls,
        /// The endpoint answered with a redirect, which Signoff never follows on token calls.
        RedirectRefused,
        /// The endpoint is plain `http://` to a host that is not loopback.
        InsecureEndpoint,
        /// The account's provider profile is gone (or was rejected when loading).
        ProfileMissing,
        /// The profile lacks a setting its sign-out needs (a client id, an endpoint).
        ProfileIncomplete,
        /// The provider logs out with an access token, and the account holds none.
        NoAccessToken,
        /// The provider no longer accepts the account's refresh token.
        SessionExpired,
        /// The access token expires and the provider offers no way to refresh it.
        TokenExpired,
        /// A refresh could not be tried (no refresh token, no token endpoint, the provider down).
        RefreshUnavailable,
        /// The provider's metadata could not be found or read.
        DiscoveryFailed,
        /// An HTTP status no rule expects (1xx, or outside 100–599).
        UnexpectedStatus,
        /// The provider rotated the refresh token on a refresh and the keychain would not store
        /// the new one (after retries): the old one may be void, so the session may no longer
        /// be refreshed or ended from here.
        TokenNotStored,
        /// The keychain has no token for the account (and no interrupted sign-out explains it):
        /// nothing can end its session from here.
        TokenMissing,
        /// The provider accepted the revocation, but its introspection still calls the token
        /// active (`--verify`).
        StillActive,
        /// The token was issued to another client (its `azp`) or by another realm (its `iss`)
        /// than the profile's: the provider would refuse to end its session for this client.
        ClientMismatch,
        /// The provider's answer could mean "already gone" or "alive, but not yours to end"
        /// and its probe did not settle it: the token was kept.
        Ambiguous,
        /// The token works at the provider but this client may not end it (a probe found it
        /// alive after the provider refused to revoke it for this app).
        NotThisClient,
        /// The input was not a token (a bulk revoke line that is not UTF-8 or is longer than
        /// 16 KiB): nothing was sent.
        InvalidInput,
        /// An admin sign-out named a person the provider does not know.
        UserNotFound,
        /// An admin sign-out named a person the provider knows several of: none was signed out.
        SeveralUsers,
        /// The provider's own error: its `code` (`invalid_grant`, or `http_<status>` when it gave
        /// none) and description.
        Provider,
    }
);

/// Why a call did not end the session, with a sentence for people. Never contains a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Wire", from = "Wire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, as = "Wire"))]
#[non_exhaustive]
pub enum Reason {
    /// Signoff's own conclusion, with a sentence saying what happened.
    Signoff {
        kind: ReasonKind,
        description: String,
    },
    /// The provider's own error, as it said it (tokens scrubbed).
    Provider {
        code: String,
        description: Option<String>,
    },
}

impl Reason {
    /// Signoff's conclusion of `kind` (use [`Reason::provider`] for the provider's words).
    pub fn new(kind: ReasonKind, description: impl Into<String>) -> Self {
        debug_assert_ne!(kind, ReasonKind::Provider, "use Reason::provider");
        Self::Signoff {
            kind,
            description: description.into(),
        }
    }

    /// The provider's own error code and description.
    pub fn provider(code: impl Into<String>, description: Option<String>) -> Self {
        Self::Provider {
            code: code.into(),
            description,
        }
    }

    /// Rebuilds a reason from its stored parts. Rows written before kinds were stored have no
    /// kind: their code is Signoff's kind when it names one, else the provider's.
    pub fn from_parts(kind: Option<&str>, code: String, description: Option<String>) -> Self {
        let kind = kind
            .and_then(|k| k.parse::<ReasonKind>().ok())
            .or_else(|| code.parse::<ReasonKind>().ok())
            .unwrap_or(ReasonKind::Provider);
        match kind {
            ReasonKind::Provider => Self::provider(code, description),
            kind => Self::Signoff {
                kind,
                description: description.unwrap_or_default(),
            },
        }
    }

    pub fn kind(&self) -> ReasonKind {
        match self {
            Self::Signoff { kind, .. } => *kind,
            Self::Provider { .. } => ReasonKind::Provider,
        }
    }

    /// The code shown beside the text: the provider's for provider errors, else the kind.
    pub fn code(&self) -> &str {
        match self {
            Self::Signoff { kind, .. } => kind.into(),
            Self::Provider { code, .. } => code,
        }
    }

    pub fn description(&self) -> Option<&str> {
        match self {
            Self::Signoff { description, .. } => {
                Some(description.as_str()).filter(|d| !d.is_empty())
            }
            Self::Provider { description, .. } => description.as_deref(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.description() {
            Some(d) => write!(f, "{}: {d}", self.code()),
            None => f.write_str(self.code()),
        }
    }
}

/// The JSON form: `{"kind": "provider", "code": "invalid_grant", "description": "…"}`; for
/// Signoff's own reasons `code` equals `kind`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
struct Wire {
    kind: ReasonKind,
    code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    description: Option<String>,
}

impl From<Reason> for Wire {
    fn from(r: Reason) -> Self {
        Self {
            kind: r.kind(),
            code: r.code().to_owned(),
            description: r.description().map(str::to_owned),
        }
    }
}

impl From<Wire> for Reason {
    fn from(w: Wire) -> Self {
        Self::from_parts(Some(w.kind.into()), w.code, w.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_says_the_kind_and_keeps_the_code() {
        let ours = Reason::new(ReasonKind::Network, "could not connect");
        assert_eq!(
            serde_json::to_value(&ours).unwrap(),
            serde_json::json!({"kind": "network", "code": "network", "description": "could not connect"})
        );
        let theirs = Reason::provider("invalid_grant", Some("Token is not active".into()));
        assert_eq!(
            serde_json::to_value(&theirs).unwrap(),
            serde_json::json!({"kind": "provider", "code": "invalid_grant", "description": "Token is not active"})
        );
        for r in [ours, theirs] {
            let back: Reason = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
            assert_eq!(back, r);
        }
    }

    #[test]
    fn a_provider_code_that_looks_like_a_kind_stays_the_providers() {
        let r = Reason::from_parts(Some("provider"), "network".into(), None);
        assert_eq!(r.kind(), ReasonKind::Provider);
        // Rows stored before kinds were kept: the code decides.
        assert_eq!(
            Reason::from_parts(None, "redirect_refused".into(), Some("x".into())).kind(),
            ReasonKind::RedirectRefused
        );
        assert_eq!(
            Reason::from_parts(None, "invalid_client".into(), None).kind(),
            ReasonKind::Provider
        );
    }
}
