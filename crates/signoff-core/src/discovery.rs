//! Finding an OpenID provider's endpoints from its issuer: OpenID Connect Discovery 1.0, then
//! RFC 8414 authorization-server metadata.

use std::time::SystemTime;

use serde::Deserialize;
use url::Url;

use crate::http::{self, CallError};
use crate::outcome::{Reason, ReasonKind, Verdict, parse_retry_after, provider_error};
use crate::profile::is_allowed_endpoint;

/// The endpoints Signoff uses from a provider's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub issuer: Url,
    pub revocation_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    pub end_session_endpoint: Option<Url>,
    /// For signing in.
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
}

#[derive(Debug, Deserialize)]
struct RawMetadata {
    issuer: String,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
}

/// The two well-known locations for `issuer`, in the order they are tried.
pub fn well_known_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut oidc = issuer.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    let mut oauth = issuer.clone();
    oauth.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    for u in [&mut oidc, &mut oauth] {
        u.set_query(None);
        u.set_fragment(None);
    }
    vec![oidc, oauth]
}

/// Fetches and checks the metadata. Network trouble and 429/5xx are `Verdict::Retry`; a
/// document that is missing, malformed, for another issuer or with insecure endpoints is
/// `Verdict::Permanent`.
pub async fn discover(client: &reqwest::Client, issuer: &Url) -> Result<Metadata, Verdict> {
    let mut last = None;
    for url in well_known_urls(issuer) {
        let answer = match http::get(client, &url, None).await {
            Ok(a) => a,
            Err(CallError::Network(error)) => return Err(Verdict::Retry { after: None, error }),
            Err(CallError::Refused(e)) => return Err(Verdict::Permanent(e)),
        };
        match answer.status {
            200 => return parse(issuer, &answer.body),
            429 | 503 => {
                let after = answer
                    .retry_after
                    .as_deref()
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                return Err(Verdict::Retry {
                    after,
                    error: provider_error(answer.status, &answer.body, &[]),
                });
            }
            500..=599 => {
                return Err(Verdict::Retry {
                    after: None,
                    error: provider_error(answer.status, &answer.body, &[]),
                });
            }
            status => last = Some(status),
        }
    }
    Err(Verdict::Permanent(Reason::new(
        ReasonKind::DiscoveryFailed,
        format!(
            "no metadata at {issuer}'s well-known locations (last status {})",
            last.unwrap_or_default()
        ),
    )))
}

/// Checks a metadata document exactly as [`discover`] does (for the fuzz targets).
#[doc(hidden)]
pub fn parse_metadata(issuer: &Url, body: &[u8]) -> Result<Metadata, Verdict> {
    parse(issuer, body)
}

fn parse(issuer: &Url, body: &[u8]) -> Result<Metadata, Verdict> {
    let bad = |why: String| Verdict::Permanent(Reason::new(ReasonKind::DiscoveryFailed, why));
    let raw: RawMetadata = serde_json::from_slice(body).map_err(|_| {
        bad("the provider's metadata is not the JSON document discovery expects".into())
    })?;
    let same_issuer = raw.issuer.trim_end_matches('/') == issuer.as_str().trim_end_matches('/');
    if !same_issuer {
        return Err(bad(format!(
            "the metadata names issuer {:?}, not {:?} (OpenID Discovery requires them to match)",
            raw.issuer,
            issuer.as_str()
        )));
    }
    let endpoint = |name: &str, v: Option<String>| -> Result<Option<Url>, Verdict> {
        let Some(v) = v else { return Ok(None) };
        let u = Url::parse(&v).map_err(|_| bad(format!("{name} {v:?} is not a URL")))?;
        if !is_allowed_endpoint(&u) {
            return Err(bad(format!(
                "{name} {v:?} is not https://; Signoff will not send a token there"
            )));
        }
        Ok(Some(u))
    };
    Ok(Metadata {
        issuer: issuer.clone(),
        revocation_endpoint: endpoint("revocation_endpoint", raw.revocation_endpoint)?,
        introspection_endpoint: endpoint("introspection_endpoint", raw.introspection_endpoint)?,
        end_session_endpoint: endpoint("end_session_endpoint", raw.end_session_endpoint)?,
        authorization_endpoint: endpoint("authorization_endpoint", raw.authorization_endpoint)?,
        token_endpoint: endpoint("token_endpoint", raw.token_endpoint)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_locations_follow_both_specs() {
        let u = Url::parse("https://id.example.com/realms/main/").unwrap();
        let [oidc, oauth]: [Url; 2] = well_known_urls(&u).try_into().unwrap();
        assert_eq!(
            oidc.as_str(),
            "https://id.example.com/realms/main/.well-known/openid-configuration"
        );
        assert_eq!(
            oauth.as_str(),
            "https://id.example.com/.well-known/oauth-authorization-server/realms/main"
        );
        let root = Url::parse("https://id.example.com").unwrap();
        assert_eq!(
            well_known_urls(&root)[0].as_str(),
            "https://id.example.com/.well-known/openid-configuration"
        );
        assert_eq!(
            well_known_urls(&root)[1].as_str(),
            "https://id.example.com/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn metadata_must_match_the_issuer_and_be_secure() {
        let issuer = Url::parse("https://id.example.com").unwrap();
        let ok = br#"{"issuer":"https://id.example.com","revocation_endpoint":"https://id.example.com/revoke"}"#;
        let m = parse(&issuer, ok).unwrap();
        assert_eq!(m.revocation_endpoint.unwrap().path(), "/revoke");
        assert!(m.introspection_endpoint.is_none());
        let other = br#"{"issuer":"https://evil.example.com"}"#;
        assert!(matches!(parse(&issuer, other), Err(Verdict::Permanent(_))));
        let insecure = br#"{"issuer":"https://id.example.com","revocation_endpoint":"http://id.example.com/revoke"}"#;
        assert!(matches!(
            parse(&issuer, insecure),
            Err(Verdict::Permanent(_))
        ));
        assert!(matches!(
            parse(&issuer, b"<html>"),
            Err(Verdict::Permanent(_))
        ));
    }
}
