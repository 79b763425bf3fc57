//! What an IT admin's sign-out of a person at the identity provider is made of (issue #18): the
//! admin's own credential, how it becomes a bearer token, and the calls, each with `{user}` in
//! its path — steps like any other, read by the same answer rules. From `[provider.admin]`:
//!
//! ```toml
//! [provider.admin]
//! credential = "client_credentials"   # or "api_token", "service_account"
//! token_path = "/realms/{realm}/protocol/openid-connect/token"   # or token_url, token_host
//! scope = "…"                          # audience = "…" (Auth0)
//! [[provider.admin.step]]
//! method = "POST"
//! path = "/admin/realms/{realm}/users/{user}/logout"
//! token = "access_token"               # the admin's token
//! send = "bearer"                       # or authorization:SSWS (Okta API tokens)
//! answer = [{ status = 404, then = "failed", reason = "user_not_found" }]
//!
//! # When the calls need the provider's own id: look the person up first (tried in order).
//! [[provider.admin.find]]
//! when = "email"                       # or "not_email", "always" (the default)
//! path = "/admin/realms/{realm}/users?email={user}&exact=true"
//! id = "/id"                           # JSON Pointer to the id in each match
//! several = "refuse"                   # or "all": sign out every match
//!
//! # What `signoff admin sessions` lists, where the provider can (`{user}`: the id found).
//! [provider.admin.sessions]
//! path = "/admin/realms/{realm}/users/{user}/sessions"
//! items = ""                           # pointer to the list in the answer
//! fields = { id = "/id", started = "/start", last_seen = "/lastAccess", address = "/ipAddress" }
//! ```

use percent_encoding::utf8_percent_encode;
use serde::{Deserialize, Serialize};
use url::Url;

use super::steps::{Context, RawAnswer, RawStep, SEGMENT, Step, USER_SEGMENT};
use super::vocab::TokenKind;
use crate::error::{Error, Result};

named!(
    /// What the admin holds, and how it becomes the bearer of the admin calls.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum AdminCredential {
        /// A long-lived API token, sent as it is (Okta's `SSWS` token).
        ApiToken,
        /// A service client's secret, exchanged at the token endpoint (RFC 6749 §4.4).
        ClientCredentials,
        /// A service account's private key, signed into a JWT and exchanged (RFC 7523; Google,
        /// with domain-wide delegation to an admin).
        ServiceAccount,
    }
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdmin {
    credential: AdminCredential,
    token_path: Option<String>,
    token_url: Option<String>,
    token_host: Option<String>,
    scope: Option<String>,
    /// `{param}`s and `{base_url}` filled in (Auth0: `"{base_url}/api/v2/"`).
    audience: Option<String>,
    /// A service account acts as this admin (`sub`; Google's domain-wide delegation).
    subject: Option<String>,
    /// The admin app's client id, apart from the profile's own (the person's app): usually
    /// `"{admin_client_id}"`, set in params.
    client_id: Option<String>,
    /// How the token endpoint is told who the client is (`basic` unless given).
    client_auth: Option<super::vocab::ClientAuth>,
    /// What the admin should know about the result ("takes a few minutes").
    note: Option<String>,
    /// The provider's documented limit on admin calls a minute (none: only its 429s pace us).
    per_minute: Option<std::num::NonZeroU32>,
    #[serde(default)]
    step: Vec<RawStep>,
    #[serde(default)]
    find: Vec<RawFind>,
    #[serde(default)]
    sessions: OneOrMany<RawSessions>,
    /// Calls made once per item of a listing, after the steps (Keycloak: each app's offline
    /// tokens).
    #[serde(default)]
    each: Vec<RawEach>,
    /// Instead of the API token: an OAuth service app's private key (Okta), exchanged there.
    service_app: Option<RawServiceApp>,
}

/// One table or an array of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    fn as_slice(&self) -> &[T] {
        match self {
            Self::One(t) => std::slice::from_ref(t),
            Self::Many(v) => v,
        }
    }
}

// Not `deny_unknown_fields`: the rest is the call, checked as a step (which denies them).
#[derive(Debug, Clone, Deserialize)]
struct RawEach {
    /// The listing (a `GET` with `{user}`).
    list_host: Option<String>,
    list_path: Option<String>,
    list_url: Option<String>,
    #[serde(default)]
    items: String,
    /// Only items where this pointer holds something (a non-empty list, a value).
    having: Option<String>,
    /// Pointer to what `{item}` is in each item.
    item: String,
    /// The call made for each item: `{user}` and `{item}` in its path.
    #[serde(flatten)]
    call: toml::Table,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServiceApp {
    token_path: Option<String>,
    token_url: Option<String>,
    token_host: Option<String>,
    scope: Option<String>,
}

/// An OAuth service app's way to the admin calls: client credentials with `private_key_jwt`
/// at `token_url`; its token is sent as `Authorization: Bearer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceApp {
    pub token_url: Url,
    pub scope: Option<String>,
}

named!(
    /// Which inputs a lookup is for.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum FindWhen {
        /// An e-mail address (holds `@`).
        Email,
        /// Anything but an e-mail address (a login or the provider's id).
        NotEmail,
        Always,
    }
);

named!(
    /// What to do when a lookup finds more than one person.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum Several {
        /// Sign out every match (Auth0: one user per connection with the same e-mail).
        All,
        /// Sign out none and say which matched: the admin must name one.
        Refuse,
    }
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFind {
    name: Option<String>,
    host: Option<String>,
    path: Option<String>,
    url: Option<String>,
    when: Option<FindWhen>,
    id: String,
    several: Option<Several>,
    /// Pointers to what each match shows the admin (its login, e-mail).
    #[serde(default)]
    shows: Vec<String>,
    #[serde(default)]
    answer: Vec<RawAnswer>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSessions {
    host: Option<String>,
    path: Option<String>,
    url: Option<String>,
    /// Pointer to the list in the answer ("" when the answer is the list).
    #[serde(default)]
    items: String,
    /// Only items where this pointer holds something.
    having: Option<String>,
    /// These are offline sessions (long-lived tokens of apps), not sign-ins.
    #[serde(default)]
    offline: bool,
    #[serde(default)]
    fields: SessionFields,
    #[serde(default)]
    answer: Vec<RawAnswer>,
}

/// Where each listed session's facts are (JSON Pointers into one item); times may be epoch
/// seconds, epoch milliseconds or text (RFC 3339).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFields {
    pub id: Option<String>,
    pub started: Option<String>,
    pub last_seen: Option<String>,
    pub address: Option<String>,
    /// What the session is for: the apps signed in (an object's values or a list's items).
    pub apps: Option<String>,
}

/// A lookup of a person by what the admin typed, before the calls that take the provider's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finder {
    /// A `GET` whose URL holds [`USER_SEGMENT`]: filled in with what the admin typed.
    pub step: Step,
    pub when: FindWhen,
    /// Pointer to the id in each match (the answer is a list of matches, or one match).
    pub id: String,
    pub several: Several,
    pub shows: Vec<String>,
}

impl Finder {
    /// True when this lookup is for `input`.
    pub fn is_for(&self, input: &str) -> bool {
        let email = input.contains('@');
        match self.when {
            FindWhen::Email => email,
            FindWhen::NotEmail => !email,
            FindWhen::Always => true,
        }
    }
}

/// How a person's sessions are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionList {
    /// A `GET` whose URL holds [`USER_SEGMENT`] (the id found).
    pub step: Step,
    pub items: String,
    pub having: Option<String>,
    pub offline: bool,
    pub fields: SessionFields,
}

/// A call made for each item of a listing of the person's (`{item}` in its URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EachItem {
    /// A `GET` whose URL holds [`USER_SEGMENT`].
    pub list: Step,
    pub items: String,
    pub having: Option<String>,
    pub item: String,
    /// Holds [`USER_SEGMENT`] and [`ITEM_SEGMENT`].
    pub call: Step,
}

/// The placeholder of an `each` call's URL where the item goes (`{item}`).
pub const ITEM_SEGMENT: &str = "%7Bitem%7D";

/// True when `item` holds something at `having` (or there is no condition).
pub fn has(item: &serde_json::Value, having: Option<&str>) -> bool {
    having.is_none_or(|p| match item.pointer(p) {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Array(a)) => !a.is_empty(),
        Some(serde_json::Value::Object(o)) => !o.is_empty(),
        Some(serde_json::Value::String(t)) => !t.is_empty(),
        Some(_) => true,
    })
}

/// An admin sign-out, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminProfile {
    pub credential: AdminCredential,
    /// Where a client secret or a service account's assertion becomes a token.
    pub token_url: Option<Url>,
    pub scope: Option<String>,
    pub audience: Option<String>,
    /// The admin a service account acts as.
    pub subject: Option<String>,
    /// The admin app's client id (client credentials, a service app).
    pub client_id: Option<String>,
    /// How the client authenticates at the token endpoint.
    pub token_auth: super::vocab::ClientAuth,
    pub note: Option<String>,
    /// At most this many admin calls a minute.
    pub per_minute: Option<std::num::NonZeroU32>,
    /// The calls, in order; each URL holds [`USER_SEGMENT`]. Empty while incomplete.
    pub steps: Vec<Step>,
    /// Lookups tried in order before the calls; none: the calls take what the admin typed.
    pub find: Vec<Finder>,
    /// How to list a person's sessions, where the provider can (none: it cannot).
    pub sessions: Vec<SessionList>,
    /// Calls once per item of a listing, after the steps.
    pub each: Vec<EachItem>,
    /// An API-token provider's other way in: a service app's private key.
    pub service_app: Option<ServiceApp>,
    /// What admin sign-outs still need (a `{param}` only they use, such as Microsoft's tenant);
    /// the profile's own sign-out is not held up by it.
    pub incomplete: Option<String>,
}

/// The longest user id or e-mail an admin step takes.
const USER_LIMIT: usize = 320;

/// Escaped in a value put in a lookup's query: all but the unreserved (RFC 3986 §2.3), so `+`,
/// `&` and `=` stay part of it.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Checks what the admin typed (a user id, login or e-mail); returns it trimmed.
pub fn check_user(user: &str) -> Result<&str> {
    let user = user.trim();
    // `.` and `..` would be read as path steps by the URL, not as a name.
    if user.is_empty()
        || user.len() > USER_LIMIT
        || user.chars().any(char::is_control)
        || user == "."
        || user == ".."
    {
        return Err(Error::invalid(
            "user",
            format!("expected a user id, login or e-mail of 1 to {USER_LIMIT} characters"),
        ));
    }
    Ok(user)
}

/// `step` with `{user}` filled in (escaped as one path segment, or every reserved character
/// escaped when it is in the query).
pub fn fill_user(step: &Step, user: &str) -> Result<Step> {
    fill_placeholder(step, USER_SEGMENT, check_user(user)?)
}

/// `step` with each `placeholder` of its URL replaced by `value`, escaped as one path segment
/// (or, in the query, every reserved character escaped).
pub fn fill_placeholder(step: &Step, placeholder: &str, value: &str) -> Result<Step> {
    let text = step.url.as_str();
    let query_at = text.find('?').unwrap_or(text.len());
    let mut url = String::with_capacity(text.len() + value.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(placeholder) {
        url.push_str(&text[rest..at]);
        let set = if at > query_at { QUERY_VALUE } else { SEGMENT };
        url.extend(utf8_percent_encode(value, set));
        rest = at + placeholder.len();
    }
    url.push_str(&text[rest..]);
    let mut step = step.clone();
    step.url = Url::parse(&url)
        .map_err(|_| Error::invalid("user", "does not fit in the provider's URL"))?;
    Ok(step)
}

impl AdminProfile {
    /// The calls for one person: `{user}` filled in as one path segment.
    pub fn steps_for(&self, user: &str) -> Result<Vec<Step>> {
        self.steps.iter().map(|s| fill_user(s, user)).collect()
    }

    /// The lookups for what the admin typed, in order (none: the calls take it as it is).
    pub fn finders_for(&self, input: &str) -> Vec<&Finder> {
        self.find.iter().filter(|f| f.is_for(input)).collect()
    }
}

impl RawAdmin {
    /// Checks the section. `Err` is the reason; params not set yet leave it incomplete.
    pub(super) fn resolve(
        &self,
        cx: &Context<'_>,
        id: &str,
    ) -> std::result::Result<AdminProfile, String> {
        let exchanged = self.credential != AdminCredential::ApiToken;
        let has_location = self.token_path.is_some() || self.token_url.is_some();
        if exchanged != has_location {
            return Err(if exchanged {
                format!(
                    "[provider.admin] credential = {:?} needs token_path or token_url",
                    self.credential.as_str()
                )
            } else {
                "[provider.admin] credential = \"api_token\" is sent as it is: no token_path or token_url".into()
            });
        }
        if self.step.is_empty() {
            return Err("[provider.admin] has no step".into());
        }
        let mut unfilled = Vec::new();
        let token_url = if has_location {
            let at = (&self.token_path, &self.token_url, &self.token_host);
            match endpoint("the admin token endpoint", at, cx)? {
                Ok(url) => Some(url),
                Err(names) => {
                    unfilled.extend(names);
                    None
                }
            }
        } else {
            None
        };
        // The admin's token is the only credential of these calls: no client authentication.
        let admin_cx = Context {
            admin: true,
            client_auth: super::vocab::ClientAuth::None,
            ..*cx
        };
        let mut steps = Vec::new();
        for (i, raw) in self.step.iter().enumerate() {
            let what = format!("admin step {}", i + 1);
            if raw.token() != TokenKind::AccessToken {
                return Err(format!(
                    "{what} sends the admin's token: token = \"access_token\""
                ));
            }
            match raw.clone().resolve(&what, &admin_cx)? {
                Ok(step) => {
                    if !step.url.as_str().contains(USER_SEGMENT) {
                        return Err(format!("{what} needs `{{user}}` in its path"));
                    }
                    steps.push(step);
                }
                Err(names) => unfilled.extend(names),
            }
        }
        // Lookups and listings are sent as the first call is (the admin's token, its header).
        let like = &self.step[0];
        let mut find = Vec::new();
        for (i, raw) in self.find.iter().enumerate() {
            let what = format!("admin find {}", i + 1);
            let step = RawStep::lookup(
                like,
                raw.name.clone().unwrap_or_else(|| "find the user".into()),
                (raw.path.clone(), raw.url.clone(), raw.host.clone()),
                raw.answer.clone(),
            );
            match step.resolve(&what, &admin_cx)? {
                Ok(step) => {
                    if !step.url.as_str().contains(USER_SEGMENT) {
                        return Err(format!("{what} needs `{{user}}` in its path or query"));
                    }
                    check_pointer(&what, &raw.id)?;
                    for p in &raw.shows {
                        check_pointer(&what, p)?;
                    }
                    find.push(Finder {
                        step,
                        when: raw.when.unwrap_or(FindWhen::Always),
                        id: raw.id.clone(),
                        several: raw.several.unwrap_or(Several::Refuse),
                        shows: raw.shows.clone(),
                    });
                }
                Err(names) => unfilled.extend(names),
            }
        }
        let mut sessions = Vec::new();
        for raw in self.sessions.as_slice() {
            let what = "[provider.admin.sessions]";
            let step = RawStep::lookup(
                like,
                "list the user's sessions".into(),
                (raw.path.clone(), raw.url.clone(), raw.host.clone()),
                raw.answer.clone(),
            );
            match step.resolve(what, &admin_cx)? {
                Ok(step) => {
                    if !step.url.as_str().contains(USER_SEGMENT) {
                        return Err(format!("{what} needs `{{user}}` in its path"));
                    }
                    let f = &raw.fields;
                    for p in [
                        &f.id,
                        &f.started,
                        &f.last_seen,
                        &f.address,
                        &f.apps,
                        &raw.having,
                    ]
                    .into_iter()
                    .flatten()
                    .chain([&raw.items])
                    {
                        check_pointer(what, p)?;
                    }
                    sessions.push(SessionList {
                        step,
                        items: raw.items.clone(),
                        having: raw.having.clone(),
                        offline: raw.offline,
                        fields: raw.fields.clone(),
                    });
                }
                Err(names) => unfilled.extend(names),
            }
        }
        let mut each = Vec::new();
        for (i, raw) in self.each.iter().enumerate() {
            let what = format!("admin each {}", i + 1);
            let list = RawStep::lookup(
                like,
                "list the user's items".into(),
                (
                    raw.list_path.clone(),
                    raw.list_url.clone(),
                    raw.list_host.clone(),
                ),
                Vec::new(),
            );
            let call: RawStep = raw
                .call
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| format!("{what}: {}", e.message()))?;
            if call.token() != TokenKind::AccessToken {
                return Err(format!(
                    "{what} sends the admin's token: token = \"access_token\""
                ));
            }
            check_pointer(&what, &raw.item)?;
            check_pointer(&what, &raw.items)?;
            if let Some(h) = &raw.having {
                check_pointer(&what, h)?;
            }
            match (
                list.resolve(&what, &admin_cx)?,
                call.resolve(&what, &admin_cx)?,
            ) {
                (Ok(list), Ok(call)) => {
                    let (l, c) = (list.url.as_str(), call.url.as_str());
                    if !l.contains(USER_SEGMENT)
                        || !c.contains(USER_SEGMENT)
                        || !c.contains(ITEM_SEGMENT)
                    {
                        return Err(format!(
                            "{what} needs `{{user}}` in list_path, `{{user}}` and `{{item}}` in path"
                        ));
                    }
                    each.push(EachItem {
                        list,
                        items: raw.items.clone(),
                        having: raw.having.clone(),
                        item: raw.item.clone(),
                        call,
                    });
                }
                (a, b) => {
                    unfilled.extend(a.err().unwrap_or_default());
                    unfilled.extend(b.err().unwrap_or_default());
                }
            }
        }
        let mut service_app = None;
        if let Some(raw) = &self.service_app {
            if self.credential != AdminCredential::ApiToken {
                return Err(
                    "[provider.admin] service_app is the other way in of an api_token credential"
                        .into(),
                );
            }
            let at = (&raw.token_path, &raw.token_url, &raw.token_host);
            match endpoint("the service app's token endpoint", at, cx)? {
                Ok(token_url) => {
                    service_app = Some(ServiceApp {
                        token_url,
                        scope: raw.scope.clone(),
                    });
                }
                Err(names) => unfilled.extend(names),
            }
        }
        let audience = match &self.audience {
            Some(text) => {
                let (filled, names) = fill_text(text, cx);
                unfilled.extend(names);
                Some(filled)
            }
            None => None,
        };
        // The admin app's id: needed by client credentials; an API token's service app only
        // needs it when one is used (checked at `admin login`).
        let client_id = match &self.client_id {
            Some(text) => {
                let (filled, names) = fill_text(text, cx);
                if names.is_empty() {
                    Some(filled)
                } else {
                    if self.credential == AdminCredential::ClientCredentials {
                        unfilled.extend(names);
                    }
                    None
                }
            }
            None => None,
        };
        if self.credential == AdminCredential::ClientCredentials && self.client_id.is_none() {
            return Err("[provider.admin] credential = \"client_credentials\" needs client_id (such as \"{admin_client_id}\")".into());
        }
        let subject = match &self.subject {
            Some(text) => {
                let (filled, names) = fill_text(text, cx);
                unfilled.extend(names);
                Some(filled)
            }
            None => None,
        };
        let incomplete = (!unfilled.is_empty()).then(|| {
            unfilled.sort();
            unfilled.dedup();
            format!(
                "set {} for provider {id:?} in providers.toml to sign people out as an admin",
                unfilled.join(" and ")
            )
        });
        if incomplete.is_some() {
            steps.clear();
            find.clear();
            sessions.clear();
            each.clear();
            service_app = None;
        }
        Ok(AdminProfile {
            credential: self.credential,
            token_url: token_url.filter(|_| incomplete.is_none()),
            scope: self.scope.clone(),
            audience,
            subject,
            client_id,
            token_auth: self.client_auth.unwrap_or(super::vocab::ClientAuth::Basic),
            note: self.note.clone(),
            per_minute: self.per_minute,
            steps,
            find,
            sessions,
            each,
            service_app,
            incomplete,
        })
    }
}

/// A token endpoint given as `(path, url, host)`, checked as a step's URL is: `Ok(Err(names))`
/// while params are unset. How the client authenticates there is the admin's `client_auth`.
fn endpoint(
    what: &str,
    (path, url, host): (&Option<String>, &Option<String>, &Option<String>),
    cx: &Context<'_>,
) -> std::result::Result<std::result::Result<Url, Vec<String>>, String> {
    let location = RawStep::location(path.clone(), url.clone(), host.clone());
    let at = Context {
        client_auth: super::vocab::ClientAuth::None,
        ..*cx
    };
    Ok(location.resolve(what, &at)?.map(|step| step.url))
}

/// `text` with its `{param}`s and `{base_url}` (without its last `/`) filled in, and the names
/// left unfilled.
fn fill_text(text: &str, cx: &Context<'_>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut unfilled = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        let value = match name {
            "base_url" => cx
                .base_url
                .map(|u| u.as_str().trim_end_matches('/').to_owned()),
            other => cx.params.get(other).cloned(),
        };
        match value {
            Some(v) => out.push_str(&v),
            None => unfilled.push(if name == "base_url" {
                "base_url".to_owned()
            } else {
                format!("params.{name}")
            }),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    (out, unfilled)
}

/// A JSON Pointer (RFC 6901): empty, or starting with `/`.
fn check_pointer(what: &str, pointer: &str) -> std::result::Result<(), String> {
    if pointer.is_empty() || pointer.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "{what}: {pointer:?} is not a JSON Pointer (it starts with `/`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::profile::ProfileSet;

    fn set(text: &str) -> ProfileSet {
        ProfileSet::parse_user_text(Path::new("providers.toml"), text)
    }

    #[test]
    fn okta_s_admin_call_takes_the_user_as_one_segment_and_its_api_token() {
        let s = set("[[provider]]\nid = \"okta\"\nparams = { org = \"acme.okta.com\" }\n");
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let admin = s.get("okta").unwrap().admin.clone().unwrap();
        assert_eq!(admin.credential, super::AdminCredential::ApiToken);
        assert_eq!(admin.incomplete, None);
        let steps = admin.steps_for("ada/x@acme.test").unwrap();
        assert_eq!(
            steps[0].url.as_str(),
            "https://acme.okta.com/api/v1/users/ada%2Fx@acme.test/sessions?oauthTokens=true&forgetDevices=false"
        );
        assert_eq!(
            steps[0].send,
            crate::profile::Placement::Scheme("SSWS".into())
        );
        assert!(admin.steps_for(" ").is_err());
        assert!(admin.steps_for("..").is_err() && admin.steps_for(".").is_err());
        assert!(admin.steps_for("a\nb").is_err());
    }

    #[test]
    fn microsoft_s_admin_waits_for_its_tenant_without_holding_up_the_profile() {
        let s = set("");
        let p = s.get("microsoft").unwrap();
        assert_eq!(p.incomplete, None);
        let admin = p.admin.clone().unwrap();
        assert!(admin.incomplete.unwrap().contains("params.tenant"));
        assert!(admin.steps.is_empty());
        let s = set(
            "[[provider]]\nid = \"microsoft\"\nparams = { tenant = \"contoso.onmicrosoft.com\", admin_client_id = \"a\" }\n",
        );
        let admin = s.get("microsoft").unwrap().admin.clone().unwrap();
        assert_eq!(
            admin.token_url.as_ref().unwrap().as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            admin.steps_for("ada@contoso.com").unwrap()[0].url.as_str(),
            "https://graph.microsoft.com/v1.0/users/ada@contoso.com/revokeSignInSessions"
        );
        // A test server (or a proxy) as base_url takes every call, the token endpoint's too.
        let s = set(
            "[[provider]]\nid = \"microsoft\"\nbase_url = \"http://127.0.0.1:9\"\nparams = { tenant = \"t\", admin_client_id = \"a\" }\n",
        );
        let admin = s.get("microsoft").unwrap().admin.clone().unwrap();
        assert_eq!(
            admin.token_url.unwrap().as_str(),
            "http://127.0.0.1:9/t/oauth2/v2.0/token"
        );
    }

    #[test]
    fn keycloak_looks_a_person_up_by_what_the_admin_typed_before_the_calls_take_its_id() {
        let s = set(
            "[[provider]]\nid = \"keycloak\"\nparams = { host = \"sso.acme.test\", realm = \"staff\", admin_client_id = \"a\" }\n",
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let admin = s.get("keycloak").unwrap().admin.clone().unwrap();
        assert_eq!(admin.incomplete, None);
        let by_email = admin.finders_for("Ada+x@acme.test");
        assert_eq!(by_email.len(), 2, "by e-mail, then by username");
        // In a query, `+` and `@` are escaped so they stay the value's own.
        assert_eq!(
            super::fill_user(&by_email[0].step, "Ada+x@acme.test")
                .unwrap()
                .url
                .as_str(),
            "https://sso.acme.test/admin/realms/staff/users?email=Ada%2Bx%40acme.test&exact=true&briefRepresentation=true"
        );
        let by_name = admin.finders_for("ada");
        assert_eq!(by_name.len(), 2, "by username, then by id");
        assert_eq!(
            super::fill_user(&by_name[1].step, "a/b")
                .unwrap()
                .url
                .as_str(),
            "https://sso.acme.test/admin/realms/staff/users/a%2Fb"
        );
        assert_eq!(
            admin.steps_for("8f2c").unwrap()[0].url.as_str(),
            "https://sso.acme.test/admin/realms/staff/users/8f2c/logout"
        );
        assert_eq!(
            admin.sessions.len(),
            2,
            "online sessions, and offline tokens by app"
        );
        assert_eq!(admin.each.len(), 1);
    }

    #[test]
    fn auth0_s_management_audience_follows_its_base_url() {
        let s = set(
            "[[provider]]\nid = \"auth0\"\nparams = { tenant = \"acme.eu.auth0.com\", admin_client_id = \"m2m\" }\n",
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let admin = s.get("auth0").unwrap().admin.clone().unwrap();
        assert_eq!(
            admin.audience.as_deref(),
            Some("https://acme.eu.auth0.com/api/v2/")
        );
        assert_eq!(admin.token_auth, crate::profile::ClientAuth::Post);
        assert_eq!(admin.steps_for("auth0|abc").unwrap().len(), 2);
        assert_eq!(
            admin.steps_for("auth0|abc").unwrap()[0].url.as_str(),
            "https://acme.eu.auth0.com/api/v2/users/auth0%7Cabc/sessions"
        );
        // An id is taken as it is: only e-mails are looked up.
        assert!(admin.finders_for("auth0|abc").is_empty());
    }

    #[test]
    fn a_bad_admin_section_is_a_problem_with_its_reason() {
        for (section, says) in [
            (
                "credential = \"api_token\"\ntoken_path = \"/t\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"access_token\"\nsend = \"bearer\"\n",
                "no token_path",
            ),
            (
                "credential = \"client_credentials\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"access_token\"\nsend = \"bearer\"\n",
                "needs token_path",
            ),
            (
                "credential = \"api_token\"\n[[provider.admin.step]]\npath = \"/u\"\ntoken = \"access_token\"\nsend = \"bearer\"\n",
                "needs `{user}`",
            ),
            (
                "credential = \"api_token\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"refresh_token\"\nsend = \"bearer\"\n",
                "admin's token",
            ),
            (
                "credential = \"api_token\"\n[[provider.admin.step]]\npath = \"/u/{user}\"\ntoken = \"access_token\"\nsend = \"authorization:Bearer\"\n",
                "other than Bearer",
            ),
            ("credential = \"api_token\"\n", "no step"),
        ] {
            let text = format!(
                "[[provider]]\nid = \"corp\"\nbase_url = \"https://idp.example\"\nends = \"nothing\"\n[provider.admin]\n{section}"
            );
            let s = set(&text);
            assert!(
                s.problems.iter().any(|p| p.reason.contains(says)),
                "{says}: {:?}",
                s.problems
            );
        }
    }
}
