//! The TOML side of profiles: parsing with spans, merging layers, and checking the result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::admin::RawAdmin;
use super::steps::{Context, RawStep, Step};
pub use super::vocab::{ClientAuth, Protocol, SignoutMode, TokenKind, WhatEnds};
use super::{Profile, ProfileProblem, Source, is_allowed_endpoint};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    provider: Vec<Spanned<RawProfile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: Spanned<String>,
    label: Option<Spanned<String>>,
    protocol: Option<Spanned<Protocol>>,
    revocation_endpoint: Option<Spanned<String>>,
    logout_endpoint: Option<Spanned<String>>,
    introspection_endpoint: Option<Spanned<String>>,
    issuer: Option<Spanned<String>>,
    token_endpoint: Option<Spanned<String>>,
    anonymous_registration_endpoint: Option<Spanned<String>>,
    check_endpoint: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
    token_type_hint: Option<Spanned<TokenKind>>,
    client_auth: Option<Spanned<ClientAuth>>,
    signout: Option<Spanned<SignoutMode>>,
    scopes: Option<Spanned<Vec<String>>>,
    offline_access: Option<Spanned<bool>>,
    locked: Option<Spanned<bool>>,
    params: Option<Spanned<BTreeMap<String, String>>>,
    base_url: Option<Spanned<String>>,
    step: Option<Spanned<Vec<RawStep>>>,
    probe: Option<Spanned<RawStep>>,
    ends: Option<Spanned<WhatEnds>>,
    manage_url: Option<Spanned<String>>,
    hosts: Option<Spanned<BTreeMap<String, String>>>,
    caveat: Option<Spanned<String>>,
    admin: Option<Spanned<RawAdmin>>,
}

/// The layer a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layer {
    Builtin,
    System,
    User,
}

/// Where a value was written.
#[derive(Debug, Clone)]
struct Origin {
    file: PathBuf,
    line: usize,
}

#[derive(Debug, Clone)]
struct Field<T> {
    value: T,
    at: Origin,
}

/// One profile's fields as merged so far, each with the place it was set.
#[derive(Debug, Clone)]
pub(super) struct Merged {
    id: String,
    at: Origin,
    layer: Layer,
    locked_by: Option<Origin>,
    label: Option<Field<String>>,
    protocol: Option<Field<Protocol>>,
    revocation_endpoint: Option<Field<String>>,
    logout_endpoint: Option<Field<String>>,
    introspection_endpoint: Option<Field<String>>,
    issuer: Option<Field<String>>,
    token_endpoint: Option<Field<String>>,
    anonymous_registration_endpoint: Option<Field<String>>,
    check_endpoint: Option<Field<String>>,
    client_id: Option<Field<String>>,
    token_type_hint: Option<Field<TokenKind>>,
    client_auth: Option<Field<ClientAuth>>,
    signout: Option<Field<SignoutMode>>,
    scopes: Option<Field<Vec<String>>>,
    offline_access: Option<Field<bool>>,
    params: BTreeMap<String, Field<String>>,
    base_url: Option<Field<String>>,
    step: Option<Field<Vec<RawStep>>>,
    probe: Option<Field<RawStep>>,
    ends: Option<Field<WhatEnds>>,
    manage_url: Option<Field<String>>,
    hosts: Option<Field<BTreeMap<String, String>>>,
    caveat: Option<Field<String>>,
    admin: Option<Field<RawAdmin>>,
}

/// The longest endpoint URL accepted, after `{name}`s are filled in.
pub(super) const URL_LIMIT: usize = 8 * 1024;

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses one file and merges its profiles over `merged`, recording problems.
pub(super) fn merge_file(
    layer: Layer,
    path: &Path,
    text: &str,
    merged: &mut BTreeMap<String, Merged>,
    problems: &mut Vec<ProfileProblem>,
) {
    let problem = |line, reason: String| ProfileProblem {
        file: path.to_path_buf(),
        line,
        reason,
    };
    let file: RawFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            let reason = format!("{} (the whole file was ignored)", e.message().trim());
            problems.push(problem(line, reason));
            return;
        }
    };
    let mut seen = BTreeMap::new();
    for entry in file.provider {
        let entry_line = line_of(text, entry.span().start);
        let raw = entry.into_inner();
        let at = |span: std::ops::Range<usize>| Origin {
            file: path.to_path_buf(),
            line: line_of(text, span.start),
        };
        let id = raw.id.get_ref().clone();
        if let Err(e) = crate::account::validate_provider_id(&id) {
            problems.push(problem(
                line_of(text, raw.id.span().start),
                format!("provider id {id:?}: {e}"),
            ));
            continue;
        }
        if let Some(first) = seen.insert(id.clone(), entry_line) {
            problems.push(problem(entry_line, format!("duplicate provider id {id:?} (first defined at line {first}); this one was ignored")));
            seen.insert(id.clone(), first);
            continue;
        }
        if let (Some(p), Some(st)) = (&raw.protocol, &raw.step) {
            problems.push(problem(
                line_of(text, p.span().start.min(st.span().start)),
                format!("provider {id:?} sets both protocol and steps; give one"),
            ));
            continue;
        }
        let entry_at = Origin {
            file: path.to_path_buf(),
            line: entry_line,
        };
        let slot = merged
            .entry(id.clone())
            .or_insert_with(|| Merged::new(id.clone(), entry_at.clone(), layer));
        if let (Layer::User, Some(lock)) = (layer, &slot.locked_by) {
            problems.push(problem(entry_line, format!(
                "provider {id:?} is locked by your administrator ({}:{}); this override was ignored",
                lock.file.display(), lock.line
            )));
            continue;
        }
        // A layer that picks a protocol drops the steps below it, and the other way round.
        if raw.protocol.is_some() {
            slot.step = None;
            slot.probe = None;
        }
        if raw.step.is_some() {
            slot.protocol = None;
        }
        // A layer that points base_url elsewhere points every call there: the other hosts of
        // the layers below go too.
        if raw.base_url.is_some() {
            slot.hosts = None;
        }
        slot.at = entry_at;
        slot.layer = layer;
        macro_rules! set {
            ($($name:ident),*) => {$(
                if let Some(v) = raw.$name {
                    let origin = at(v.span());
                    slot.$name = Some(Field { value: v.into_inner(), at: origin });
                }
            )*};
        }
        set!(
            label,
            protocol,
            revocation_endpoint,
            logout_endpoint,
            introspection_endpoint,
            issuer,
            token_endpoint,
            anonymous_registration_endpoint,
            check_endpoint,
            client_id,
            token_type_hint,
            client_auth,
            signout,
            scopes,
            offline_access,
            base_url,
            step,
            probe,
            ends,
            manage_url,
            hosts,
            caveat,
            admin
        );
        if let Some(params) = raw.params {
            let origin = at(params.span());
            for (k, v) in params.into_inner() {
                slot.params.insert(
                    k,
                    Field {
                        value: v,
                        at: origin.clone(),
                    },
                );
            }
        }
        if let Some(locked) = raw.locked {
            if *locked.get_ref() && layer == Layer::System {
                slot.locked_by = Some(at(locked.span()));
            } else if *locked.get_ref() {
                problems.push(problem(
                    line_of(text, locked.span().start),
                    "`locked` only has effect in the system-wide providers.toml".into(),
                ));
            }
        }
    }
}

impl Merged {
    fn new(id: String, at: Origin, layer: Layer) -> Self {
        Self {
            id,
            at,
            layer,
            locked_by: None,
            label: None,
            protocol: None,
            revocation_endpoint: None,
            logout_endpoint: None,
            introspection_endpoint: None,
            issuer: None,
            token_endpoint: None,
            anonymous_registration_endpoint: None,
            check_endpoint: None,
            client_id: None,
            token_type_hint: None,
            client_auth: None,
            signout: None,
            scopes: None,
            offline_access: None,
            params: BTreeMap::new(),
            base_url: None,
            step: None,
            probe: None,
            ends: None,
            manage_url: None,
            hosts: None,
            caveat: None,
            admin: None,
        }
    }

    /// Checks the merged profile. Wrong values reject it (a problem with file and line); missing
    /// settings leave it listed but `incomplete`.
    pub(super) fn finish(self, problems: &mut Vec<ProfileProblem>) -> Option<Profile> {
        let reject = |at: &Origin, reason: String| ProfileProblem {
            file: at.file.clone(),
            line: at.line,
            reason,
        };
        let protocol = match (&self.protocol, &self.step) {
            (Some(f), _) => f.value,
            (None, Some(_)) => Protocol::Steps,
            // A provider with no server-side sign-out: only the local copy goes.
            (None, None)
                if self
                    .ends
                    .as_ref()
                    .is_some_and(|f| f.value == WhatEnds::Nothing) =>
            {
                Protocol::Steps
            }
            (None, None) => {
                problems.push(reject(&self.at, format!("provider {:?} has no protocol (rfc7009, keycloak-logout, bearer-logout or oidc) and no steps", self.id)));
                return None;
            }
        };
        let mut missing: Vec<String> = Vec::new();
        // `for_sign_in`: an endpoint only used to add accounts; its unfilled params leave that
        // way of adding accounts off without making the profile unusable for signing out.
        let mut url = |field: &Option<Field<String>>,
                       name: &str,
                       for_sign_in: bool,
                       problems: &mut Vec<ProfileProblem>|
         -> std::result::Result<Option<Url>, ()> {
            let Some(f) = field else { return Ok(None) };
            let Some((text, unfilled)) = self.fill(&f.value) else {
                problems.push(reject(
                    &f.at,
                    format!(
                        "{name} is longer than {URL_LIMIT} bytes once its params are filled in"
                    ),
                ));
                return Err(());
            };
            if !unfilled.is_empty() {
                if for_sign_in {
                    return Ok(None);
                }
                missing.extend(unfilled.into_iter().map(|p| format!("params.{p}")));
                return Ok(None);
            }
            match Url::parse(&text) {
                Ok(u) if !u.username().is_empty() || u.password().is_some() => {
                    problems.push(reject(
                        &f.at,
                        format!("{name} must not contain a user name or password"),
                    ));
                    Err(())
                }
                Ok(u) if is_allowed_endpoint(&u) => Ok(Some(u)),
                Ok(u) if u.scheme() == "http" => {
                    problems.push(reject(&f.at, format!("{name} {text:?} uses http:// off loopback; only https:// (or http:// to 127.0.0.1, ::1, localhost) may carry tokens")));
                    Err(())
                }
                Ok(_) => {
                    problems.push(reject(
                        &f.at,
                        format!("{name} {text:?} must be an https:// URL"),
                    ));
                    Err(())
                }
                Err(e) => {
                    problems.push(reject(&f.at, format!("{name} {text:?} is not a URL: {e}")));
                    Err(())
                }
            }
        };
        let endpoints = [
            (&self.revocation_endpoint, "revocation_endpoint", false),
            (&self.logout_endpoint, "logout_endpoint", false),
            (
                &self.introspection_endpoint,
                "introspection_endpoint",
                false,
            ),
            (&self.issuer, "issuer", false),
            (&self.token_endpoint, "token_endpoint", true),
            (
                &self.anonymous_registration_endpoint,
                "anonymous_registration_endpoint",
                true,
            ),
            (&self.check_endpoint, "check_endpoint", true),
            (&self.base_url, "base_url", false),
            (&self.manage_url, "manage_url", true),
        ]
        .map(|(field, name, for_sign_in)| url(field, name, for_sign_in, problems));
        if endpoints.iter().any(|e| e.is_err()) {
            return None;
        }
        let [
            revocation_endpoint,
            logout_endpoint,
            introspection_endpoint,
            issuer,
            token_endpoint,
            anonymous_registration_endpoint,
            check_endpoint,
            base_url,
            manage_url,
        ] = endpoints.map(|e| e.unwrap_or_default());
        if let (Some(f), None) = (&self.anonymous_registration_endpoint, &self.token_endpoint) {
            problems.push(reject(
                &f.at,
                "anonymous_registration_endpoint needs a token_endpoint to log the new user in"
                    .into(),
            ));
            return None;
        }
        let (required, present) = match protocol {
            Protocol::Rfc7009 => ("revocation_endpoint", self.revocation_endpoint.is_some()),
            Protocol::KeycloakLogout | Protocol::BearerLogout => {
                ("logout_endpoint", self.logout_endpoint.is_some())
            }
            Protocol::Oidc => ("issuer", self.issuer.is_some()),
            Protocol::Steps => ("step", true),
        };
        if !present {
            let at = self.protocol.as_ref().map(|f| &f.at).unwrap_or(&self.at);
            problems.push(reject(
                at,
                format!(
                    "provider {:?} uses protocol {} but has no {required}",
                    self.id,
                    protocol.as_str()
                ),
            ));
            return None;
        }
        let client_id = self
            .client_id
            .as_ref()
            .map(|f| f.value.trim().to_owned())
            .filter(|s| !s.is_empty());
        let client_auth = self
            .client_auth
            .as_ref()
            .map(|f| f.value)
            .unwrap_or_default();
        let params: BTreeMap<String, String> = self
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        let mut hosts = BTreeMap::new();
        let mut hosts_pending = false;
        if let Some(f) = &self.hosts {
            for (name, template) in &f.value {
                let field = Some(Field {
                    value: template.clone(),
                    at: f.at.clone(),
                });
                match url(&field, &format!("hosts.{name}"), false, problems) {
                    Err(()) => return None,
                    Ok(Some(u)) => {
                        hosts.insert(name.clone(), u);
                    }
                    Ok(None) => hosts_pending = true,
                }
            }
        }
        let cx = Context {
            base_url: base_url.as_ref(),
            hosts: &hosts,
            base_pending: (base_url.is_none() && self.base_url.is_some()) || hosts_pending,
            params: &params,
            client_id: client_id.as_deref(),
            client_auth,
            admin: false,
        };
        // Steps are checked once the URLs they hang from are; `{param}`s not set yet leave the
        // profile incomplete, like an endpoint's.
        let mut resolve = |raw: &RawStep,
                           at: &Origin,
                           what: String,
                           problems: &mut Vec<ProfileProblem>| {
            match raw.clone().resolve(&what, &cx) {
                Err(reason) => {
                    problems.push(reject(at, format!("provider {:?}: {reason}", self.id)));
                    Err(())
                }
                Ok(Err(unfilled)) => {
                    missing.extend(unfilled);
                    Ok(None)
                }
                Ok(Ok(step)) => Ok(Some(step)),
            }
        };
        let mut steps: Vec<Step> = Vec::new();
        if let Some(f) = &self.step {
            if f.value.is_empty() {
                problems.push(reject(
                    &f.at,
                    format!("provider {:?} has an empty step list", self.id),
                ));
                return None;
            }
            for (i, raw) in f.value.iter().enumerate() {
                let what = format!("step {}", i + 1);
                match resolve(raw, &f.at, what, problems) {
                    Err(()) => return None,
                    Ok(Some(step)) => steps.push(step),
                    Ok(None) => {}
                }
            }
        }
        let probe = match &self.probe {
            Some(f) => match resolve(&f.value, &f.at, "the probe".into(), problems) {
                Err(()) => return None,
                Ok(p) => p,
            },
            None => None,
        };
        let admin = match &self.admin {
            None => None,
            Some(f) => match f.value.resolve(&cx, &self.id) {
                Err(reason) => {
                    problems.push(reject(&f.at, format!("provider {:?}: {reason}", self.id)));
                    return None;
                }
                Ok(a) => Some(a),
            },
        };
        let asks_probe = steps.iter().any(|s| {
            s.answers
                .iter()
                .any(|a| a.then == super::vocab::Then::Probe)
        });
        if asks_probe && self.probe.is_none() {
            let at = self.step.as_ref().map(|f| &f.at).unwrap_or(&self.at);
            problems.push(reject(at, format!("provider {:?}: an answer says then = \"probe\" but the profile has no [provider.probe]", self.id)));
            return None;
        }
        let authenticates = |raw: &RawStep| raw.authenticates_client(client_auth);
        let needs_client_secret = match protocol {
            Protocol::BearerLogout => false,
            Protocol::Steps => {
                self.step
                    .as_ref()
                    .is_some_and(|f| f.value.iter().any(authenticates))
                    || self.probe.as_ref().is_some_and(|f| authenticates(&f.value))
            }
            _ => client_auth != ClientAuth::None,
        };
        let needs_client_id = match protocol {
            Protocol::BearerLogout => false,
            Protocol::Steps => self
                .step
                .as_ref()
                .is_some_and(|f| f.value.iter().any(|s| s.needs_client_id(client_auth))),
            _ => true,
        };
        if client_id.is_none() && needs_client_id {
            missing.push("client_id".into());
        }
        let incomplete = (!missing.is_empty()).then(|| {
            let mut seen = std::collections::BTreeSet::new();
            missing.retain(|m| seen.insert(m.clone()));
            format!(
                "set {} for provider {:?} in providers.toml",
                missing.join(" and "),
                self.id
            )
        });
        Some(Profile {
            label: self
                .label
                .as_ref()
                .map(|f| f.value.clone())
                .unwrap_or_else(|| self.id.clone()),
            id: self.id.clone(),
            protocol,
            revocation_endpoint,
            logout_endpoint,
            introspection_endpoint,
            issuer,
            token_endpoint,
            anonymous_registration_endpoint,
            check_endpoint,
            client_id,
            token_type_hint: self.token_type_hint.as_ref().map(|f| f.value),
            client_auth,
            base_url,
            steps,
            probe,
            ends: self.ends.as_ref().map(|f| f.value),
            manage_url,
            caveat: self.caveat.as_ref().map(|f| f.value.clone()),
            admin,
            needs_client_secret,
            signout: self.signout.as_ref().map(|f| f.value).unwrap_or_default(),
            scopes: self
                .scopes
                .as_ref()
                .map(|f| f.value.clone())
                .unwrap_or_default(),
            offline_access: self.offline_access.as_ref().is_some_and(|f| f.value),
            locked: self.locked_by.is_some(),
            source: match self.layer {
                Layer::Builtin => Source::Builtin,
                Layer::System => Source::System {
                    path: self.at.file.clone(),
                },
                Layer::User => Source::User {
                    path: self.at.file.clone(),
                },
            },
            incomplete,
        })
    }

    /// Replaces `{name}` with params; returns the text and the names left unfilled, or `None`
    /// when the text would pass [`URL_LIMIT`] (a short file must not fill memory: each of many
    /// `{name}`s can name the same long value).
    fn fill(&self, template: &str) -> Option<(String, Vec<String>)> {
        let mut out = String::with_capacity(template.len().min(URL_LIMIT));
        let mut unfilled = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if out.len() > URL_LIMIT {
                return None;
            }
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let name = &after[..close];
                    match self.params.get(name) {
                        Some(v) => out.push_str(&v.value),
                        None => unfilled.push(name.to_owned()),
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        (out.len() <= URL_LIMIT).then_some((out, unfilled))
    }
}
