//! The GitHub CLI (`gh`): `hosts.yml` in `$GH_CONFIG_DIR` (else `$XDG_CONFIG_HOME/gh`, else
//! `~/.config/gh`), in each of its three formats — gh ≤ 2.23 (Debian 12) keeps
//! `<host>.oauth_token` in the file; gh ≥ 2.24 keeps it in the keyring (service `gh:<host>`,
//! `username` = the login, and `username=""` for the active account) unless stored insecurely;
//! gh ≥ 2.40 adds `<host>.users.<login>` for several accounts per host.
//! Sources: cli/cli `internal/config/config.go`, `internal/keyring/keyring.go`.

use std::path::PathBuf;

use serde_norway::Value;

use super::{
    go_keyring_shaped, keyring_items, read_or_report, remove_in_file, remove_keyring_item,
    unparsable,
};
use crate::found::edit::EditError;
use crate::found::{Env, Place, Removed, Sighting, Tool, ToolId, ToolScan, revoker, yaml};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Gh;

impl Gh {
    fn hosts_file(env: &Env) -> PathBuf {
        let dir = env
            .var("GH_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| env.config_home().join("gh"));
        dir.join("hosts.yml")
    }
}

impl Tool for Gh {
    fn id(&self) -> ToolId {
        ToolId::Gh
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let path = Self::hosts_file(env);
        let Some(text) = read_or_report(ToolId::Gh, &path, &mut out.problems) else {
            return out;
        };
        let tree = match yaml::parse(&text) {
            Ok(Value::Null) => return out,
            Ok(t) if t.is_mapping() => t,
            Ok(_) => {
                out.problems
                    .push(unparsable(ToolId::Gh, &path, "not a mapping of hosts"));
                return out;
            }
            Err(e) => {
                out.problems.push(unparsable(ToolId::Gh, &path, e));
                return out;
            }
        };
        let mut sight = |host: &str, user: Option<&str>, token: &str, place: Place| {
            let secret = SecretString::new(token.to_owned());
            out.sightings.push(Sighting {
                tool: ToolId::Gh,
                place,
                user: user.map(str::to_owned),
                host: Some(host.to_owned()),
                revoker: revoker::for_host_token(Some(host), &secret),
                secret,
                kind: TokenKind::AccessToken,
                also: Vec::new(),
                client_secret: None,
            });
        };
        let mut hosts = Vec::new();
        for (host, entry) in yaml::entries(&tree) {
            let active = yaml::str_at(entry, "user");
            hosts.push((host.to_owned(), active.map(str::to_owned)));
            if let Some(token) = yaml::str_at(entry, "oauth_token").filter(|t| !t.is_empty()) {
                let place = Place::File {
                    path: path.clone(),
                    entry: format!("{host}.oauth_token"),
                };
                sight(host, active, token, place);
            }
            if let Some(users) = entry.get("users") {
                for (login, u) in yaml::entries(users) {
                    if let Some(token) = yaml::str_at(u, "oauth_token").filter(|t| !t.is_empty()) {
                        let place = Place::File {
                            path: path.clone(),
                            entry: format!("{host}.users.{login}.oauth_token"),
                        };
                        sight(host, Some(login), token, place);
                    }
                }
            }
        }
        if hosts.is_empty() {
            return out;
        }
        for (host, active) in hosts {
            let service = format!("gh:{host}");
            let Some(items) = keyring_items(
                env,
                ToolId::Gh,
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
                let login = if user.is_empty() {
                    active.clone()
                } else {
                    Some(user.clone())
                };
                let place = Place::Keyring {
                    label: item.label.clone(),
                    attributes: item.attributes.clone(),
                };
                out.sightings.push(Sighting {
                    tool: ToolId::Gh,
                    place,
                    user: login,
                    host: Some(host.clone()),
                    revoker: revoker::for_host_token(Some(&host), &item.secret),
                    secret: item.secret,
                    kind: TokenKind::AccessToken,
                    also: Vec::new(),
                    client_secret: None,
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
            _ => remove_in_file(env, ToolId::Gh, place, secrets, |text| {
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

    #[test]
    fn reads_the_debian_format_and_the_multi_account_one() {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            ".config/gh/hosts.yml",
            "github.com:\n    user: octocat\n    oauth_token: gho_one\n    git_protocol: https\nghe.corp:\n    user: mona\n    users:\n        mona:\n            oauth_token: ghp_two\n",
            0o600,
        );
        let e = env(home.path(), &[]);
        let found = scan_ok(&Gh, &e);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].user.as_deref(), Some("octocat"));
        assert_eq!(found[0].host.as_deref(), Some("github.com"));
        assert_eq!(found[0].secret.expose_secret(), "gho_one");
        assert_eq!(found[1].user.as_deref(), Some("mona"));
        assert!(
            matches!(&found[1].revoker, crate::found::Revoker::Profile { base_url: Some(u), .. } if u.as_str() == "https://ghe.corp/api/v3")
        );
    }

    #[test]
    fn removing_keeps_the_rest_and_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let p = write(
            home.path(),
            "gh/hosts.yml",
            "# mine\ngithub.com:\n    user: octocat\n    oauth_token: gho_one\n    git_protocol: ssh\n",
            0o640,
        );
        let e = env(
            home.path(),
            &[("GH_CONFIG_DIR", home.path().join("gh").to_str().unwrap())],
        );
        let found = scan_ok(&Gh, &e);
        let removed = Gh.remove(&e, &found[0].place, &[&found[0].secret]).unwrap();
        assert!(removed.was_there);
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "# mine\ngithub.com:\n    user: octocat\n    git_protocol: ssh\n"
        );
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let backup = std::fs::read_to_string(removed.backup.unwrap()).unwrap();
        assert!(!backup.contains("gho_one"));
        assert!(backup.contains("oauth_token: REMOVED-BY-SIGNOFF"));
        assert!(scan_ok(&Gh, &e).is_empty());
    }

    #[test]
    fn an_unparsable_file_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        let p = write(
            home.path(),
            ".config/gh/hosts.yml",
            "github.com: [\n",
            0o600,
        );
        let s = Gh.scan(&env(home.path(), &[]));
        assert!(s.sightings.is_empty());
        assert_eq!(s.problems.len(), 1);
        assert_eq!(std::fs::read_to_string(p).unwrap(), "github.com: [\n");
    }
}
