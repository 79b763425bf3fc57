//! Finding the person an admin names (issue #18): the profile's lookups turn what the admin
//! typed (an e-mail, a login) into the provider's own ids, and its session listing shows what
//! the provider reports for them. Each lookup is one call through the engine (its retries and
//! rate-limit handling); a person nobody matches is `user_not_found`, several where the
//! profile wants one is `several_users`, and nothing is signed out then.

use serde::Serialize;
use serde_json::Value;

use super::super::Signoff;
use crate::engine::Report;
use crate::outcome::{Reason, ReasonKind, Verdict, clean};
use crate::profile::{AdminProfile, Profile, SessionFields, Several, fill_user};
use crate::tokens::TokenBundle;

/// One person the provider knows, as a lookup found them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminMatch {
    /// The provider's id, which the sign-out calls take.
    pub id: String,
    /// What the lookup's answer shows of them (login, e-mail), for the admin to recognise.
    pub shows: Vec<String>,
}

/// One session the provider lists for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdminSession {
    /// The provider's id of the person it belongs to.
    pub user: String,
    pub id: Option<String>,
    /// RFC 3339, UTC.
    pub started: Option<String>,
    pub last_seen: Option<String>,
    pub address: Option<String>,
    /// The apps signed in with it.
    pub apps: Vec<String>,
    /// An offline session: an app's long-lived token rather than a sign-in.
    pub offline: bool,
}

/// The most matches or sessions read from one answer.
const LIST_LIMIT: usize = 1000;

/// The longest text kept from a provider's answer field.
const FIELD_LIMIT: usize = 200;

impl Signoff {
    /// The people `input` names at the provider: the ids its lookups find, or `input` itself
    /// when the profile has none for it. `Err` is the report to give instead (not found,
    /// several, the provider refusing or not answering).
    pub(super) async fn admin_find(
        &self,
        profile: &Profile,
        admin: &AdminProfile,
        tokens: &TokenBundle,
        input: &str,
    ) -> Result<(Vec<AdminMatch>, u32), Report> {
        let input = crate::profile::check_user(input)
            .map_err(|e| Report::failed(Reason::new(ReasonKind::InvalidInput, e.to_string())))?;
        let finders = admin.finders_for(input);
        if finders.is_empty() {
            return Ok((
                vec![AdminMatch {
                    id: input.to_owned(),
                    shows: Vec::new(),
                }],
                0,
            ));
        }
        let mut attempts = 0;
        let lower = input.to_lowercase();
        // Some providers match e-mails case-sensitively but keep their own lower-cased.
        let typed: Vec<&str> = if lower == input {
            vec![input]
        } else {
            vec![input, &lower]
        };
        for finder in finders {
            // With several = "all", every form typed is asked and the users merged by id (a
            // database login kept lower-cased and a social one in the typed case are both
            // the person's).
            let mut all: Vec<AdminMatch> = Vec::new();
            // A value quoted in a search expression (Okta's `eq "…"`) may not hold a quote or
            // a backslash of its own: it could widen the search to other people.
            let quoted = finder
                .step
                .url
                .query()
                .is_some_and(|q| q.contains("%22") || q.contains("%27"));
            if quoted && input.contains(['"', '\'', '\\']) {
                continue;
            }
            for text in &typed {
                let step = fill_user(&finder.step, text).map_err(|e| {
                    Report::failed(Reason::new(ReasonKind::InvalidInput, e.to_string()))
                })?;
                let lookup = self.engine().lookup(profile, tokens, step).await;
                attempts += lookup.attempts;
                let failed = |verdict: Verdict| {
                    let mut report = Report::new(crate::outcome::Outcome::Failed);
                    report.attempts = attempts;
                    report.http_status = lookup.status;
                    report.concluded(verdict)
                };
                match lookup.verdict {
                    Verdict::Ended(_) => {}
                    Verdict::Permanent(r) if r.kind() == ReasonKind::UserNotFound => continue,
                    other => return Err(failed(other)),
                }
                let Some(found) = matches_in(&lookup.body, &finder.id, &finder.shows) else {
                    return Err(failed(Verdict::Permanent(Reason::new(
                        ReasonKind::UnexpectedStatus,
                        format!(
                            "{}'s answer to the lookup of {input} was not the list of users its documentation describes",
                            profile.label
                        ),
                    ))));
                };
                if found.is_empty() {
                    continue;
                }
                if found.len() > 1 && finder.several == Several::Refuse {
                    let names: Vec<String> = found
                        .iter()
                        .take(5)
                        .map(|m| {
                            std::iter::once(m.id.as_str())
                                .chain(m.shows.iter().map(String::as_str))
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .collect();
                    return Err(failed(Verdict::Permanent(Reason::new(
                        ReasonKind::SeveralUsers,
                        format!(
                            "{} people match {input} at {} ({}); none was signed out: give the id of the one you mean",
                            found.len(),
                            profile.label,
                            names.join("; ")
                        ),
                    ))));
                }
                if finder.several == Several::All {
                    for m in found {
                        if !all.iter().any(|a| a.id == m.id) {
                            all.push(m);
                        }
                    }
                    continue;
                }
                return Ok((found, attempts));
            }
            if !all.is_empty() {
                return Ok((all, attempts));
            }
        }
        let mut report = Report::failed(Reason::new(
            ReasonKind::UserNotFound,
            format!("{} knows no user {input}", profile.label),
        ));
        report.attempts = attempts;
        Err(report)
    }

    /// The sessions the provider lists for the people `ids` names, or why it could not.
    pub(super) async fn admin_list_sessions(
        &self,
        profile: &Profile,
        admin: &AdminProfile,
        tokens: &TokenBundle,
        ids: &[AdminMatch],
    ) -> Result<Vec<AdminSession>, Report> {
        let mut sessions = Vec::new();
        for list in &admin.sessions {
            for person in ids {
                let items = self
                    .admin_items(
                        profile,
                        tokens,
                        &list.step,
                        &person.id,
                        &list.items,
                        list.having.as_deref(),
                    )
                    .await?;
                sessions.extend(items.iter().map(|item| {
                    let mut s = session_of(&person.id, item, &list.fields);
                    s.offline = list.offline;
                    s
                }));
            }
        }
        Ok(sessions)
    }
}

impl Signoff {
    /// The items of a listing of the person `id` (`step` with `{user}` filled in): those at
    /// `items` in the answer that hold something at `having`. `Err`: the report to give.
    pub(super) async fn admin_items(
        &self,
        profile: &Profile,
        tokens: &TokenBundle,
        step: &crate::profile::Step,
        id: &str,
        items: &str,
        having: Option<&str>,
    ) -> Result<Vec<Value>, Report> {
        let step = fill_user(step, id)
            .map_err(|e| Report::failed(Reason::new(ReasonKind::InvalidInput, e.to_string())))?;
        let what = step.name.clone();
        let lookup = self.engine().lookup(profile, tokens, step).await;
        if !matches!(lookup.verdict, Verdict::Ended(_)) {
            let mut report = Report::new(crate::outcome::Outcome::Failed);
            report.attempts = lookup.attempts;
            report.http_status = lookup.status;
            return Err(report.concluded(lookup.verdict));
        }
        let list = serde_json::from_slice::<Value>(&lookup.body)
            .ok()
            .and_then(|v| {
                // Google leaves an empty list out of its answer.
                match v.pointer(items) {
                    Some(Value::Array(a)) => Some(a.clone()),
                    None if !items.is_empty() && v.is_object() => Some(Vec::new()),
                    _ => None,
                }
            });
        let Some(list) = list else {
            return Err(Report::failed(Reason::new(
                ReasonKind::UnexpectedStatus,
                format!(
                    "{}'s answer to \"{what}\" was not the list its documentation describes",
                    profile.label
                ),
            )));
        };
        Ok(list
            .into_iter()
            .filter(|i| crate::profile::has(i, having))
            .take(LIST_LIMIT)
            .collect())
    }
}

/// The matches in a lookup's answer: a list of users, or one user (a lookup by id). `None`
/// when the answer is neither.
fn matches_in(body: &[u8], id: &str, shows: &[String]) -> Option<Vec<AdminMatch>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let items = match value {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        _ => return None,
    };
    let mut found = Vec::new();
    for item in items.iter().take(LIST_LIMIT) {
        let id = item.pointer(id).and_then(text_of)?;
        let shows = shows
            .iter()
            .filter_map(|p| item.pointer(p).and_then(text_of))
            .collect();
        found.push(AdminMatch { id, shows });
    }
    Some(found)
}

/// A string or a number, as text (cleaned and bounded), else nothing.
fn text_of(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let text = clean(&text, &[], FIELD_LIMIT);
    (!text.is_empty()).then_some(text)
}

/// A time as epoch seconds, epoch milliseconds or RFC 3339 text, as RFC 3339 in UTC.
fn time_of(v: &Value) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    use time::{OffsetDateTime, UtcOffset};
    let at = match v {
        Value::Number(n) => {
            let n = i128::from(n.as_i64()?);
            // Milliseconds from the 1970s on are past 10^11; seconds stay below until 5138.
            let nanos = if n > 100_000_000_000 {
                n * 1_000_000
            } else {
                n * 1_000_000_000
            };
            OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?
        }
        Value::String(s) => OffsetDateTime::parse(s, &Rfc3339).ok()?,
        _ => return None,
    };
    let at = at.to_offset(UtcOffset::UTC).replace_nanosecond(0).ok()?;
    at.format(&Rfc3339).ok()
}

/// One listed session, read through the profile's pointers.
fn session_of(user: &str, item: &Value, fields: &SessionFields) -> AdminSession {
    let at = |p: &Option<String>| p.as_deref().and_then(|p| item.pointer(p));
    let apps = match at(&fields.apps) {
        Some(Value::Object(map)) => map.values().filter_map(text_of).collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|v| match v {
                Value::Object(o) => o.values().find_map(text_of),
                other => text_of(other),
            })
            .collect(),
        Some(other) => text_of(other).into_iter().collect(),
        None => Vec::new(),
    };
    AdminSession {
        user: user.to_owned(),
        id: at(&fields.id).and_then(text_of),
        started: at(&fields.started).and_then(time_of),
        last_seen: at(&fields.last_seen).and_then(time_of),
        address: at(&fields.address).and_then(text_of),
        apps,
        offline: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_answer_is_a_list_of_users_or_one_user() {
        let list =
            br#"[{"id":"u1","username":"ada","email":"ada@x.test"},{"id":"u2","username":"ada2"}]"#;
        let found = matches_in(list, "/id", &["/username".into(), "/email".into()]).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].shows, ["ada", "ada@x.test"]);
        assert_eq!(found[1].shows, ["ada2"]);
        let one = matches_in(br#"{"user_id":"auth0|1"}"#, "/user_id", &[]).unwrap();
        assert_eq!(one[0].id, "auth0|1");
        assert!(matches_in(b"[]", "/id", &[]).unwrap().is_empty());
        // Not what a user list looks like: not read as "nobody".
        assert!(matches_in(b"\"ok\"", "/id", &[]).is_none());
        assert!(matches_in(br#"[{"name":"no id"}]"#, "/id", &[]).is_none());
    }

    #[test]
    fn session_times_in_seconds_milliseconds_or_text_read_the_same() {
        for v in [
            serde_json::json!(1_764_600_000),
            serde_json::json!(1_764_600_000_000_i64),
            serde_json::json!("2025-12-01T14:40:00Z"),
        ] {
            assert_eq!(time_of(&v).as_deref(), Some("2025-12-01T14:40:00Z"), "{v}");
        }
        let fields = SessionFields {
            id: Some("/id".into()),
            apps: Some("/clients".into()),
            ..SessionFields::default()
        };
        let s = session_of(
            "u1",
            &serde_json::json!({"id": "s1", "clients": {"uuid-1": "account-console"}}),
            &fields,
        );
        assert_eq!(s.apps, ["account-console"]);
        let s = session_of(
            "u1",
            &serde_json::json!({"id": "s2", "clients": [{"client_id": "abc"}]}),
            &fields,
        );
        assert_eq!(
            (s.id.as_deref(), &s.apps[..]),
            (Some("s2"), &["abc".to_owned()][..])
        );
    }
}
