//! The AWS CLI:
//! - IAM Identity Center (SSO) tokens in `~/.aws/sso/cache/<sha1>.json` (the folder is fixed:
//!   it does not follow `AWS_CONFIG_FILE`), JSON with `accessToken`, `startUrl`, `region`,
//!   `expiresAt` (and for `sso-session` tokens `refreshToken`, `clientId`, `clientSecret`).
//!   Files with a client registration but no `accessToken` are not sessions. Signed out with
//!   the `aws-sso` profile at the token's own region (`portal.sso.<region>.amazonaws.com`,
//!   passed as the profile's `base_url`); removed by deleting that one file, as
//!   `aws sso logout` does, its backup blanking the access and refresh tokens and the client
//!   secret.
//! - Static keys in `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials` (INI,
//!   `[<profile>] aws_access_key_id / aws_secret_access_key [/ aws_session_token]`): nothing in
//!   the catalogue deletes an IAM access key (that is IAM's signed `DeleteAccessKey`), so they
//!   are local only; removed by deleting those key lines of that profile's section.
//!
//! Left alone: the role credentials `aws sso logout` also deletes from `~/.aws/cli/cache/*.json`
//! (`"ProviderType": "sso"`). They are other secrets (temporary role keys), and they do not
//! say which SSO session they came from, so they are neither copies of a session nor
//! attributable to one; they expire on their own. `~/.aws/config` holds no secret.
//!
//! Sources: botocore `tokens.py` (`SSOTokenProvider`), `utils.py` (`SSOTokenLoader`,
//! `JSONFileCache`); aws-cli `awscli/customizations/sso/logout.py`, `configure/set.py`; see
//! docs/found-sessions.md (aws).

use std::path::PathBuf;

use serde_json::Value;
use url::Url;

use super::{read_or_report, read_store, remove_in_file, unparsable};
use crate::found::edit::{self, EditError};
use crate::found::{Env, Place, Removed, Revoker, Sighting, Tool, ToolId, ToolScan, lines};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Aws;

const KEYS_WHY: &str = "IAM access keys are deleted in the IAM console (or with aws iam delete-access-key); Signoff only removes the copy on this computer";
const KEYS_PAGE: &str = "https://console.aws.amazon.com/iam/home#/security_credentials";
/// The key lines `aws configure set` writes to the credentials file.
const KEY_LINES: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

impl Aws {
    fn sso_cache(env: &Env) -> PathBuf {
        env.in_home(".aws/sso/cache")
    }

    fn credentials_file(env: &Env) -> PathBuf {
        env.var("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| env.in_home(".aws/credentials"))
    }
}

/// A region name as AWS writes them (`us-east-1`, `eu-central-2`): only then is it put in a
/// host name.
fn valid_region(r: &str) -> bool {
    r.len() <= 32
        && r.starts_with(|c: char| c.is_ascii_lowercase())
        && r.ends_with(|c: char| c.is_ascii_digit())
        && r.contains('-')
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The `aws-sso` profile at the token's region.
fn sso_revoker(region: Option<&str>) -> Revoker {
    match region
        .filter(|r| valid_region(r))
        .and_then(|r| Url::parse(&format!("https://portal.sso.{r}.amazonaws.com")).ok())
    {
        Some(base_url) => Revoker::Profile {
            profile: "aws-sso".into(),
            base_url: Some(base_url),
            client: None,
        },
        None => Revoker::local_only(
            "the cached token does not name its AWS region, so where to sign it out is unknown",
            None,
        ),
    }
}

/// `key = value` of an INI line, trimmed; `None` for comments and section headers.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let l = line.trim();
    if l.starts_with(['#', ';', '[']) {
        return None;
    }
    let (k, v) = l.split_once('=')?;
    Some((k.trim(), v.trim()))
}

/// The name of a `[section]` header line.
fn section(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix('[')
        .and_then(|s| s.split_once(']'))
        .map(|(s, _)| s.trim())
}

/// A profile's key lines as read so far.
#[derive(Default)]
struct KeySection {
    name: String,
    id: Option<String>,
    secret: Option<String>,
    token: Option<String>,
}

/// `(profile, secret access key, session token)` of every profile with a key pair.
fn static_keys(text: &str) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    let mut current: Option<KeySection> = None;
    let flush = |c: Option<KeySection>, out: &mut Vec<_>| {
        if let Some(KeySection {
            name,
            id: Some(_),
            secret: Some(secret),
            token,
        }) = c
        {
            out.push((name, secret, token));
        }
    };
    for line in text.lines() {
        if let Some(s) = section(line) {
            flush(current.take(), &mut out);
            current = Some(KeySection {
                name: s.to_owned(),
                ..KeySection::default()
            });
            continue;
        }
        let (Some(c), Some((k, v))) = (current.as_mut(), key_value(line)) else {
            continue;
        };
        let v = (!v.is_empty()).then(|| v.to_owned());
        match k {
            "aws_access_key_id" => c.id = v,
            "aws_secret_access_key" => c.secret = v,
            "aws_session_token" | "aws_security_token" => c.token = c.token.take().or(v),
            _ => {}
        }
    }
    flush(current, &mut out);
    out
}

fn str_at<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

const PROFILE_PREFIX: &str = "profile ";

impl Tool for Aws {
    fn id(&self) -> ToolId {
        ToolId::Aws
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let dir = Self::sso_cache(env);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for path in files {
            let Some(text) = read_or_report(ToolId::Aws, &path, &mut out.problems) else {
                continue;
            };
            let json: Value = match serde_json::from_str(&text) {
                Ok(j @ Value::Object(_)) => j,
                _ => {
                    out.problems
                        .push(unparsable(ToolId::Aws, &path, "not a JSON object"));
                    continue;
                }
            };
            // A client registration (clientId/clientSecret only) is not a session.
            let Some(token) = str_at(&json, "accessToken") else {
                continue;
            };
            let host = str_at(&json, "startUrl")
                .and_then(|u| Url::parse(u).ok())
                .and_then(|u| u.host_str().map(str::to_owned));
            let also = str_at(&json, "refreshToken")
                .map(|r| vec![(TokenKind::RefreshToken, SecretString::new(r.to_owned()))])
                .unwrap_or_default();
            out.sightings.push(Sighting {
                client_secret: None,
                tool: ToolId::Aws,
                place: Place::File {
                    path: path.clone(),
                    entry: "the whole file".into(),
                },
                user: None,
                host,
                secret: SecretString::new(token.to_owned()),
                kind: TokenKind::AccessToken,
                also,
                revoker: sso_revoker(str_at(&json, "region")),
            });
        }

        let path = Self::credentials_file(env);
        match read_store(ToolId::Aws, &path) {
            Ok(None) => {}
            Err(p) => out.problems.push(p),
            Ok(Some(text)) => {
                for (profile, secret, token) in static_keys(&text) {
                    out.sightings.push(Sighting {
                        client_secret: None,
                        tool: ToolId::Aws,
                        place: Place::File {
                            path: path.clone(),
                            entry: format!("{PROFILE_PREFIX}{profile}"),
                        },
                        user: Some(profile),
                        host: None,
                        secret: SecretString::new(secret),
                        kind: TokenKind::AccessToken,
                        also: token
                            .map(|t| vec![(TokenKind::AccessToken, SecretString::new(t))])
                            .unwrap_or_default(),
                        revoker: Revoker::local_only(KEYS_WHY, Some(KEYS_PAGE)),
                    });
                }
            }
        }
        out
    }

    fn remove(
        &self,
        env: &Env,
        place: &Place,
        secrets: &[&SecretString],
    ) -> Result<Removed, EditError> {
        let Place::File { path, entry } = place else {
            return Err(EditError::Unsupported {
                path: PathBuf::new(),
                reason: "not a file".into(),
            });
        };
        if let Some(profile) = entry.strip_prefix(PROFILE_PREFIX) {
            return remove_in_file(env, ToolId::Aws, place, secrets, |text| {
                Ok(remove_keys(text, profile, secrets).map(Into::into))
            });
        }
        // The SSO token file: deleted whole when it still holds the session's token; the
        // backup blanks the client secret too.
        let extra: Vec<SecretString> = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .map(|j| {
                ["clientSecret", "refreshToken"]
                    .iter()
                    .filter_map(|k| str_at(&j, k))
                    .map(|s| SecretString::new(s.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let all: Vec<&SecretString> = secrets.iter().copied().chain(extra.iter()).collect();
        let holds = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|j| str_at(&j, "accessToken").map(str::to_owned))
            .is_some_and(|t| secrets.iter().any(|s| s.expose_secret() == t));
        if !holds {
            return Ok(Removed {
                place: place.clone(),
                backup: None,
                was_there: false,
            });
        }
        edit::delete_file(place, &env.backups, ToolId::Aws.as_str(), &all)
    }
}

/// The credentials file without the key lines of `[profile]`, when its secret key is one of
/// `secrets`; `None` otherwise.
fn remove_keys(text: &str, profile: &str, secrets: &[&SecretString]) -> Option<String> {
    let holds = static_keys(text)
        .iter()
        .any(|(p, s, _)| p == profile && secrets.iter().any(|x| x.expose_secret() == s));
    if !holds {
        return None;
    }
    let mut inside = false;
    lines::remove_lines(text, |line| {
        if let Some(s) = section(line) {
            inside = s == profile;
            return false;
        }
        inside && key_value(line).is_some_and(|(k, _)| KEY_LINES.contains(&k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};
    use std::os::unix::fs::PermissionsExt;

    const SSO_A: &str = r#"{"startUrl": "https://acme.awsapps.com/start", "region": "eu-west-1", "accessToken": "aoaAAAA-access", "expiresAt": "2026-12-01T18:00:00Z", "clientId": "cid", "clientSecret": "csecret-a", "registrationExpiresAt": "2027-03-01T00:00:00Z", "refreshToken": "aorAAAA-refresh"}"#;
    const SSO_B: &str = r#"{"startUrl": "https://other.awsapps.com/start", "region": "us-east-1", "accessToken": "aoaBBBB-access", "expiresAt": "2026-12-01T18:00:00Z"}"#;
    const REGISTRATION: &str = r#"{"clientId": "cid", "clientSecret": "csecret-r", "expiresAt": "2027-03-01T00:00:00Z", "scopes": ["sso:account:access"]}"#;
    const CREDS: &str = "# keys\n[default]\naws_access_key_id = AKIAAAAA\naws_secret_access_key = secretAAAA\nregion = eu-west-1\n\n[work]\naws_access_key_id=ASIABBBB\naws_secret_access_key=secretBBBB\naws_session_token=tokenBBBB\n";

    #[test]
    fn sso_tokens_and_static_keys() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".aws/sso/cache/aaaa.json", SSO_A, 0o600);
        write(home.path(), ".aws/sso/cache/bbbb.json", SSO_B, 0o600);
        write(home.path(), ".aws/sso/cache/cccc.json", REGISTRATION, 0o600);
        write(home.path(), ".aws/credentials", CREDS, 0o600);
        let found = scan_ok(&Aws, &env(home.path(), &[]));
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].secret.expose_secret(), "aoaAAAA-access");
        assert_eq!(found[0].kind, TokenKind::AccessToken);
        assert_eq!(found[0].host.as_deref(), Some("acme.awsapps.com"));
        assert_eq!(found[0].user, None);
        assert_eq!(found[0].also.len(), 1);
        let Revoker::Profile {
            profile, base_url, ..
        } = &found[0].revoker
        else {
            panic!("{:?}", found[0].revoker)
        };
        assert_eq!(profile, "aws-sso");
        let p = found[0]
            .revoker
            .resolve(crate::profile::ProfileSet::builtin())
            .unwrap()
            .unwrap();
        assert_eq!(p.base_url.as_ref(), base_url.as_ref());
        assert_eq!(
            p.base_url.unwrap().as_str(),
            "https://portal.sso.eu-west-1.amazonaws.com/"
        );
        assert!(p.incomplete.is_none(), "{:?}", p.incomplete);
        assert_eq!(found[2].user.as_deref(), Some("default"));
        assert_eq!(found[2].secret.expose_secret(), "secretAAAA");
        assert!(!found[2].revoker.can_revoke());
        assert_eq!(found[3].user.as_deref(), Some("work"));
        assert_eq!(found[3].also[0].1.expose_secret(), "tokenBBBB");
    }

    #[test]
    fn a_region_that_is_not_one_is_not_put_in_a_host_name() {
        assert!(!sso_revoker(Some("evil.example.com/x")).can_revoke());
        assert!(!sso_revoker(None).can_revoke());
        assert!(sso_revoker(Some("ap-southeast-2")).can_revoke());
    }

    #[test]
    fn removing_an_sso_token_deletes_its_file_only() {
        let home = tempfile::tempdir().unwrap();
        let a = write(home.path(), ".aws/sso/cache/aaaa.json", SSO_A, 0o600);
        let b = write(home.path(), ".aws/sso/cache/bbbb.json", SSO_B, 0o600);
        let e = env(home.path(), &[]);
        let found = scan_ok(&Aws, &e);
        let secrets: Vec<&SecretString> = std::iter::once(&found[0].secret)
            .chain(found[0].also.iter().map(|(_, s)| s))
            .collect();
        // Another session's secret does not delete this file.
        assert!(
            !Aws.remove(&e, &found[0].place, &[&found[1].secret])
                .unwrap()
                .was_there
        );
        let r = Aws.remove(&e, &found[0].place, &secrets).unwrap();
        assert!(r.was_there && !a.exists() && b.exists());
        let backup = std::fs::read_to_string(r.backup.unwrap()).unwrap();
        for s in ["aoaAAAA-access", "aorAAAA-refresh", "csecret-a"] {
            assert!(!backup.contains(s), "{s}");
        }
        assert!(backup.contains("acme.awsapps.com"));
    }

    #[test]
    fn removing_static_keys_keeps_the_other_profile_and_the_mode() {
        let home = tempfile::tempdir().unwrap();
        let p = write(home.path(), "creds", CREDS, 0o640);
        let e = env(
            home.path(),
            &[("AWS_SHARED_CREDENTIALS_FILE", p.to_str().unwrap())],
        );
        let found = scan_ok(&Aws, &e);
        assert_eq!(found.len(), 2);
        let work = &found[1];
        let secrets: Vec<&SecretString> = std::iter::once(&work.secret)
            .chain(work.also.iter().map(|(_, s)| s))
            .collect();
        let r = Aws.remove(&e, &work.place, &secrets).unwrap();
        assert!(r.was_there);
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "# keys\n[default]\naws_access_key_id = AKIAAAAA\naws_secret_access_key = secretAAAA\nregion = eu-west-1\n\n[work]\n"
        );
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let backup = std::fs::read_to_string(r.backup.unwrap()).unwrap();
        assert!(!backup.contains("secretBBBB") && !backup.contains("tokenBBBB"));
        assert!(
            backup.contains("secretAAAA"),
            "the other profile's key is not this session's"
        );
    }

    #[test]
    fn an_unparsable_token_file_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        let p = write(
            home.path(),
            ".aws/sso/cache/x.json",
            "{\"accessToken\": ",
            0o600,
        );
        let s = Aws.scan(&env(home.path(), &[]));
        assert!(s.sightings.is_empty());
        assert_eq!(s.problems.len(), 1);
        assert_eq!(std::fs::read_to_string(p).unwrap(), "{\"accessToken\": ");
    }
}
