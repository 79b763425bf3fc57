//! The Azure CLI (`az`): `msal_token_cache.json` in `$AZURE_CONFIG_DIR`, else `~/.azure` — MSAL's
//! unified cache, top-level maps `RefreshToken`, `AccessToken`, `IdToken`, `Account` (and
//! `AppMetadata`) of entries keyed by cache keys, each with `home_account_id`; tokens hold
//! `secret` and `environment`, accounts `username`. One session per `home_account_id`: its
//! refresh token is the secret, its access and ID tokens go with it. Microsoft has no call
//! that revokes one refresh token, so the session is local only. Removal does what
//! `az logout --username` does through MSAL's `remove_account`: every RT/AT/IdT/Account entry
//! of that `home_account_id` goes, the rest of the cache stays. The file is written back as
//! MSAL writes it (`json.dumps(indent=4)`: four-space indent, non-ASCII escaped), with keys in
//! sorted order (MSAL reads them by key); atomically, not in place as MSAL does, and without
//! taking msal-extensions' `.lockfile` (a file that changes meanwhile is read again).
//!
//! Left alone: the user's subscriptions in `azureProfile.json` (no secret; `az` asks to sign in
//! again for them), `service_principal_entries.json` (service-principal secrets, rotated in the
//! app registration), and an encrypted `msal_token_cache.bin` (reported, not read).
//! Sources: Debian's azure-cli 2.45 `azure/cli/core/_environment.py`, `_profile.py`,
//! `auth/identity.py`, `auth/persistence.py`; msal 1.21 `token_cache.py`, `application.py`;
//! see docs/found-sessions.md (az).

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{read_store, remove_in_file, unparsable};
use crate::found::edit::EditError;
use crate::found::{Env, Place, Removed, Revoker, Sighting, StoreProblem, Tool, ToolId, ToolScan};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Az;

const CACHE: &str = "msal_token_cache.json";
const WHY: &str = "Microsoft has no call that revokes one Azure CLI refresh token; sign out of other sessions at the account page";
const PAGE: &str = "https://myaccount.microsoft.com/";
/// The token maps of the cache, by kind.
const TOKENS: &[(&str, TokenKind)] = &[
    ("RefreshToken", TokenKind::RefreshToken),
    ("AccessToken", TokenKind::AccessToken),
    ("IdToken", TokenKind::IdToken),
];
/// Every map whose entries belong to an account.
const ACCOUNT_MAPS: &[&str] = &["RefreshToken", "AccessToken", "IdToken", "Account"];
const ENTRY_PREFIX: &str = "account ";

fn config_dir(env: &Env) -> PathBuf {
    env.var("AZURE_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env.in_home(".azure"))
}

fn str_at<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The cache's maps, checked to be objects where present.
fn parse_cache(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => {
            if ACCOUNT_MAPS
                .iter()
                .any(|k| m.get(*k).is_some_and(|v| !v.is_object()))
            {
                return Err("not an MSAL token cache".into());
            }
            Ok(m)
        }
        Ok(_) => Err("not an MSAL token cache".into()),
        Err(_) => Err("not valid JSON".into()),
    }
}

/// The entries of `map` in `cache`, in key order.
fn entries<'a>(cache: &'a Map<String, Value>, map: &str) -> Vec<(&'a String, &'a Value)> {
    cache
        .get(map)
        .and_then(Value::as_object)
        .map(|m| m.iter().collect())
        .unwrap_or_default()
}

/// One account's tokens: `(home_account_id, environment, [(kind, secret)])`, the refresh
/// tokens first.
type AccountTokens = (String, Option<String>, Vec<(TokenKind, String)>);

fn accounts(cache: &Map<String, Value>) -> Vec<AccountTokens> {
    let mut out: Vec<AccountTokens> = Vec::new();
    for (map, kind) in TOKENS {
        for (_, e) in entries(cache, map) {
            let (Some(hid), Some(secret)) = (str_at(e, "home_account_id"), str_at(e, "secret"))
            else {
                continue;
            };
            let i = match out.iter().position(|(h, _, _)| h == hid) {
                Some(i) => i,
                None => {
                    out.push((hid.to_owned(), None, Vec::new()));
                    out.len() - 1
                }
            };
            let a = &mut out[i];
            a.1 = a.1.take().or(str_at(e, "environment").map(str::to_owned));
            if !a.2.iter().any(|(_, s)| s == secret) {
                a.2.push((*kind, secret.to_owned()));
            }
        }
    }
    out
}

/// The cache as MSAL Python writes it: `json.dumps(cache, indent=4)` (ASCII only).
fn to_msal_json(v: &Value) -> Result<String, String> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser)
        .map_err(|_| "the cache could not be written".to_owned())?;
    let text = String::from_utf8(buf).map_err(|_| "the cache could not be written".to_owned())?;
    // Non-ASCII only occurs inside strings: escape it as Python's ensure_ascii does.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    Ok(out)
}

/// The cache without every entry of `home_account_id`, when it holds one of `secrets`;
/// `Ok(None)` when the account's tokens are no longer there.
fn without_account(
    text: &str,
    home_account_id: &str,
    secrets: &[&str],
) -> Result<Option<String>, String> {
    let mut cache = parse_cache(text)?;
    let holds = accounts(&cache).iter().any(|(h, _, tokens)| {
        h == home_account_id && tokens.iter().any(|(_, s)| secrets.contains(&s.as_str()))
    });
    if !holds {
        return Ok(None);
    }
    for map in ACCOUNT_MAPS {
        if let Some(Value::Object(m)) = cache.get_mut(*map) {
            m.retain(|_, e| str_at(e, "home_account_id") != Some(home_account_id));
        }
    }
    to_msal_json(&Value::Object(cache)).map(Some)
}

impl Tool for Az {
    fn id(&self) -> ToolId {
        ToolId::Az
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let dir = config_dir(env);
        let path = dir.join(CACHE);
        let text = match read_store(ToolId::Az, &path) {
            Ok(Some(t)) => t,
            Ok(None) => {
                let bin = dir.join("msal_token_cache.bin");
                if bin.is_file() {
                    out.problems.push(StoreProblem {
                        tool: ToolId::Az,
                        store: bin.display().to_string(),
                        reason: "the token cache is encrypted (encrypt_token_cache); Signoff does not read it".into(),
                    });
                }
                return out;
            }
            Err(p) => {
                out.problems.push(p);
                return out;
            }
        };
        if text.trim().is_empty() {
            return out;
        }
        let cache = match parse_cache(&text) {
            Ok(c) => c,
            Err(why) => {
                out.problems.push(unparsable(ToolId::Az, &path, why));
                return out;
            }
        };
        let usernames: Vec<(&str, &str)> = entries(&cache, "Account")
            .into_iter()
            .filter_map(|(_, a)| Some((str_at(a, "home_account_id")?, str_at(a, "username")?)))
            .collect();
        for (hid, environment, mut tokens) in accounts(&cache) {
            if tokens.is_empty() {
                continue;
            }
            let (kind, secret) = tokens.remove(0);
            out.sightings.push(Sighting {
                client_secret: None,
                tool: ToolId::Az,
                place: Place::File {
                    path: path.clone(),
                    entry: format!("{ENTRY_PREFIX}{hid}"),
                },
                user: usernames
                    .iter()
                    .find(|(h, _)| *h == hid)
                    .map(|(_, u)| (*u).to_owned()),
                host: environment,
                secret: SecretString::new(secret),
                kind,
                also: tokens
                    .into_iter()
                    .map(|(k, s)| (k, SecretString::new(s)))
                    .collect(),
                revoker: Revoker::local_only(WHY, Some(PAGE)),
            });
        }
        out
    }

    fn remove(
        &self,
        env: &Env,
        place: &Place,
        secrets: &[&SecretString],
    ) -> Result<Removed, EditError> {
        let hid = match place {
            Place::File { entry, .. } => entry.strip_prefix(ENTRY_PREFIX),
            _ => None,
        };
        let Some(hid) = hid else {
            return Err(EditError::Unsupported {
                path: place.path().map(PathBuf::from).unwrap_or_default(),
                reason: "not an Azure CLI token cache entry".into(),
            });
        };
        remove_in_file(env, ToolId::Az, place, secrets, |text| {
            let plain = super::exposed(secrets);
            without_account(text, hid, &plain).map(|o| o.map(Into::into))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    const ALICE: &str = "a1.t1";
    const BOB: &str = "b2.t1";

    fn cache() -> String {
        let mut c = serde_json::json!({
            "AccessToken": {}, "RefreshToken": {}, "IdToken": {}, "Account": {},
            "AppMetadata": {"appmetadata-login.microsoftonline.com-04b07795-8ddb-461a-bbee-02f9e1bf7b46": {"client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "environment": "login.microsoftonline.com", "family_id": "1"}}
        });
        for (hid, user) in [(ALICE, "alice@contoso.com"), (BOB, "bób@contoso.com")] {
            let env = "login.microsoftonline.com";
            c["RefreshToken"]
                [format!("{hid}-{env}-refreshtoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46--")] = serde_json::json!({"credential_type": "RefreshToken", "secret": format!("rt-{hid}"), "home_account_id": hid, "environment": env, "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "target": "", "family_id": "1"});
            c["AccessToken"][format!(
                "{hid}-{env}-accesstoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46-t1-https://management.core.windows.net//.default"
            )] = serde_json::json!({"credential_type": "AccessToken", "secret": format!("at-{hid}"), "home_account_id": hid, "environment": env, "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "target": "https://management.core.windows.net//.default", "realm": "t1", "token_type": "Bearer", "cached_at": "1764600000", "expires_on": "1764603600", "extended_expires_on": "1764603600"});
            c["IdToken"][format!("{hid}-{env}-idtoken-04b07795-8ddb-461a-bbee-02f9e1bf7b46-t1-")] = serde_json::json!({"credential_type": "IdToken", "secret": format!("idt-{hid}"), "home_account_id": hid, "environment": env, "realm": "t1", "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"});
            c["Account"][format!("{hid}-{env}-t1")] = serde_json::json!({"home_account_id": hid, "environment": env, "realm": "t1", "local_account_id": "a1", "username": user, "authority_type": "MSSTS"});
        }
        to_msal_json(&c).unwrap()
    }

    #[test]
    fn one_session_per_account_with_its_tokens() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".azure/msal_token_cache.json", &cache(), 0o600);
        let found = scan_ok(&Az, &env(home.path(), &[]));
        assert_eq!(found.len(), 2);
        let a = &found[0];
        assert_eq!(a.secret.expose_secret(), "rt-a1.t1");
        assert_eq!(a.kind, TokenKind::RefreshToken);
        assert_eq!(a.user.as_deref(), Some("alice@contoso.com"));
        assert_eq!(a.host.as_deref(), Some("login.microsoftonline.com"));
        assert_eq!(a.also.len(), 2);
        assert!(!a.revoker.can_revoke());
        assert_eq!(found[1].user.as_deref(), Some("bób@contoso.com"));
    }

    #[test]
    fn removing_an_account_keeps_the_other_the_format_and_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let d = home.path().join("az");
        let p = write(home.path(), "az/msal_token_cache.json", &cache(), 0o600);
        let e = env(home.path(), &[("AZURE_CONFIG_DIR", d.to_str().unwrap())]);
        let found = scan_ok(&Az, &e);
        let a = &found[0];
        let secrets: Vec<&SecretString> = std::iter::once(&a.secret)
            .chain(a.also.iter().map(|(_, s)| s))
            .collect();
        let r = Az.remove(&e, &a.place, &secrets).unwrap();
        assert!(r.was_there);
        let after = std::fs::read_to_string(&p).unwrap();
        assert!(!after.contains(ALICE) && after.contains("rt-b2.t1"));
        assert!(
            after.contains("b\\u00f3b@contoso.com"),
            "ASCII only, as MSAL writes it"
        );
        assert!(after.starts_with("{\n    \"AccessToken\": {\n        \""));
        assert!(after.contains("AppMetadata"));
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let backup = std::fs::read_to_string(r.backup.unwrap()).unwrap();
        for s in ["rt-a1.t1", "at-a1.t1", "idt-a1.t1"] {
            assert!(!backup.contains(s), "{s}");
        }
        let left = scan_ok(&Az, &e);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].user.as_deref(), Some("bób@contoso.com"));
        assert!(!Az.remove(&e, &a.place, &secrets).unwrap().was_there);
    }

    #[test]
    fn an_unparsable_cache_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        for text in ["{\"RefreshToken\": {", "{\"RefreshToken\": []}"] {
            let p = write(home.path(), ".azure/msal_token_cache.json", text, 0o600);
            let s = Az.scan(&env(home.path(), &[]));
            assert!(s.sightings.is_empty());
            assert_eq!(s.problems.len(), 1);
            assert_eq!(std::fs::read_to_string(p).unwrap(), text);
        }
    }
}
