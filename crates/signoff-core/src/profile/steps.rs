//! A sign-out as data: the steps a profile writes in TOML (`[[provider.step]]`, and the
//! `[provider.probe]` that settles an ambiguous answer), checked into [`Step`]s with every URL
//! resolved against the profile's `base_url`.
//!
//! ```toml
//! [[provider]]
//! id = "github"
//! base_url = "https://api.github.com"
//! client_auth = "basic"
//!
//! [[provider.step]]
//! method = "DELETE"
//! path = "/applications/{client_id}/token"   # each {param} becomes one encoded path segment
//! token = "access_token"                     # refresh_token | access_token | id_token
//! send = "json:access_token"                 # form:F | json:F | bearer | header:NAME | path | query:NAME
//! headers = { Accept = "application/vnd.github+json" }
//! answer = [
//!   { status = 204, then = "revoked" },
//!   { status = 404, then = "probe" },         # gone, or not this app's token: ask the probe
//! ]
//!
//! [provider.probe]
//! method = "GET"
//! path = "/user"
//! token = "access_token"
//! send = "bearer"
//! answer = [
//!   { status = 401, then = "already_revoked" },
//!   { status = "2xx", then = "failed", reason = "client_mismatch" },
//! ]
//! ```
//!
//! An answer rule matches a status (`204`, `"4xx"`, or a list), optionally JSON fields by JSON
//! Pointer (`json = { "/ok" = false, "/error" = "token_revoked" }`) and description text
//! (`says = ["not active"]`, any of them, case-insensitive); the first rule that matches decides,
//! and an answer no rule matches is read as the defaults say (2xx revoked, 429/503 and 5xx
//! retried, other 4xx failed). A step whose token the account does not hold is skipped.
//! `{token}` is only allowed as a whole path segment of a step that sends `path`.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;
use url::Url;

use super::vocab::{BodyEncoding, ClientAuth, Method, Then, TokenKind};
use super::{is_allowed_endpoint, raw::URL_LIMIT};
use crate::outcome::ReasonKind;

/// One HTTP call of a sign-out (or the probe), checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// For logs and receipts ("revoke", "global sign-out").
    pub name: String,
    pub method: Method,
    /// Where; a path segment `{token}` is replaced by the token when sending `path`.
    pub url: Url,
    /// Which of the account's tokens it sends (and ends).
    pub token: TokenKind,
    pub send: Placement,
    pub body: BodyEncoding,
    pub client_auth: ClientAuth,
    /// Fixed fields of the body (form or JSON), such as `token_type_hint`.
    pub fields: Vec<(String, String)>,
    /// Fixed headers, such as GitHub's `Accept`.
    pub headers: Vec<(String, String)>,
    /// Checked in order before the defaults.
    pub answers: Vec<AnswerRule>,
    /// A rate-limit header read besides `Retry-After`.
    pub rate_limit_reset: Option<ResetHeader>,
    /// The body's content type, when not the encoding's own.
    pub content_type: Option<String>,
    /// Also send the token as `Authorization: Bearer`.
    pub bearer_too: bool,
    /// The step applies only to tokens with one of these prefixes (none: any token).
    pub when_token_starts_with: Vec<String>,
    /// The step never applies to tokens with one of these prefixes.
    pub unless_token_starts_with: Vec<String>,
}

impl Step {
    /// True when the step is for `token` (its prefix conditions hold).
    pub fn applies_to(&self, token: &str) -> bool {
        (self.when_token_starts_with.is_empty()
            || self
                .when_token_starts_with
                .iter()
                .any(|p| token.starts_with(p.as_str())))
            && !self
                .unless_token_starts_with
                .iter()
                .any(|p| token.starts_with(p.as_str()))
    }
}

/// Where a step puts its token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "in", content = "name", rename_all = "snake_case")]
pub enum Placement {
    /// A form field of that name.
    Form(String),
    /// A top-level field of a JSON body.
    Json(String),
    /// `Authorization: Bearer`.
    Bearer,
    /// A header of that name (GitLab's `PRIVATE-TOKEN`, Vault's `X-Vault-Token`).
    Header(String),
    /// `Authorization: <scheme> <token>` for a scheme other than Bearer (Okta's `SSWS`).
    Scheme(String),
    /// The `{token}` segment of the URL's path (npm).
    Path,
    /// A query parameter (only where the provider offers nothing else).
    Query(String),
}

/// A rule for reading an answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnswerRule {
    pub status: StatusPattern,
    /// JSON Pointer → the value the body must hold there.
    pub json: Vec<(String, serde_json::Value)>,
    /// Any of these in the error description (or the body text), case-insensitive.
    pub says: Vec<String>,
    pub then: Then,
    /// With `then = "failed"`: Signoff's reason instead of the provider's error.
    pub reason: Option<ReasonKind>,
}

/// Which statuses a rule matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum StatusPattern {
    /// Any of these.
    Exact(Vec<u16>),
    /// A class: `4` for `4xx`.
    Class(u16),
}

impl StatusPattern {
    pub fn matches(&self, status: u16) -> bool {
        match self {
            Self::Exact(list) => list.contains(&status),
            Self::Class(c) => status / 100 == *c,
        }
    }
}

/// A header that says when a rate limit resets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResetHeader {
    pub name: String,
    pub unit: ResetUnit,
}

named!(
    /// How a rate-limit reset header counts.
    pub enum ResetUnit {
        /// Unix time in seconds (Okta's `X-Rate-Limit-Reset`, GitHub's `X-RateLimit-Reset`).
        Epoch,
        /// Seconds from now.
        Seconds,
    }
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    name: Option<String>,
    method: Option<Method>,
    /// One of the profile's `hosts` the path is under (`base_url` when not given, or when a
    /// layer above pointed `base_url` elsewhere).
    host: Option<String>,
    path: Option<String>,
    url: Option<String>,
    token: TokenKind,
    send: String,
    body: Option<BodyEncoding>,
    client_auth: Option<ClientAuth>,
    #[serde(default)]
    fields: BTreeMap<String, String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    answer: Vec<RawAnswer>,
    rate_limit_reset: Option<String>,
    rate_limit_unit: Option<ResetUnit>,
    /// The body's content type when not the encoding's own (AWS: `application/x-amz-json-1.1`).
    content_type: Option<String>,
    /// Also send the token as `Authorization: Bearer` (npm's `path` call).
    #[serde(default)]
    bearer: bool,
    /// Only for tokens that start with one of these (GitLab's personal `glpat-` tokens).
    #[serde(default)]
    when_token_starts_with: Vec<String>,
    /// Not for tokens that start with one of these (an OAuth revoke that would answer 200 for
    /// a personal token it does not know, and leave it alive).
    #[serde(default)]
    unless_token_starts_with: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnswer {
    status: RawStatus,
    #[serde(default)]
    json: BTreeMap<String, toml::Value>,
    #[serde(default)]
    says: Says,
    then: Then,
    reason: Option<ReasonKind>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawStatus {
    One(u16),
    Many(Vec<u16>),
    Class(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
enum Says {
    #[default]
    Nothing,
    One(String),
    Many(Vec<String>),
}

/// What a step's URL and `{param}`s are resolved with.
pub(super) struct Context<'a> {
    pub base_url: Option<&'a Url>,
    /// The profile's other hosts, by name (already dropped when a layer above moved base_url).
    pub hosts: &'a BTreeMap<String, Url>,
    /// `base_url` is written but waits for a param (the profile is incomplete already).
    pub base_pending: bool,
    pub params: &'a BTreeMap<String, String>,
    pub client_id: Option<&'a str>,
    pub client_auth: ClientAuth,
    /// Resolving an admin step: `{user}` is a path segment filled in per person.
    pub admin: bool,
}

/// Characters escaped in a path segment: everything but unreserved and sub-delims minus `/`,
/// `?`, `#` (RFC 3986 §3.3), so a value stays one segment.
pub(crate) const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The placeholder a `path`-sending step's URL holds where the token goes.
pub const TOKEN_SEGMENT: &str = "%7Btoken%7D";

/// The placeholder an admin step's URL holds where the person signed out goes (`{user}`).
pub const USER_SEGMENT: &str = "%7Buser%7D";

/// Headers a profile may not set: Signoff sets them itself, or they could carry credentials
/// elsewhere.
const RESERVED_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "content-length",
    "host",
    "cookie",
    "proxy-authorization",
];

impl RawStep {
    /// A bare location (`path` under the base URL or a named `host`, or a whole `url`), checked
    /// as a step's URL is: the admin token endpoint's.
    pub(super) fn location(
        path: Option<String>,
        url: Option<String>,
        host: Option<String>,
    ) -> Self {
        Self {
            name: Some("token endpoint".into()),
            method: None,
            host,
            path,
            url,
            token: TokenKind::AccessToken,
            send: "bearer".into(),
            body: None,
            client_auth: None,
            fields: BTreeMap::new(),
            headers: BTreeMap::new(),
            answer: Vec::new(),
            rate_limit_reset: None,
            rate_limit_unit: None,
            content_type: None,
            bearer: false,
            when_token_starts_with: Vec::new(),
            unless_token_starts_with: Vec::new(),
        }
    }

    /// A `GET` sent as `like` is (its token placement, headers and rate-limit header) at
    /// another location, read by its own answer rules and `like`'s retry rules: an admin's
    /// lookup of a person.
    pub(super) fn lookup(
        like: &Self,
        name: String,
        location: (Option<String>, Option<String>, Option<String>),
        answer: Vec<RawAnswer>,
    ) -> Self {
        let (path, url, host) = location;
        // Its own rules first, then how `like` is told to wait (a provider's throttling
        // answers are the same on every call).
        let mut answer = answer;
        answer.extend(
            like.answer
                .iter()
                .filter(|a| a.then == Then::Retry)
                .cloned(),
        );
        Self {
            name: Some(name),
            method: Some(Method::Get),
            host,
            path,
            url,
            body: None,
            client_auth: None,
            fields: BTreeMap::new(),
            answer,
            when_token_starts_with: Vec::new(),
            unless_token_starts_with: Vec::new(),
            ..like.clone()
        }
    }

    /// The token the step sends.
    pub(super) fn token(&self) -> TokenKind {
        self.token
    }

    /// True when the step authenticates the client with a secret (`basic` or `post`).
    pub(super) fn authenticates_client(&self, default_auth: ClientAuth) -> bool {
        self.client_auth.unwrap_or(default_auth) != ClientAuth::None
    }

    /// True when the step names the client: it authenticates it, or `{client_id}` is in its URL.
    pub(super) fn needs_client_id(&self, default_auth: ClientAuth) -> bool {
        let in_url = |t: &Option<String>| t.as_deref().is_some_and(|p| p.contains("{client_id}"));
        self.authenticates_client(default_auth)
            || in_url(&self.path)
            || in_url(&self.url)
            || self.fields.values().any(|v| v.contains("{client_id}"))
    }

    /// Checks the step; `Err` is the reason, for the problem list. `Ok(Err(names))`: params
    /// not set yet (the profile is incomplete until they are).
    pub(super) fn resolve(
        self,
        what: &str,
        cx: &Context<'_>,
    ) -> Result<Result<Step, Vec<String>>, String> {
        let send = parse_placement(&self.send)?;
        let (url, mut unfilled) = match (&self.path, &self.url) {
            (Some(_), Some(_)) => return Err(format!("{what} has both path and url; give one")),
            (None, None) => return Err(format!("{what} needs a path (under base_url) or a url")),
            (Some(path), None) => {
                let host = self.host.as_ref().and_then(|h| cx.hosts.get(h));
                let Some(base) = host.or(cx.base_url) else {
                    if cx.base_pending {
                        return Ok(Err(Vec::new()));
                    }
                    return Err(format!(
                        "{what} has a path, but the profile has no base_url"
                    ));
                };
                let (path, unfilled) = fill_path(path, cx, &send)?;
                let mut text = base.as_str().trim_end_matches('/').to_owned();
                if !path.starts_with('/') {
                    text.push('/');
                }
                text.push_str(&path);
                (text, unfilled)
            }
            (None, Some(url)) => {
                let (url, unfilled) = fill_path(url, cx, &send)?;
                (url, unfilled)
            }
        };
        if url.len() > URL_LIMIT {
            return Err(format!("{what}'s URL is longer than {URL_LIMIT} bytes"));
        }
        let url =
            Url::parse(&url).map_err(|e| format!("{what}'s URL {url:?} is not a URL: {e}"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "{what}'s URL must not contain a user name or password"
            ));
        }
        if !is_allowed_endpoint(&url) {
            return Err(format!(
                "{what}'s URL {} must be https:// (or http:// to 127.0.0.1, ::1, localhost)",
                url.origin().ascii_serialization()
            ));
        }
        let base = self
            .host
            .as_ref()
            .and_then(|h| cx.hosts.get(h))
            .or(cx.base_url);
        if let Some(base) = base
            && self.path.is_some()
            && url.origin() != base.origin()
        {
            return Err(format!("{what}'s path leaves its host"));
        }
        if let Some(h) = &self.host
            && self.path.is_none()
        {
            return Err(format!("{what}: host {h:?} goes with a path, not a url"));
        }
        let has_token_segment = url
            .path_segments()
            .is_some_and(|mut s| s.any(|seg| seg == TOKEN_SEGMENT));
        if (send == Placement::Path) != has_token_segment {
            return Err(format!(
                "{what}: `send = \"path\"` and a `{{token}}` path segment go together"
            ));
        }
        for (name, value) in &self.headers {
            if !settable_header(name) {
                return Err(format!("{what} may not set the header {name:?}"));
            }
            if reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(format!("{what}: the value of header {name:?} is not valid"));
            }
        }
        if let Placement::Header(name) = &send
            && !settable_header(name)
        {
            return Err(format!(
                "{what} cannot send the token in the header {name:?}"
            ));
        }
        let body = match (self.body, &send) {
            (Some(b), _) => b,
            (None, Placement::Form(_)) => BodyEncoding::Form,
            (None, Placement::Json(_)) => BodyEncoding::Json,
            (None, _) if !self.fields.is_empty() => BodyEncoding::Form,
            (None, _) => BodyEncoding::None,
        };
        match (&send, body) {
            (Placement::Form(_), BodyEncoding::Form) | (Placement::Json(_), BodyEncoding::Json) => {
            }
            (Placement::Form(_) | Placement::Json(_), _) => {
                return Err(format!(
                    "{what}: `send` and `body` name different encodings"
                ));
            }
            _ => {}
        }
        if let Some(ct) = &self.content_type
            && (body != BodyEncoding::Json
                || reqwest::header::HeaderValue::from_str(ct).is_err()
                || !ct.to_ascii_lowercase().contains("json"))
        {
            return Err(format!(
                "{what}: content_type {ct:?} only names a JSON body's type (body = \"json\")"
            ));
        }
        if self
            .when_token_starts_with
            .iter()
            .chain(&self.unless_token_starts_with)
            .any(|p| p.is_empty())
        {
            return Err(format!("{what}: an empty token prefix matches every token"));
        }
        if self.bearer && send == Placement::Bearer {
            return Err(format!(
                "{what}: bearer = true with send = \"bearer\" says it twice"
            ));
        }
        let mut fields = Vec::with_capacity(self.fields.len());
        for (k, v) in self.fields {
            if v.contains("{client_id}") {
                match cx.client_id {
                    Some(id) => fields.push((k, v.replace("{client_id}", id))),
                    None => unfilled.push("client_id".into()),
                }
            } else {
                fields.push((k, v));
            }
        }
        let client_auth = self.client_auth.unwrap_or(cx.client_auth);
        if body == BodyEncoding::None && client_auth == ClientAuth::Post {
            return Err(format!(
                "{what} authenticates the client in the body (client_auth = \"post\") but has no body"
            ));
        }
        let rate_limit_reset = match (self.rate_limit_reset, self.rate_limit_unit) {
            (Some(name), unit) => {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(format!(
                        "{what}: rate_limit_reset {name:?} is not a header name"
                    ));
                }
                Some(ResetHeader {
                    name,
                    unit: unit.unwrap_or(ResetUnit::Epoch),
                })
            }
            (None, Some(_)) => {
                return Err(format!("{what}: rate_limit_unit needs rate_limit_reset"));
            }
            (None, None) => None,
        };
        let answers = self
            .answer
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.resolve(&format!("{what}, answer {}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        if !unfilled.is_empty() {
            return Ok(Err(unfilled));
        }
        Ok(Ok(Step {
            name: self.name.unwrap_or_else(|| "sign-out".into()),
            method: self.method.unwrap_or(Method::Post),
            url,
            token: self.token,
            send,
            body,
            client_auth,
            fields,
            headers: self.headers.into_iter().collect(),
            answers,
            rate_limit_reset,
            content_type: self.content_type,
            bearer_too: self.bearer,
            when_token_starts_with: self.when_token_starts_with,
            unless_token_starts_with: self.unless_token_starts_with,
        }))
    }
}

impl RawAnswer {
    fn resolve(self, what: &str) -> Result<AnswerRule, String> {
        let status = match self.status {
            RawStatus::One(s) => StatusPattern::Exact(vec![s]),
            RawStatus::Many(list) if !list.is_empty() => StatusPattern::Exact(list),
            RawStatus::Many(_) => return Err(format!("{what}: an empty status list")),
            RawStatus::Class(c) => match c.as_bytes() {
                [d @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                    StatusPattern::Class(u16::from(d - b'0'))
                }
                _ => {
                    return Err(format!(
                        "{what}: status {c:?} is not a code or a class like \"4xx\""
                    ));
                }
            },
        };
        if let StatusPattern::Exact(list) = &status
            && let Some(bad) = list.iter().find(|s| !(100..=599).contains(*s))
        {
            return Err(format!("{what}: {bad} is not an HTTP status"));
        }
        let json = self
            .json
            .into_iter()
            .map(|(pointer, value)| {
                if !pointer.is_empty() && !pointer.starts_with('/') {
                    return Err(format!(
                        "{what}: json key {pointer:?} is not a JSON Pointer (write \"/{pointer}\")"
                    ));
                }
                let value = serde_json::to_value(&value)
                    .map_err(|e| format!("{what}: json value for {pointer:?}: {e}"))?;
                Ok((pointer, value))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let says = match self.says {
            Says::Nothing => Vec::new(),
            Says::One(s) => vec![s],
            Says::Many(v) => v,
        };
        if says.iter().any(|s| s.trim().is_empty()) {
            return Err(format!("{what}: says holds an empty text"));
        }
        if self.reason.is_some() && self.then != Then::Failed {
            return Err(format!("{what}: reason only goes with then = \"failed\""));
        }
        Ok(AnswerRule {
            status,
            json,
            says: says.into_iter().map(|s| s.to_lowercase()).collect(),
            then: self.then,
            reason: self.reason,
        })
    }
}

/// True when a profile may name this header: a valid header name that Signoff does not set
/// itself ([`RESERVED_HEADERS`]).
fn settable_header(name: &str) -> bool {
    reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
        && !RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

/// `form:F`, `json:F`, `bearer`, `header:NAME`, `path`, `query:NAME`.
fn parse_placement(text: &str) -> Result<Placement, String> {
    let (kind, name) = match text.split_once(':') {
        Some((k, n)) => (k, Some(n.trim())),
        None => (text, None),
    };
    let named = |n: Option<&str>| {
        n.filter(|n| !n.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("send = {text:?} needs a name after the colon"))
    };
    match (kind.trim(), name) {
        ("form", n) => Ok(Placement::Form(named(n)?)),
        ("json", n) => Ok(Placement::Json(named(n)?)),
        ("header", n) => Ok(Placement::Header(named(n)?)),
        ("authorization", n) => {
            let scheme = named(n)?;
            if scheme.eq_ignore_ascii_case("bearer")
                || !scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(format!(
                    "send = {text:?}: the scheme is a word other than Bearer (use send = \"bearer\")"
                ));
            }
            Ok(Placement::Scheme(scheme))
        }
        ("query", n) => Ok(Placement::Query(named(n)?)),
        ("bearer", None) => Ok(Placement::Bearer),
        ("path", None) => Ok(Placement::Path),
        _ => Err(format!(
            "send = {text:?}: use form:FIELD, json:FIELD, bearer, authorization:SCHEME, header:NAME, path or query:NAME"
        )),
    }
}

/// Fills `{param}`s of a URL's path: each value percent-encoded as one path segment (so a value
/// can add no segment, query or host), `{client_id}` from the profile, `{token}` kept for the
/// call. Returns the text and the names left unfilled.
fn fill_path(
    template: &str,
    cx: &Context<'_>,
    send: &Placement,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(template.len());
    let mut unfilled = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("{template:?} has a `{{` without its `}}`"));
        };
        let name = &after[..close];
        let value = match name {
            "token" if *send == Placement::Path => Some(TOKEN_SEGMENT.to_owned()),
            "user" if cx.admin => Some(USER_SEGMENT.to_owned()),
            "item" if cx.admin => Some(super::admin::ITEM_SEGMENT.to_owned()),
            "token" => return Err("`{token}` in a URL needs send = \"path\"".into()),
            "client_id" => cx
                .client_id
                .map(|c| utf8_percent_encode(c, SEGMENT).to_string()),
            other => cx
                .params
                .get(other)
                .map(|v| utf8_percent_encode(v, SEGMENT).to_string()),
        };
        match value {
            Some(v) => out.push_str(&v),
            None => unfilled.push(if name == "client_id" {
                "client_id".to_owned()
            } else {
                format!("params.{name}")
            }),
        }
        rest = &after[close + 1..];
        if out.len() > URL_LIMIT {
            return Err(format!(
                "{template:?} is longer than {URL_LIMIT} bytes once filled in"
            ));
        }
    }
    out.push_str(rest);
    Ok((out, unfilled))
}

#[cfg(test)]
mod tests;
