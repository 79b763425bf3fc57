//! Git's credential helpers: `store` (`~/.git-credentials` and
//! `$XDG_CONFIG_HOME/git/credentials`, one `https://user:password@host` URL a line,
//! percent-encoded) and `libsecret` (items of schema `org.gnome.keyring.NetworkPassword` from
//! git ≤ 2.40, `org.git.Password` from later ones, attributes `user`, `server`, `protocol`; the
//! secret's first line is the password, later lines `key=value`).
//! Sources: git `credential-store.c`, `contrib/credential/libsecret/git-credential-libsecret.c`.
//!
//! Lines are removed by exact password, not through `git credential reject`: Debian 12's git
//! (2.39) erases every line of that user and host whatever its password (exact matching came
//! in 2.42), which would take other tokens with it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use url::Url;

use super::{keyring_items, read_or_report, remove_in_file, remove_keyring_item};
use crate::found::edit::EditError;
use crate::found::{Env, Place, Removed, Sighting, Tool, ToolId, ToolScan, lines, revoker};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Git;

/// The libsecret helper's schemas, old and new.
const SCHEMAS: &[&str] = &["org.gnome.keyring.NetworkPassword", "org.git.Password"];

impl Git {
    fn files(env: &Env) -> Vec<PathBuf> {
        vec![
            env.in_home(".git-credentials"),
            env.config_home().join("git").join("credentials"),
        ]
    }
}

/// A credential line's user, host and password (decoded), when it is one.
fn parse_line(line: &str) -> Option<(Option<String>, String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let url = Url::parse(line).ok()?;
    let password = url.password()?;
    let password = percent_decode_str(password)
        .decode_utf8()
        .ok()?
        .into_owned();
    let user = Some(
        percent_decode_str(url.username())
            .decode_utf8()
            .ok()?
            .into_owned(),
    )
    .filter(|u| !u.is_empty());
    let host = url.host_str()?.to_owned();
    Some((user, host, password))
}

impl Tool for Git {
    fn id(&self) -> ToolId {
        ToolId::Git
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        for path in Self::files(env) {
            let Some(text) = read_or_report(ToolId::Git, &path, &mut out.problems) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                let Some((user, host, password)) = parse_line(line) else {
                    continue;
                };
                let secret = SecretString::new(password);
                out.sightings.push(Sighting {
                    tool: ToolId::Git,
                    place: Place::File {
                        path: path.clone(),
                        entry: format!("{host}, line {}", n + 1),
                    },
                    revoker: revoker::for_host_token(Some(&host), &secret),
                    user,
                    host: Some(host),
                    secret,
                    kind: TokenKind::AccessToken,
                    also: Vec::new(),
                    client_secret: None,
                });
            }
        }
        for schema in SCHEMAS {
            let Some(items) = keyring_items(
                env,
                ToolId::Git,
                &[("xdg:schema", schema)],
                schema,
                &mut out.problems,
            ) else {
                break;
            };
            for item in items {
                // Only the git helper's items: they always name a protocol and a server.
                let (Some(host), Some(_)) = (
                    item.attributes.get("server"),
                    item.attributes.get("protocol"),
                ) else {
                    continue;
                };
                let password = item
                    .secret
                    .expose_secret()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if password.is_empty() {
                    continue;
                }
                let secret = SecretString::new(password);
                out.sightings.push(Sighting {
                    tool: ToolId::Git,
                    revoker: revoker::for_host_token(Some(host), &secret),
                    user: item.attributes.get("user").cloned(),
                    host: Some(host.clone()),
                    place: Place::Keyring {
                        label: item.label,
                        attributes: item.attributes.into_iter().collect::<BTreeMap<_, _>>(),
                    },
                    secret,
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
            _ => remove_in_file(env, ToolId::Git, place, secrets, |text| {
                let plain = super::exposed(secrets);
                Ok(lines::remove_lines(text, |line| {
                    parse_line(line).is_some_and(|(_, _, p)| plain.contains(&p.as_str()))
                })
                .map(|text| {
                    // The encoded form in the file is what the backup must blank.
                    let blank = plain
                        .iter()
                        .map(|p| {
                            percent_encoding::utf8_percent_encode(
                                p,
                                percent_encoding::NON_ALPHANUMERIC,
                            )
                            .to_string()
                        })
                        .collect();
                    crate::found::edit::Edited { text, blank }
                }))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    #[test]
    fn reads_both_files_and_removes_only_the_exact_line() {
        let home = tempfile::tempdir().unwrap();
        let p = write(
            home.path(),
            ".git-credentials",
            "https://octocat:gho_a%2Fb@github.com\nhttps://octocat:ghp_other@github.com\nhttps://me:pw@git.example.com:8443\n",
            0o600,
        );
        write(
            home.path(),
            ".config/git/credentials",
            "https://x:glpat-1@gitlab.com\n",
            0o600,
        );
        let e = env(home.path(), &[]);
        let found = scan_ok(&Git, &e);
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].secret.expose_secret(), "gho_a/b");
        assert_eq!(found[2].host.as_deref(), Some("git.example.com"));
        assert!(!found[2].revoker.can_revoke());
        assert_eq!(found[3].revoker.provider_id(), "gitlab");
        Git.remove(&e, &found[0].place, &[&found[0].secret])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "https://octocat:ghp_other@github.com\nhttps://me:pw@git.example.com:8443\n"
        );
    }
}
