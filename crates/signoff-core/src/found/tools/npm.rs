//! npm: the user config (`$NPM_CONFIG_USERCONFIG`, else `~/.npmrc`), INI lines
//! `//<registry>/:_authToken=<token>` (a `${VAR}` reference is not a token and is skipped).
//! The registry's scheme comes from a `registry=` or `@scope:registry=` line naming it, else
//! https. Source: npm/cli `lib/utils/config/definitions.js`, `@npmcli/config`'s `nerfDart`.

use std::path::PathBuf;

use url::Url;

use super::{read_or_report, remove_in_file};
use crate::found::edit::EditError;
use crate::found::{
    Env, Place, Removed, Revoker, Sighting, Tool, ToolId, ToolScan, lines, revoker,
};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Npm;

/// The public registry.
const NPMJS: &str = "registry.npmjs.org";

/// `key=value` of an INI line, trimmed, quotes removed from the value.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    if line.starts_with(['#', ';', '[']) {
        return None;
    }
    let (k, v) = line.split_once('=')?;
    let v = v.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    Some((k.trim(), v))
}

/// The nerf dart (`//host/path/`) of a `_authToken` key.
fn token_registry(key: &str) -> Option<&str> {
    key.strip_suffix(":_authToken")
        .filter(|r| r.starts_with("//"))
}

/// `//host[:port]/path/` of a registry URL, as npm's `nerfDart` writes it.
fn nerf_dart(url: &Url) -> String {
    let mut path = url.path().to_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    match url.port() {
        Some(p) => format!("//{}:{p}{path}", url.host_str().unwrap_or_default()),
        None => format!("//{}{path}", url.host_str().unwrap_or_default()),
    }
}

impl Npm {
    fn user_config(env: &Env) -> PathBuf {
        env.var("NPM_CONFIG_USERCONFIG")
            .or_else(|| env.var("npm_config_userconfig"))
            .map(PathBuf::from)
            .unwrap_or_else(|| env.in_home(".npmrc"))
    }
}

impl Tool for Npm {
    fn id(&self) -> ToolId {
        ToolId::Npm
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let path = Self::user_config(env);
        let Some(text) = read_or_report(ToolId::Npm, &path, &mut out.problems) else {
            return out;
        };
        let registries: Vec<Url> = text
            .lines()
            .filter_map(key_value)
            .filter(|(k, _)| *k == "registry" || k.ends_with(":registry"))
            .filter_map(|(_, v)| Url::parse(v).ok())
            .collect();
        for (n, line) in text.lines().enumerate() {
            let Some((key, value)) = key_value(line) else {
                continue;
            };
            let Some(dart) = token_registry(key) else {
                continue;
            };
            if value.is_empty() || value.contains("${") {
                continue;
            }
            let url = registries
                .iter()
                .find(|u| nerf_dart(u) == dart)
                .cloned()
                .or_else(|| Url::parse(&format!("https:{dart}")).ok());
            let Some(url) = url else { continue };
            let host = url.host_str().unwrap_or_default().to_owned();
            let secret = SecretString::new(value.to_owned());
            let t = secret.expose_secret();
            let revoker = if t.starts_with("gh") || t.starts_with("glpat-") {
                // GitHub's and GitLab's package registries take the forge's own tokens.
                revoker::for_host_token(None, &secret)
            } else {
                let base = url.as_str().trim_end_matches('/').to_owned();
                Revoker::Profile {
                    profile: "npm".into(),
                    base_url: (host != NPMJS).then(|| Url::parse(&base).ok()).flatten(),
                    client: None,
                }
            };
            out.sightings.push(Sighting {
                tool: ToolId::Npm,
                place: Place::File {
                    path: path.clone(),
                    entry: format!("{dart}:_authToken, line {}", n + 1),
                },
                user: None,
                host: Some(match url.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                }),
                secret,
                kind: TokenKind::AccessToken,
                also: Vec::new(),
                client_secret: None,
                revoker,
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
        remove_in_file(env, ToolId::Npm, place, secrets, |text| {
            let plain = super::exposed(secrets);
            Ok(lines::remove_lines(text, |line| {
                key_value(line)
                    .is_some_and(|(k, v)| token_registry(k).is_some() && plain.contains(&v))
            })
            .map(Into::into))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    #[test]
    fn finds_tokens_per_registry_and_skips_references() {
        let home = tempfile::tempdir().unwrap();
        let p = write(
            home.path(),
            ".npmrc",
            "; mine\nregistry=http://127.0.0.1:4873/\n//127.0.0.1:4873/:_authToken=\"tok1\"\n//registry.npmjs.org/:_authToken=npm_abc\n//r.example/:_authToken=${NPM_TOKEN}\n",
            0o600,
        );
        let e = env(home.path(), &[]);
        let found = scan_ok(&Npm, &e);
        assert_eq!(found.len(), 2);
        assert!(
            matches!(&found[0].revoker, Revoker::Profile { base_url: Some(u), .. } if u.as_str() == "http://127.0.0.1:4873/")
        );
        assert_eq!(found[1].revoker, Revoker::profile("npm"));
        Npm.remove(&e, &found[0].place, &[&found[0].secret])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(p).unwrap(),
            "; mine\nregistry=http://127.0.0.1:4873/\n//registry.npmjs.org/:_authToken=npm_abc\n//r.example/:_authToken=${NPM_TOKEN}\n"
        );
    }
}
