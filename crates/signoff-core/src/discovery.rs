//! Finding an OpenID provider's endpoints from its issuer: OpenID Connect Discovery 1.0, then
//! RFC 8414 authorization-server metadata. Besides the endpoints, a sign-in needs what checks the
//! provider's answers: the issuer exactly as the provider spells it, whether the authorization
//! response carries `iss` (RFC 9207), and the ID token's keys and algorithms.

use std::time::SystemTime;

use serde::Deserialize;
use url::Url;

use crate::http::{self, CallError};
use crate::outcome::{Reason, ReasonKind, Verdict, parse_retry_after, provider_error};
use crate::profile::is_allowed_endpoint;

/// The endpoints Signoff uses from a provider's metadata, merged from every document read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub issuer: Url,
    pub revocation_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    pub end_session_endpoint: Option<Url>,
    /// For signing in.
    pub authorization_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
    /// For signing in on another device (RFC 8628 §4).
    pub device_authorization_endpoint: Option<Url>,
    /// The documents these endpoints come from, in the order they were read.
    pub sources: Vec<Url>,
    /// The well-known locations looked at that hold no metadata document (404 and the like).
    pub absent: Vec<Url>,
    /// What a sign-in checks the provider's answers against.
    pub sign_in: SignInMetadata,
}

/// The metadata a sign-in checks answers with (OpenID Connect Discovery §3, RFC 9207 §3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInMetadata {
    /// The issuer exactly as the first document spells it: an authorization response's `iss`
    /// and an ID token's `iss` must equal it (empty when built by hand).
    pub issuer: String,
    /// Where the keys that sign ID tokens are published.
    pub jwks_uri: Option<Url>,
    /// The algorithms the provider signs ID tokens with (empty: not said, RS256 by default).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// The provider puts `iss` in every authorization response (RFC 9207), so one without it is
    /// refused.
    pub authorization_response_iss_parameter_supported: bool,
}

impl Metadata {
    /// Both endpoints a sign-out may use are known: no other document needs reading.
    fn is_complete(&self) -> bool {
        self.revocation_endpoint.is_some() && self.introspection_endpoint.is_some()
    }

    /// Adds what `later` names and `self` does not (an endpoint in an earlier document wins).
    fn merge(&mut self, later: Metadata) {
        let fill = |mine: &mut Option<Url>, theirs: Option<Url>| {
            if mine.is_none() {
                *mine = theirs;
            }
        };
        fill(&mut self.revocation_endpoint, later.revocation_endpoint);
        fill(
            &mut self.introspection_endpoint,
            later.introspection_endpoint,
        );
        fill(&mut self.end_session_endpoint, later.end_session_endpoint);
        fill(
            &mut self.authorization_endpoint,
            later.authorization_endpoint,
        );
        fill(&mut self.token_endpoint, later.token_endpoint);
        fill(&mut self.sign_in.jwks_uri, later.sign_in.jwks_uri);
        if self
            .sign_in
            .id_token_signing_alg_values_supported
            .is_empty()
        {
            self.sign_in.id_token_signing_alg_values_supported =
                later.sign_in.id_token_signing_alg_values_supported;
        }
        self.sign_in.authorization_response_iss_parameter_supported |=
            later.sign_in.authorization_response_iss_parameter_supported;
        fill(
            &mut self.device_authorization_endpoint,
            later.device_authorization_endpoint,
        );
        self.sources.extend(later.sources);
    }

    /// Which documents were read (and which locations had none), for a receipt's note.
    pub fn describe_sources(&self) -> String {
        let list = |urls: &[Url]| urls.iter().map(Url::as_str).collect::<Vec<_>>().join(", ");
        let mut text = format!("read {}", list(&self.sources));
        if !self.absent.is_empty() {
            text.push_str(&format!("; nothing at {}", list(&self.absent)));
        }
        text
    }
}

#[derive(Debug, Deserialize)]
struct RawMetadata {
    issuer: String,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
    device_authorization_endpoint: Option<String>,
}

/// The well-known locations for `issuer`, in the order they are read: the OpenID
/// configuration (OpenID Connect Discovery §4), the RFC 8414 authorization-server metadata
/// (§3: the well-known part goes between host and path), and that document relative to the
/// issuer, where several servers publish it. For an issuer without a path the last two are one.
pub fn well_known_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let at = |p: String| {
        let mut u = issuer.clone();
        u.set_path(&p);
        u.set_query(None);
        u.set_fragment(None);
        u
    };
    let mut urls = vec![
        at(format!("{path}/.well-known/openid-configuration")),
        at(format!("/.well-known/oauth-authorization-server{path}")),
        at(format!("{path}/.well-known/oauth-authorization-server")),
    ];
    urls.dedup();
    urls
}

/// Fetches and checks the metadata: the OpenID configuration, then, while it lacks a
/// revocation or an introspection endpoint, the authorization-server metadata too, merged (an
/// endpoint in an earlier document wins). Network trouble and 429/5xx on any document are
/// `Verdict::Retry`; a document for another issuer, or with insecure endpoints, is
/// `Verdict::Permanent` (refused, not merged), and so is finding no document at all. A 404 (or
/// a page that is not JSON) at one location is only "not there".
pub async fn discover(client: &reqwest::Client, issuer: &Url) -> Result<Metadata, Verdict> {
    let mut found: Option<Metadata> = None;
    let mut absent = Vec::new();
    let mut last = None;
    for url in well_known_urls(issuer) {
        if found.as_ref().is_some_and(Metadata::is_complete) {
            break;
        }
        match fetch(client, issuer, &url).await? {
            Ok(doc) => match &mut found {
                Some(m) => m.merge(doc),
                None => found = Some(doc),
            },
            Err(status) => {
                last = Some(status);
                absent.push(url);
            }
        }
    }
    let Some(mut meta) = found else {
        return Err(Verdict::Permanent(Reason::new(
            ReasonKind::DiscoveryFailed,
            format!(
                "no metadata at {issuer}'s well-known locations (last status {})",
                last.unwrap_or_default()
            ),
        )));
    };
    meta.absent = absent;
    Ok(meta)
}

/// One document: `Ok(Ok(metadata))`, `Ok(Err(status))` when there is none at `url`, or the
/// verdict that ends discovery.
async fn fetch(
    client: &reqwest::Client,
    issuer: &Url,
    url: &Url,
) -> Result<Result<Metadata, u16>, Verdict> {
    let answer = match http::get(client, url, None).await {
        Ok(a) => a,
        Err(CallError::Network(error)) => return Err(Verdict::Retry { after: None, error }),
        Err(CallError::Refused(e)) => return Err(Verdict::Permanent(e)),
    };
    match answer.status {
        // A catch-all page (an HTML 200 for every path) is not a metadata document.
        200 if serde_json::from_slice::<serde_json::Value>(&answer.body).is_err() => Ok(Err(200)),
        200 => {
            let mut meta = parse(issuer, &answer.body).map_err(|v| from_document(v, url))?;
            meta.sources = vec![url.clone()];
            Ok(Ok(meta))
        }
        429 | 503 => {
            let after = answer
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            Err(Verdict::Retry {
                after,
                error: provider_error(answer.status, &answer.body, &[]),
            })
        }
        500..=599 => Err(Verdict::Retry {
            after: None,
            error: provider_error(answer.status, &answer.body, &[]),
        }),
        status => Ok(Err(status)),
    }
}

/// Names the document a refusal comes from.
fn from_document(v: Verdict, url: &Url) -> Verdict {
    match v {
        Verdict::Permanent(r) => Verdict::Permanent(Reason::new(
            ReasonKind::DiscoveryFailed,
            format!("{} (in {url})", r.description().unwrap_or_default()),
        )),
        other => other,
    }
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
        device_authorization_endpoint: endpoint(
            "device_authorization_endpoint",
            raw.device_authorization_endpoint,
        )?,
        sources: Vec::new(),
        absent: Vec::new(),
        sign_in: SignInMetadata {
            jwks_uri: endpoint("jwks_uri", raw.jwks_uri)?,
            id_token_signing_alg_values_supported: raw.id_token_signing_alg_values_supported,
            authorization_response_iss_parameter_supported: raw
                .authorization_response_iss_parameter_supported,
            issuer: raw.issuer,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_locations_follow_both_specs() {
        let u = Url::parse("https://id.example.com/realms/main/").unwrap();
        let [oidc, rfc8414, relative]: [Url; 3] = well_known_urls(&u).try_into().unwrap();
        assert_eq!(
            oidc.as_str(),
            "https://id.example.com/realms/main/.well-known/openid-configuration"
        );
        assert_eq!(
            rfc8414.as_str(),
            "https://id.example.com/.well-known/oauth-authorization-server/realms/main"
        );
        assert_eq!(
            relative.as_str(),
            "https://id.example.com/realms/main/.well-known/oauth-authorization-server"
        );
        let root = Url::parse("https://id.example.com").unwrap();
        let urls: Vec<String> = well_known_urls(&root).iter().map(Url::to_string).collect();
        assert_eq!(
            urls,
            [
                "https://id.example.com/.well-known/openid-configuration",
                "https://id.example.com/.well-known/oauth-authorization-server",
            ],
            "without a path the two authorization-server locations are one"
        );
    }

    fn doc(issuer: &Url, at: &str, body: &str) -> Metadata {
        let mut m = parse(issuer, body.as_bytes()).unwrap();
        m.sources = vec![issuer.join(at).unwrap()];
        m
    }

    #[test]
    fn later_documents_fill_in_what_earlier_ones_lack_and_never_override() {
        let issuer = Url::parse("https://id.example.com").unwrap();
        let mut m = doc(
            &issuer,
            "/.well-known/openid-configuration",
            r#"{"issuer":"https://id.example.com","token_endpoint":"https://id.example.com/token"}"#,
        );
        assert!(!m.is_complete());
        m.merge(doc(
            &issuer,
            "/.well-known/oauth-authorization-server",
            r#"{"issuer":"https://id.example.com/","token_endpoint":"https://other.example.com/token",
                "revocation_endpoint":"https://id.example.com/revoke",
                "introspection_endpoint":"https://id.example.com/introspect"}"#,
        ));
        assert_eq!(
            m.revocation_endpoint.as_ref().unwrap().path(),
            "/revoke",
            "filled in"
        );
        assert_eq!(
            m.token_endpoint.as_ref().unwrap().as_str(),
            "https://id.example.com/token",
            "the earlier document wins"
        );
        assert!(m.is_complete());
        m.absent = vec![
            issuer
                .join("/x/.well-known/oauth-authorization-server")
                .unwrap(),
        ];
        assert_eq!(
            m.describe_sources(),
            "read https://id.example.com/.well-known/openid-configuration, \
             https://id.example.com/.well-known/oauth-authorization-server; \
             nothing at https://id.example.com/x/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn a_second_document_for_another_issuer_is_refused_not_merged() {
        let issuer = Url::parse("https://id.example.com/tenant").unwrap();
        let other = br#"{"issuer":"https://id.example.com/other","revocation_endpoint":"https://id.example.com/revoke"}"#;
        let url = well_known_urls(&issuer)[1].clone();
        let Err(refused) = parse(&issuer, other).map_err(|v| from_document(v, &url)) else {
            panic!("merged a document for another issuer")
        };
        let Verdict::Permanent(r) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(r.kind(), ReasonKind::DiscoveryFailed);
        let why = r.description().unwrap();
        assert!(
            why.contains("https://id.example.com/other") && why.contains(url.as_str()),
            "{why}"
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
