//! Kubernetes' kubectl: every kubeconfig file of `$KUBECONFIG` (`:`-separated, empty entries
//! ignored), else `~/.kube/config` — each file on its own, since a user shadowed by an earlier
//! file is still a secret on disk. In `users[].user`: the `oidc` auth provider's
//! `config.{idp-issuer-url, client-id, client-secret, refresh-token, id-token}` (one session:
//! the refresh token, its ID token beside it) and static bearer `token`s. Also kubelogin's token
//! cache, `~/.kube/cache/oidc-login/*` (`$KUBECACHEDIR/oidc-login`): one JSON file
//! `{"id_token", "refresh_token"}` per login, named by a hash, so the issuer and client come
//! from the ID token's own `iss` and `azp`/`aud` claims (read unverified: the cache is this
//! person's own) and the client secret from the kubeconfig's
//! `kubectl oidc-login get-token --oidc-issuer-url=… --oidc-client-id=… --oidc-client-secret=…`
//! exec entry when one matches.
//! Sources: kubernetes/client-go `plugin/pkg/client/auth/oidc/oidc.go`,
//! `tools/clientcmd/config.go`, `kubectl config --help`; int128/kubelogin's token cache as
//! docs/found-sessions.md records it.
//!
//! Removal deletes the token lines of that user (`refresh-token`, `id-token`, `token`) and keeps
//! everything else — the issuer, the client id and secret (the app's, not the session's), other
//! users, contexts and comments — so the person can log in again; a kubelogin cache file holds
//! nothing but the session and is deleted.

use std::path::{Path, PathBuf};

use serde_norway::Value;
use url::Url;

use super::{read_or_report, remove_in_file, unparsable};
use crate::found::edit::{self, EditError};
use crate::found::{
    Env, Place, Removed, Revoker, Sighting, StoreProblem, Tool, ToolId, ToolScan, yaml,
};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Kubectl;

/// The entry of a kubelogin cache file's place: the file is the session.
const CACHE_ENTRY: &str = "the whole file (kubelogin's token cache)";

impl Kubectl {
    /// The kubeconfig files, as kubectl merges them.
    fn kubeconfigs(env: &Env) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for p in env.var("KUBECONFIG").unwrap_or_default().split(':') {
            let p = PathBuf::from(p);
            if !p.as_os_str().is_empty() && !out.contains(&p) {
                out.push(p);
            }
        }
        if out.is_empty() {
            out.push(env.in_home(".kube/config"));
        }
        out
    }

    /// kubelogin's token cache folder.
    fn cache_dir(env: &Env) -> PathBuf {
        env.var("KUBECACHEDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| env.in_home(".kube/cache"))
            .join("oidc-login")
    }
}

/// Who an ID token names (`email`, else `preferred_username`, else `sub`), when it is a JWT.
/// Read without checking the signature: only to show whose session it is.
fn token_user(id_token: &str) -> Option<String> {
    let claims = crate::jwt::unverified_claims(id_token)?;
    ["email", "preferred_username", "sub"].iter().find_map(|k| {
        claims
            .get(*k)?
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}

/// A non-empty string at `key`.
fn non_empty<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    yaml::str_at(v, key).filter(|s| !s.is_empty())
}

/// The `name`d items of a kubeconfig list (`users`, `clusters`, `contexts`) with the mapping
/// under `body` (`user`, `cluster`, `context`).
fn named<'a>(tree: &'a Value, list: &str, body: &str) -> Vec<(&'a str, &'a Value)> {
    tree.get(list)
        .and_then(Value::as_sequence)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((non_empty(i, "name")?, i.get(body)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// An OpenID client kubelogin is configured with in a kubeconfig `exec` entry.
struct ExecClient {
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
}

/// The client of a kubelogin `exec` entry (`kubectl oidc-login get-token …` or
/// `kubelogin get-token …`), from its `--oidc-*` arguments (`--flag=value` or `--flag value`).
fn exec_client(user: &Value) -> Option<ExecClient> {
    let exec = user.get("exec")?;
    let args: Vec<&str> = exec
        .get("args")?
        .as_sequence()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !args.contains(&"get-token") {
        return None;
    }
    let arg = |flag: &str| -> Option<String> {
        args.iter().enumerate().find_map(|(i, a)| {
            if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                Some(v.to_owned())
            } else if *a == flag {
                args.get(i + 1).map(|v| (*v).to_owned())
            } else {
                None
            }
        })
    };
    Some(ExecClient {
        issuer: arg("--oidc-issuer-url")?,
        client_id: arg("--oidc-client-id")?,
        client_secret: arg("--oidc-client-secret").filter(|s| !s.is_empty()),
    })
}

/// Two issuer URLs that name the same issuer (a trailing `/` aside).
fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// A URL's host (and port, when it has one).
fn host_of(url: &Url) -> Option<String> {
    url.host_str()
        .map(|h| url.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
}

impl Tool for Kubectl {
    fn id(&self) -> ToolId {
        ToolId::Kubectl
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let mut files = Vec::new();
        for path in Self::kubeconfigs(env) {
            let Some(text) = read_or_report(ToolId::Kubectl, &path, &mut out.problems) else {
                continue;
            };
            match yaml::parse(&text) {
                Ok(Value::Null) => {}
                Ok(t) if t.is_mapping() => files.push((path, t)),
                Ok(_) => out.problems.push(unparsable(
                    ToolId::Kubectl,
                    &path,
                    "not a kubeconfig (a mapping of clusters, contexts and users)",
                )),
                Err(e) => out.problems.push(unparsable(ToolId::Kubectl, &path, e)),
            }
        }
        // The merged view: the first file to name a cluster or a user's context wins.
        let mut servers: Vec<(&str, &str)> = Vec::new();
        let mut contexts: Vec<(&str, &str)> = Vec::new();
        let mut clients = Vec::new();
        for (_, tree) in &files {
            for (name, c) in named(tree, "clusters", "cluster") {
                if let Some(server) = non_empty(c, "server") {
                    servers.push((name, server));
                }
            }
            for (_, c) in named(tree, "contexts", "context") {
                if let (Some(user), Some(cluster)) = (non_empty(c, "user"), non_empty(c, "cluster"))
                {
                    contexts.push((user, cluster));
                }
            }
            for (_, u) in named(tree, "users", "user") {
                clients.extend(exec_client(u));
            }
        }
        let server_host = |user: &str| -> Option<String> {
            let cluster = contexts.iter().find(|(u, _)| *u == user)?.1;
            let server = servers.iter().find(|(c, _)| *c == cluster)?.1;
            host_of(&Url::parse(server).ok()?)
        };
        for (path, tree) in &files {
            for (name, user) in named(tree, "users", "user") {
                let place = |key: &str| Place::File {
                    path: path.clone(),
                    entry: format!("users.{name}.{key}"),
                };
                if let Some(token) = non_empty(user, "token") {
                    out.sightings.push(Sighting {
                        tool: ToolId::Kubectl,
                        place: place("token"),
                        user: Some(name.to_owned()),
                        host: server_host(name),
                        secret: SecretString::new(token.to_owned()),
                        kind: TokenKind::AccessToken,
                        also: Vec::new(),
                        revoker: Revoker::local_only(
                            "a Kubernetes bearer token; the cluster's administrator revokes it",
                            None,
                        ),
                        client_secret: None,
                    });
                }
                let Some(provider) = user
                    .get("auth-provider")
                    .filter(|p| yaml::str_at(p, "name") == Some("oidc"))
                else {
                    continue;
                };
                let Some(config) = provider.get("config") else {
                    continue;
                };
                let refresh = non_empty(config, "refresh-token");
                let id_token = non_empty(config, "id-token");
                let (secret, kind, key, also) = match (refresh, id_token) {
                    (Some(r), i) => (
                        r,
                        TokenKind::RefreshToken,
                        "refresh-token",
                        i.map(|i| (TokenKind::IdToken, SecretString::new(i.to_owned())))
                            .into_iter()
                            .collect(),
                    ),
                    (None, Some(i)) => (i, TokenKind::IdToken, "id-token", Vec::new()),
                    (None, None) => continue,
                };
                let issuer = non_empty(config, "idp-issuer-url").and_then(|u| Url::parse(u).ok());
                let client_id = non_empty(config, "client-id");
                let client_secret = non_empty(config, "client-secret");
                let host = issuer.as_ref().and_then(host_of);
                let revoker = match (issuer, client_id) {
                    (Some(issuer), Some(client_id)) => Revoker::Issuer {
                        issuer,
                        client_id: client_id.to_owned(),
                        confidential: client_secret.is_some(),
                    },
                    _ => Revoker::local_only(
                        "the kubeconfig does not name the OpenID provider (idp-issuer-url) and client (client-id) the token is for",
                        None,
                    ),
                };
                out.sightings.push(Sighting {
                    tool: ToolId::Kubectl,
                    place: place(&format!("auth-provider.config.{key}")),
                    user: id_token.and_then(token_user).or(Some(name.to_owned())),
                    host,
                    secret: SecretString::new(secret.to_owned()),
                    kind,
                    also,
                    revoker,
                    client_secret: client_secret.map(|s| SecretString::new(s.to_owned())),
                });
            }
        }
        scan_cache(&Self::cache_dir(env), &clients, &mut out);
        out
    }

    fn remove(
        &self,
        env: &Env,
        place: &Place,
        secrets: &[&SecretString],
    ) -> Result<Removed, EditError> {
        match place {
            Place::File { entry, .. } if entry == CACHE_ENTRY => {
                edit::delete_file(place, &env.backups, ToolId::Kubectl.as_str(), secrets)
            }
            _ => remove_in_file(env, ToolId::Kubectl, place, secrets, |text| {
                let plain = super::exposed(secrets);
                yaml::remove_entries(text, &plain).map(|o| o.map(Into::into))
            }),
        }
    }
}

/// kubelogin's cache files: each a session whose issuer and client its ID token names.
fn scan_cache(dir: &Path, clients: &[ExecClient], out: &mut ToolScan) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return;
        }
        Err(e) => {
            out.problems.push(StoreProblem {
                tool: ToolId::Kubectl,
                store: dir.display().to_string(),
                reason: format!("cannot be read ({e}); left untouched"),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|x| x != "lock"))
        .collect();
    paths.sort();
    for path in paths {
        let Some(text) = read_or_report(ToolId::Kubectl, &path, &mut out.problems) else {
            continue;
        };
        let json = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if v.is_object() => v,
            _ => {
                out.problems.push(unparsable(
                    ToolId::Kubectl,
                    &path,
                    "not a kubelogin token cache (a JSON object)",
                ));
                continue;
            }
        };
        let field = |k: &str| {
            json.get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        };
        let (refresh, id_token) = (field("refresh_token"), field("id_token"));
        let (secret, kind, also) = match (refresh, id_token) {
            (Some(r), i) => (
                r,
                TokenKind::RefreshToken,
                i.map(|i| (TokenKind::IdToken, SecretString::new(i.to_owned())))
                    .into_iter()
                    .collect(),
            ),
            (None, Some(i)) => (i, TokenKind::IdToken, Vec::new()),
            (None, None) => continue,
        };
        let claims = id_token.and_then(crate::jwt::unverified_claims);
        let issuer = claims
            .as_ref()
            .and_then(|c| c.get("iss")?.as_str().map(str::to_owned));
        // The client the ID token was issued to: `azp` when set, else a single audience.
        let client_id = claims.as_ref().and_then(|c| {
            c.get("azp")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .or(match c.get("aud")? {
                    serde_json::Value::String(a) => Some(a.clone()),
                    serde_json::Value::Array(a) if a.len() == 1 => a[0].as_str().map(str::to_owned),
                    _ => None,
                })
        });
        let issuer_url = issuer.as_deref().and_then(|i| Url::parse(i).ok());
        let mut client_secret = None;
        let revoker = match (&issuer_url, client_id) {
            (Some(url), Some(client_id)) => {
                client_secret = clients
                    .iter()
                    .find(|c| {
                        c.client_id == client_id
                            && issuer.as_deref().is_some_and(|i| same_issuer(&c.issuer, i))
                    })
                    .and_then(|c| c.client_secret.clone());
                Revoker::Issuer {
                    issuer: url.clone(),
                    client_id,
                    confidential: client_secret.is_some(),
                }
            }
            _ => Revoker::local_only(
                "kubelogin's cache does not say which OpenID provider and client issued the token (it has no ID token naming them)",
                None,
            ),
        };
        out.sightings.push(Sighting {
            tool: ToolId::Kubectl,
            place: Place::File {
                path,
                entry: CACHE_ENTRY.into(),
            },
            user: id_token.and_then(token_user),
            host: issuer_url.as_ref().and_then(host_of),
            secret: SecretString::new(secret.to_owned()),
            kind,
            also,
            revoker,
            client_secret: client_secret.map(SecretString::new),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    /// An unsigned JWT with `claims` (only its payload is ever read).
    fn jwt(claims: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    /// A kubeconfig as `kubectl config set-credentials` writes it: an OIDC user, a static token
    /// user with a context, and an OIDC user without a client secret.
    fn kubeconfig(id_token: &str) -> String {
        format!(
            "apiVersion: v1\n\
             # the team's clusters\n\
             clusters:\n\
             - cluster:\n    server: https://k8s.example.com:6443\n  name: prod\n\
             contexts:\n\
             - context:\n    cluster: prod\n    user: robot\n  name: prod-robot\n\
             current-context: prod-robot\n\
             kind: Config\n\
             users:\n\
             - name: alice\n  user:\n    auth-provider:\n      config:\n        client-id: kube\n        client-secret: app-secret\n        id-token: {id_token}\n        idp-issuer-url: https://idp.example.com/realms/k8s\n        refresh-token: rt-alice\n      name: oidc\n\
             - name: robot\n  user:\n    token: sa-token-1\n\
             - name: bob\n  user:\n    auth-provider:\n      config:\n        client-id: kube\n        id-token: not-a-jwt\n        idp-issuer-url: https://idp.example.com/realms/k8s\n      name: oidc\n"
        )
    }

    #[test]
    fn reads_oidc_users_and_static_tokens() {
        let home = tempfile::tempdir().unwrap();
        let it = jwt(r#"{"sub":"1234","email":"alice@example.com"}"#);
        write(home.path(), ".kube/config", &kubeconfig(&it), 0o600);
        let found = scan_ok(&Kubectl, &env(home.path(), &[]));
        assert_eq!(found.len(), 3);

        let alice = &found[0];
        assert_eq!(alice.secret.expose_secret(), "rt-alice");
        assert_eq!(alice.kind, TokenKind::RefreshToken);
        assert_eq!(alice.also.len(), 1);
        assert_eq!(alice.also[0].0, TokenKind::IdToken);
        assert_eq!(alice.also[0].1.expose_secret(), it);
        assert_eq!(alice.user.as_deref(), Some("alice@example.com"));
        assert_eq!(alice.host.as_deref(), Some("idp.example.com"));
        assert_eq!(
            alice.client_secret.as_ref().map(|s| s.expose_secret()),
            Some("app-secret")
        );
        assert_eq!(
            alice.revoker,
            Revoker::Issuer {
                issuer: Url::parse("https://idp.example.com/realms/k8s").unwrap(),
                client_id: "kube".into(),
                confidential: true,
            }
        );

        let robot = &found[1];
        assert_eq!(robot.secret.expose_secret(), "sa-token-1");
        assert_eq!(robot.user.as_deref(), Some("robot"));
        assert_eq!(robot.host.as_deref(), Some("k8s.example.com:6443"));
        assert!(!robot.revoker.can_revoke());

        // Only an ID token, and an opaque one: the user is the kubeconfig's name.
        let bob = &found[2];
        assert_eq!(bob.secret.expose_secret(), "not-a-jwt");
        assert_eq!(bob.kind, TokenKind::IdToken);
        assert!(bob.also.is_empty() && bob.client_secret.is_none());
        assert_eq!(bob.user.as_deref(), Some("bob"));
        assert!(matches!(
            bob.revoker,
            Revoker::Issuer {
                confidential: false,
                ..
            }
        ));
    }

    #[test]
    fn removing_keeps_the_issuer_the_client_the_other_users_and_the_mode() {
        let home = tempfile::tempdir().unwrap();
        let it = jwt(r#"{"preferred_username":"alice"}"#);
        let text = kubeconfig(&it);
        let p = write(home.path(), ".kube/config", &text, 0o640);
        let e = env(home.path(), &[]);
        let found = scan_ok(&Kubectl, &e);
        assert_eq!(found[0].user.as_deref(), Some("alice"));
        let secrets: Vec<&SecretString> = std::iter::once(&found[0].secret)
            .chain(found[0].also.iter().map(|(_, s)| s))
            .collect();
        let removed = Kubectl.remove(&e, &found[0].place, &secrets).unwrap();
        assert!(removed.was_there);
        let after = std::fs::read_to_string(&p).unwrap();
        let expected = text
            .replace(&format!("        id-token: {it}\n"), "")
            .replace("        refresh-token: rt-alice\n", "");
        assert_eq!(after, expected);
        assert!(after.contains("client-secret: app-secret"));
        assert!(after.contains("# the team's clusters"));
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let backup = std::fs::read_to_string(removed.backup.unwrap()).unwrap();
        assert!(!backup.contains("rt-alice") && !backup.contains(&it));
        assert!(backup.contains("refresh-token: REMOVED-BY-SIGNOFF"));
        // The others are still there; removing the same copy again finds nothing.
        let left = scan_ok(&Kubectl, &e);
        assert_eq!(left.len(), 2);
        assert!(
            !Kubectl
                .remove(&e, &found[0].place, &secrets)
                .unwrap()
                .was_there
        );
        // A static token goes the same way and leaves its user's (now empty) stanza.
        Kubectl
            .remove(&e, &left[0].place, &[&left[0].secret])
            .unwrap();
        let after = std::fs::read_to_string(&p).unwrap();
        assert!(!after.contains("sa-token-1") && after.contains("- name: robot\n  user:\n"));
    }

    #[test]
    fn every_file_of_kubeconfig_is_read() {
        let home = tempfile::tempdir().unwrap();
        let a = write(
            home.path(),
            "a.yaml",
            "users:\n- name: dev\n  user:\n    token: tok-a\n",
            0o600,
        );
        // The same user name in the second file is shadowed for kubectl, but still on disk.
        let b = write(
            home.path(),
            "b.yaml",
            "clusters:\n- name: c\n  cluster:\n    server: https://10.0.0.1\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: dev\nusers:\n- name: dev\n  user:\n    token: tok-b\n",
            0o600,
        );
        write(
            home.path(),
            ".kube/config",
            "users:\n- name: home\n  user:\n    token: not-read\n",
            0o600,
        );
        let list = format!("{}::{}", a.display(), b.display());
        let e = env(home.path(), &[("KUBECONFIG", &list)]);
        let found = scan_ok(&Kubectl, &e);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].secret.expose_secret(), "tok-a");
        assert_eq!(found[0].place.path(), Some(a.as_path()));
        assert_eq!(found[0].host.as_deref(), Some("10.0.0.1"));
        assert_eq!(found[1].secret.expose_secret(), "tok-b");
        assert_eq!(found[1].place.path(), Some(b.as_path()));
        Kubectl
            .remove(&e, &found[1].place, &[&found[1].secret])
            .unwrap();
        assert!(std::fs::read_to_string(&a).unwrap().contains("tok-a"));
        assert!(!std::fs::read_to_string(&b).unwrap().contains("tok-b"));
    }

    #[test]
    fn a_file_that_is_not_a_kubeconfig_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        for (i, text) in ["users: [\n", "- just\n- a list\n"].iter().enumerate() {
            let p = write(home.path(), &format!("k{i}"), text, 0o600);
            let e = env(home.path(), &[("KUBECONFIG", p.to_str().unwrap())]);
            let s = Kubectl.scan(&e);
            assert!(s.sightings.is_empty());
            assert_eq!(s.problems.len(), 1, "{text:?}");
            assert!(s.problems[0].reason.ends_with("left untouched"));
            assert_eq!(std::fs::read_to_string(&p).unwrap(), *text);
        }
        // Odd shapes inside a kubeconfig are skipped, not a panic.
        write(
            home.path(),
            ".kube/config",
            "users:\n- 3\n- name: [x]\n- name: u\n  user: 7\n- name: v\n  user:\n    auth-provider: {name: oidc, config: 5}\nclusters: {}\ncontexts: 1\n",
            0o600,
        );
        assert!(scan_ok(&Kubectl, &env(home.path(), &[])).is_empty());
    }

    #[test]
    fn kubelogins_cache_is_read_with_the_client_from_its_exec_entry_and_deleted() {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            ".kube/config",
            "users:\n- name: oidc\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubectl\n      args:\n      - oidc-login\n      - get-token\n      - --oidc-issuer-url=https://idp.example.com/\n      - --oidc-client-id\n      - kube\n      - --oidc-client-secret=app-secret\n",
            0o600,
        );
        let it = jwt(
            r#"{"iss":"https://idp.example.com","aud":"kube","sub":"u1","email":"carol@example.com"}"#,
        );
        let cache = write(
            home.path(),
            ".kube/cache/oidc-login/0f3a",
            &format!(r#"{{"id_token":"{it}","refresh_token":"rt-carol"}}"#),
            0o600,
        );
        write(home.path(), ".kube/cache/oidc-login/0f3a.lock", "", 0o600);
        // An ID token that names no issuer: nothing says where to revoke it.
        write(
            home.path(),
            ".kube/cache/oidc-login/1b2c",
            r#"{"id_token":"opaque","refresh_token":"rt-other"}"#,
            0o600,
        );
        let e = env(home.path(), &[]);
        let found = scan_ok(&Kubectl, &e);
        assert_eq!(found.len(), 2);
        let carol = &found[0];
        assert_eq!(carol.secret.expose_secret(), "rt-carol");
        assert_eq!(carol.also[0].1.expose_secret(), it);
        assert_eq!(carol.user.as_deref(), Some("carol@example.com"));
        assert_eq!(carol.host.as_deref(), Some("idp.example.com"));
        assert_eq!(
            carol.client_secret.as_ref().map(|s| s.expose_secret()),
            Some("app-secret")
        );
        assert_eq!(
            carol.revoker,
            Revoker::Issuer {
                issuer: Url::parse("https://idp.example.com").unwrap(),
                client_id: "kube".into(),
                confidential: true,
            }
        );
        assert!(!found[1].revoker.can_revoke());
        assert_eq!(found[1].user, None);

        let removed = Kubectl
            .remove(&e, &carol.place, &[&carol.secret, &carol.also[0].1])
            .unwrap();
        assert!(removed.was_there && !cache.exists());
        let backup = std::fs::read_to_string(removed.backup.unwrap()).unwrap();
        assert!(!backup.contains("rt-carol") && !backup.contains(&it));
        assert_eq!(scan_ok(&Kubectl, &e).len(), 1);
    }

    #[test]
    fn a_cache_file_that_is_not_json_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        let p = write(home.path(), ".kube/cache/oidc-login/x", "{not json", 0o600);
        let s = Kubectl.scan(&env(home.path(), &[]));
        assert!(s.sightings.is_empty());
        assert_eq!(s.problems.len(), 1);
        assert_eq!(std::fs::read_to_string(p).unwrap(), "{not json");
    }
}
