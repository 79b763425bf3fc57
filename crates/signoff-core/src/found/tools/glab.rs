//! The GitLab CLI (`glab`): `config.yml` in `$GLAB_CONFIG_DIR`, else the legacy
//! `~/.config/glab-cli/` when that file exists, else `$XDG_CONFIG_HOME/glab-cli/`. Per host
//! `hosts.<host>.token` (a personal access token, or with `is_oauth2: true` an OAuth access
//! token beside its `oauth2_refresh_token`), `job_token`, `user`, and `api_protocol` /
//! `api_host` for the API's address. When `token` is empty glab reads the keyring item
//! `service=glab:<host>`, `username=""` (go-keyring: exactly those two attributes, the raw
//! token as secret); `glab auth logout` leaves that item behind, so Signoff removes it too.
//! Every token of a glab host is a GitLab token: it is revoked with the `gitlab` profile at
//! that host's API (a personal access token revokes itself; an OAuth token is revoked at
//! `/oauth/revoke` without glab's own client id, which the catalogue cannot pass yet, so GitLab
//! may refuse it as another client's). A CI job token ends with its job: local only.
//! Sources: gl-cli/glab `internal/config/config_file.go`, `internal/config/config.go`,
//! `internal/commands/auth/logout/logout.go`, `internal/commands/auth/login/login.go`; see
//! docs/found-sessions.md (glab).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_norway::Value;
use url::Url;

use super::{
    go_keyring_shaped, keyring_items, read_store, remove_in_file, remove_keyring_item, unparsable,
};
use crate::found::edit::EditError;
use crate::found::{Env, Place, Removed, Revoker, Sighting, Tool, ToolId, ToolScan, revoker, yaml};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Glab;

/// glab's default host.
const GITLAB_COM: &str = "gitlab.com";

impl Glab {
    fn config_file(env: &Env) -> PathBuf {
        if let Some(dir) = env.var("GLAB_CONFIG_DIR") {
            return PathBuf::from(dir).join("config.yml");
        }
        let legacy = env.in_home(".config/glab-cli/config.yml");
        if legacy.exists() {
            return legacy;
        }
        env.config_home().join("glab-cli").join("config.yml")
    }
}

/// The revoker of a token glab keeps for `host`: by its prefix when that names another
/// provider, else the `gitlab` profile at the host's API (`api_protocol://api_host`).
fn glab_revoker(host: &str, entry: Option<&Value>, token: &SecretString) -> Revoker {
    let by_prefix = revoker::for_host_token(Some(host), token);
    if by_prefix.can_revoke() && by_prefix.provider_id() != "gitlab" {
        return by_prefix;
    }
    let protocol = entry
        .and_then(|e| yaml::str_at(e, "api_protocol"))
        .filter(|p| matches!(*p, "https" | "http"))
        .unwrap_or("https");
    let api_host = entry
        .and_then(|e| yaml::str_at(e, "api_host"))
        .filter(|h| !h.is_empty())
        .unwrap_or(host);
    let base_url = Url::parse(&format!("{protocol}://{api_host}"))
        .ok()
        .filter(|u| u.host_str().is_some() && u.path() == "/" && u.username().is_empty());
    match base_url {
        Some(u) if u.as_str() == "https://gitlab.com/" => Revoker::profile("gitlab"),
        Some(u) => Revoker::Profile {
            profile: "gitlab".into(),
            base_url: Some(u),
            client: None,
        },
        None => Revoker::local_only(
            format!("glab's api_host for {host} is not a host name Signoff can call"),
            None,
        ),
    }
}

impl Tool for Glab {
    fn id(&self) -> ToolId {
        ToolId::Glab
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let path = Self::config_file(env);
        let tree = match read_store(ToolId::Glab, &path) {
            Ok(None) => Value::Null,
            Err(p) => {
                out.problems.push(p);
                return out;
            }
            Ok(Some(text)) => match yaml::parse(&text) {
                Ok(t @ (Value::Null | Value::Mapping(_))) => t,
                Ok(_) => {
                    out.problems
                        .push(unparsable(ToolId::Glab, &path, "not a mapping"));
                    return out;
                }
                Err(e) => {
                    out.problems.push(unparsable(ToolId::Glab, &path, e));
                    return out;
                }
            },
        };
        let hosts_tree = tree.get("hosts").cloned().unwrap_or(Value::Null);
        let mut hosts: Vec<(String, Option<Value>)> = Vec::new();
        for (host, entry) in yaml::entries(&hosts_tree) {
            hosts.push((host.to_owned(), Some(entry.clone())));
            let user = yaml::str_at(entry, "user").filter(|u| !u.is_empty());
            let nonempty = |k: &str| yaml::str_at(entry, k).filter(|t| !t.is_empty());
            let place = |key: &str| Place::File {
                path: path.clone(),
                entry: format!("hosts.{host}.{key}"),
            };
            if let Some(token) = nonempty("token") {
                let secret = SecretString::new(token.to_owned());
                let also = nonempty("oauth2_refresh_token")
                    .map(|r| vec![(TokenKind::RefreshToken, SecretString::new(r.to_owned()))])
                    .unwrap_or_default();
                out.sightings.push(Sighting {
                    client_secret: None,
                    tool: ToolId::Glab,
                    place: place("token"),
                    user: user.map(str::to_owned),
                    host: Some(host.to_owned()),
                    revoker: glab_revoker(host, Some(entry), &secret),
                    secret,
                    kind: TokenKind::AccessToken,
                    also,
                });
            }
            if let Some(token) = nonempty("job_token") {
                out.sightings.push(Sighting {
                    client_secret: None,
                    tool: ToolId::Glab,
                    place: place("job_token"),
                    user: user.map(str::to_owned),
                    host: Some(host.to_owned()),
                    revoker: Revoker::local_only(
                        "a CI job token ends when its job ends; GitLab has no call to revoke it",
                        None,
                    ),
                    secret: SecretString::new(token.to_owned()),
                    kind: TokenKind::AccessToken,
                    also: Vec::new(),
                });
            }
        }
        if !hosts.iter().any(|(h, _)| h == GITLAB_COM) {
            hosts.push((GITLAB_COM.to_owned(), None));
        }
        for (host, entry) in hosts {
            let service = format!("glab:{host}");
            let Some(items) = keyring_items(
                env,
                ToolId::Glab,
                &[("service", &service)],
                &service,
                &mut out.problems,
            ) else {
                break;
            };
            for item in items {
                if !go_keyring_shaped(&item) {
                    continue;
                }
                let Some(user) = item.attributes.get("username").cloned() else {
                    continue;
                };
                let login = entry
                    .as_ref()
                    .and_then(|e| yaml::str_at(e, "user"))
                    .filter(|u| !u.is_empty())
                    .map(str::to_owned);
                out.sightings.push(Sighting {
                    client_secret: None,
                    tool: ToolId::Glab,
                    place: Place::Keyring {
                        label: item.label.clone(),
                        attributes: BTreeMap::from([
                            ("service".to_owned(), service.clone()),
                            ("username".to_owned(), user),
                        ]),
                    },
                    user: login,
                    host: Some(host.clone()),
                    revoker: glab_revoker(&host, entry.as_ref(), &item.secret),
                    secret: item.secret,
                    kind: TokenKind::AccessToken,
                    also: Vec::new(),
                });
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
        match place {
            Place::Keyring { .. } => remove_keyring_item(env, place, secrets),
            _ => remove_in_file(env, ToolId::Glab, place, secrets, |text| {
                let plain = super::exposed(secrets);
                yaml::remove_entries(text, &plain).map(|o| o.map(Into::into))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    const CONFIG: &str = "# glab\ngit_protocol: ssh\nhosts:\n    gitlab.com:\n        token: glpat-one\n        api_host: gitlab.com\n        api_protocol: https\n        user: alice\n    git.corp.example:\n        token: oauth-access-two\n        is_oauth2: \"true\"\n        oauth2_refresh_token: oauth-refresh-two\n        oauth2_expiry_date: 01 Dec 26 18:00 UTC\n        api_host: api.git.corp.example\n        api_protocol: https\n        user: bob\n";

    #[test]
    fn reads_pats_and_oauth_tokens_per_host() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".config/glab-cli/config.yml", CONFIG, 0o600);
        let found = scan_ok(&Glab, &env(home.path(), &[]));
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].user.as_deref(), Some("alice"));
        assert_eq!(found[0].secret.expose_secret(), "glpat-one");
        assert_eq!(found[0].revoker, Revoker::profile("gitlab"));
        assert_eq!(found[1].user.as_deref(), Some("bob"));
        assert_eq!(found[1].host.as_deref(), Some("git.corp.example"));
        assert_eq!(found[1].also[0].0, TokenKind::RefreshToken);
        assert!(
            matches!(&found[1].revoker, Revoker::Profile { profile, base_url: Some(u), .. } if profile == "gitlab" && u.as_str() == "https://api.git.corp.example/"),
            "{:?}",
            found[1].revoker
        );
    }

    #[test]
    fn the_config_dir_follows_glab_s_order() {
        let home = tempfile::tempdir().unwrap();
        let xdg = home.path().join("xdg");
        write(
            home.path(),
            "xdg/glab-cli/config.yml",
            "hosts:\n    gitlab.com:\n        token: glpat-xdg\n",
            0o600,
        );
        let e = env(home.path(), &[("XDG_CONFIG_HOME", xdg.to_str().unwrap())]);
        assert_eq!(scan_ok(&Glab, &e)[0].secret.expose_secret(), "glpat-xdg");
        write(
            home.path(),
            ".config/glab-cli/config.yml",
            "hosts:\n    gitlab.com:\n        token: glpat-legacy\n",
            0o600,
        );
        assert_eq!(scan_ok(&Glab, &e)[0].secret.expose_secret(), "glpat-legacy");
        write(
            home.path(),
            "g/config.yml",
            "hosts:\n    gitlab.com:\n        token: glpat-dir\n",
            0o600,
        );
        let g = home.path().join("g");
        let e = env(home.path(), &[("GLAB_CONFIG_DIR", g.to_str().unwrap())]);
        assert_eq!(scan_ok(&Glab, &e)[0].secret.expose_secret(), "glpat-dir");
    }

    #[test]
    fn removing_an_oauth_session_keeps_the_other_host_and_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let p = write(home.path(), ".config/glab-cli/config.yml", CONFIG, 0o640);
        let e = env(home.path(), &[]);
        let found = scan_ok(&Glab, &e);
        let bob = &found[1];
        let secrets: Vec<&SecretString> = std::iter::once(&bob.secret)
            .chain(bob.also.iter().map(|(_, s)| s))
            .collect();
        let r = Glab.remove(&e, &bob.place, &secrets).unwrap();
        assert!(r.was_there);
        let after = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            after,
            CONFIG
                .replace("        token: oauth-access-two\n", "")
                .replace("        oauth2_refresh_token: oauth-refresh-two\n", "")
        );
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let backup = std::fs::read_to_string(r.backup.unwrap()).unwrap();
        assert!(!backup.contains("oauth-access-two") && !backup.contains("oauth-refresh-two"));
        let left = scan_ok(&Glab, &e);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].secret.expose_secret(), "glpat-one");
    }

    #[test]
    fn an_unparsable_file_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        let p = write(
            home.path(),
            ".config/glab-cli/config.yml",
            "hosts: [\n",
            0o600,
        );
        let s = Glab.scan(&env(home.path(), &[]));
        assert!(s.sightings.is_empty());
        assert_eq!(s.problems.len(), 1);
        assert_eq!(std::fs::read_to_string(p).unwrap(), "hosts: [\n");
    }
}
