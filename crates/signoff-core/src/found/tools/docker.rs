//! Docker: `config.json` in `$DOCKER_CONFIG`, else `~/.docker`. The file store is
//! `auths.<server>.{auth, identitytoken, registrytoken}` (`auth` = base64 of `user:password`);
//! `credsStore` (the default helper) and `credHelpers.<server>` (a helper per server) name
//! credential helpers, executables `docker-credential-<name>` on `PATH` that speak the helpers'
//! protocol: `list` prints `{"<server>": "<username>", …}`, `get` reads the server on stdin and
//! prints `{"ServerURL", "Username", "Secret"}` (`Username` `<token>` for an identity token),
//! `erase` reads the server on stdin.
//! Sources: docker/cli `cli/config/configfile/file.go`; docker/docker-credential-helpers
//! `credentials/credentials.go`, `secretservice/secretservice.{c,go}` (v0.6.4 and later; see
//! docs/found-sessions.md).
//!
//! Helpers run with a time limit and never get a secret in their arguments. The file is edited
//! as JSON, every other key kept in its order (docker's own save drops keys it does not know),
//! and written back indented with tabs as docker writes it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use url::Url;

use super::{read_or_report, remove_in_file, unparsable};
use crate::found::edit::{EditError, Edited};
use crate::found::{
    Env, Place, Removed, Revoker, Sighting, StoreProblem, Tool, ToolId, ToolScan, revoker,
};
use crate::profile::TokenKind;
use crate::secret::SecretString;

pub(super) struct Docker;

/// What a helper may take before it is stopped.
const HELPER_TIMEOUT: Duration = if cfg!(test) {
    Duration::from_secs(2)
} else {
    Duration::from_secs(10)
};

/// The most of a helper's output that is read.
const OUTPUT_LIMIT: u64 = 1 << 20;

/// The helper programs' common prefix.
const HELPER_PREFIX: &str = "docker-credential-";

/// The `Username` a helper keeps an identity token under.
const IDENTITY_TOKEN_USER: &str = "<token>";

/// Helpers a scan does not run because `get` would prompt (`pass` decrypts with GPG).
const NEVER_RUN: &[&str] = &["pass"];

/// Docker Hub's registry names.
const DOCKER_HUB: &[&str] = &["index.docker.io", "docker.io", "registry-1.docker.io"];

impl Docker {
    fn config_file(env: &Env) -> PathBuf {
        env.var("DOCKER_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| env.in_home(".docker"))
            .join("config.json")
    }
}

/// The host (and port) of a server key: a URL (`https://index.docker.io/v1/`) or a bare
/// `host[:port][/path]` (`ghcr.io`, `localhost:5000`).
fn server_host(server: &str) -> Option<String> {
    let url = if server.contains("://") {
        Url::parse(server).ok()?
    } else {
        Url::parse(&format!("https://{server}")).ok()?
    };
    url.host_str()
        .map(|h| url.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
}

/// The revoker for a registry's secret: by its prefix or host; Docker Hub's passwords and
/// access tokens only in Hub's settings.
fn revoker_for(host: Option<&str>, secret: &SecretString) -> Revoker {
    let r = revoker::for_host_token(host, secret);
    match host {
        Some(h) if !r.can_revoke() && DOCKER_HUB.contains(&h) => Revoker::local_only(
            "Docker Hub passwords and access tokens are revoked in Docker Hub's settings",
            Some("https://app.docker.com/settings/personal-access-tokens"),
        ),
        _ => r,
    }
}

/// `auth`'s user and password (base64 of `user:password`, NULs trimmed, as docker decodes it).
fn decode_auth(auth: &str) -> Option<(String, String)> {
    let bytes = STANDARD.decode(auth.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    let password = password.trim_matches('\0');
    (!user.is_empty()).then(|| (user.to_owned(), password.to_owned()))
}

/// A helper's name is a file-name suffix, nothing that could point elsewhere.
fn valid_helper(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
}

/// A JSON value whose objects keep their keys' order (this build's serde_json sorts them).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Self::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Self::Object(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    fn entries(&self) -> &[(String, Json)] {
        match self {
            Self::Object(m) => m,
            _ => &[],
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Json, E> {
                serde_json::Number::from_f64(n)
                    .map(Json::Number)
                    .ok_or_else(|| E::custom("not a JSON number"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_owned()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Json::Array(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut m = Vec::new();
                while let Some(kv) = a.next_entry()? {
                    m.push(kv);
                }
                Ok(Json::Object(m))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Number(n) => n.serialize(s),
            Self::String(t) => s.serialize_str(t),
            Self::Array(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Self::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// `value` as docker writes its config: indented with tabs.
fn to_docker_json(value: &Json) -> Result<String, String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"\t"),
    );
    value
        .serialize(&mut ser)
        .map_err(|_| "the file could not be written back as JSON".to_owned())?;
    String::from_utf8(out).map_err(|_| "the file could not be written back as JSON".to_owned())
}

/// Why running a helper gave no answer.
enum HelperFailure {
    /// The helper has no credential for the server (`credentials not found …`).
    NotFound,
    /// Anything else, in words that hold no secret.
    Failed(String),
}

/// A credential helper: its program name and where it is.
struct Helper {
    program: String,
    path: PathBuf,
}

impl Helper {
    /// `docker-credential-<name>` as found on the scan's `PATH`.
    fn find(env: &Env, name: &str) -> Result<Self, String> {
        let program = format!("{HELPER_PREFIX}{name}");
        if !valid_helper(name) {
            return Err(format!("{program:?} is not a credential helper's name"));
        }
        let path = env
            .var("PATH")
            .unwrap_or_default()
            .split(':')
            // An empty entry means the current folder: never run a helper from there.
            .filter(|d| Path::new(d).is_absolute())
            .map(|d| Path::new(d).join(&program))
            .find(|p| is_executable(p))
            .ok_or_else(|| format!("{program} is not installed (not on PATH)"))?;
        Ok(Self { program, path })
    }

    /// Runs `action` with `input` on stdin; its stdout when it succeeds.
    fn run(&self, env: &Env, action: &str, input: &str) -> Result<String, HelperFailure> {
        let (status, out) = self
            .spawn(env, action, input)
            .map_err(HelperFailure::Failed)?;
        let out = String::from_utf8_lossy(&out).into_owned();
        if status.success() {
            return Ok(out);
        }
        if out.contains("credentials not found") {
            return Err(HelperFailure::NotFound);
        }
        // A failing helper prints its error on stdout; `get`'s output is never repeated, in
        // case a helper prints more than an error.
        let detail = match action {
            "get" => String::new(),
            _ => out
                .lines()
                .next()
                .map(|l| format!(": {}", l.chars().take(200).collect::<String>()))
                .unwrap_or_default(),
        };
        Err(HelperFailure::Failed(format!(
            "{} {action} failed ({status}){detail}",
            self.program
        )))
    }

    /// Starts the helper, feeds it `input`, and waits at most [`HELPER_TIMEOUT`].
    fn spawn(&self, env: &Env, action: &str, input: &str) -> Result<(ExitStatus, Vec<u8>), String> {
        let mut cmd = Command::new(&self.path);
        cmd.arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(path) = env.var("PATH") {
            cmd.env("PATH", path);
        }
        let mut attempt = 0;
        let mut child = loop {
            match cmd.spawn() {
                // A program just written can be busy for a moment (another thread's fork).
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempt < 5 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(format!("{} could not be started ({e})", self.program)),
                Ok(c) => break c,
            }
        };
        if let Some(mut stdin) = child.stdin.take() {
            // The server fits in the pipe; a helper that does not read it is no error.
            let _ = stdin.write_all(input.as_bytes());
        }
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = stdout.take(OUTPUT_LIMIT).read_to_end(&mut buf);
                let _ = tx.send(buf);
            });
        }
        let deadline = Instant::now() + HELPER_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(match other {
                        Err(e) => format!("{} could not be waited for ({e})", self.program),
                        _ => format!(
                            "{} {action} did not answer within {} seconds and was stopped",
                            self.program,
                            HELPER_TIMEOUT.as_secs()
                        ),
                    });
                }
            }
        };
        let out = rx.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
        Ok((status, out))
    }

    /// The helper's credential for `server`: `Ok(None)` when it has none.
    fn get(&self, env: &Env, server: &str) -> Result<Option<Credential>, String> {
        match self.run(env, "get", server) {
            Ok(out) => serde_json::from_str::<Credential>(&out)
                .map(Some)
                .map_err(|_| format!("{} get did not answer with a credential", self.program)),
            Err(HelperFailure::NotFound) => Ok(None),
            Err(HelperFailure::Failed(why)) => Err(why),
        }
    }

    /// The servers the helper keeps credentials for.
    fn list(&self, env: &Env) -> Result<Vec<String>, String> {
        let out = match self.run(env, "list", "") {
            Ok(out) => out,
            Err(HelperFailure::NotFound) => return Ok(Vec::new()),
            Err(HelperFailure::Failed(why)) => return Err(why),
        };
        let map = serde_json::from_str::<std::collections::BTreeMap<String, String>>(&out)
            .map_err(|_| format!("{} list did not answer with servers", self.program))?;
        Ok(map
            .into_keys()
            // docker-credential-secretservice ≥ 0.9 lists items by their label.
            .map(|k| match k.strip_prefix("Registry credentials for ") {
                Some(server) => server.to_owned(),
                None => k,
            })
            .collect())
    }
}

/// What a helper's `get` answers.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Credential {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

/// The helper whose items are read from the keyring rather than through it.
const SECRET_SERVICE_HELPER: &str = "secretservice";

/// `docker-credential-secretservice`'s items (attributes `label=Docker Credentials`,
/// `server`, `username`, `docker_cli=1`; the secret is the raw `Secret`), of one server or all,
/// from unlocked collections only.
fn secret_service_items(
    env: &Env,
    only: Option<&str>,
) -> Result<Vec<(String, Credential)>, String> {
    let Some(keyring) = env.keyring()? else {
        return Err("the keyring is not read in this run".into());
    };
    let found = keyring.search(&[("label", "Docker Credentials"), ("docker_cli", "1")])?;
    if found.locked > 0 {
        return Err(format!(
            "{} item(s) are in a locked keyring; unlock it and scan again",
            found.locked
        ));
    }
    Ok(found
        .items
        .into_iter()
        .filter_map(|item| {
            let server = item.attributes.get("server")?.clone();
            if only.is_some_and(|o| o != server) {
                return None;
            }
            let cred = Credential {
                server_url: server.clone(),
                username: item.attributes.get("username").cloned().unwrap_or_default(),
                secret: item.secret.expose_secret().to_owned(),
            };
            Some((server, cred))
        })
        .collect())
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The secrets of one `auths` entry: the password in `auth`, the identity and registry tokens.
struct FileEntry {
    user: Option<String>,
    /// The session's token first (the identity token, else the password), then the others.
    secrets: Vec<(TokenKind, String)>,
}

fn file_entry(entry: &Json) -> Result<Option<FileEntry>, String> {
    let mut user = None;
    let mut secrets = Vec::new();
    let field = |k: &str| {
        entry
            .get(k)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(t) = field("identitytoken") {
        secrets.push((TokenKind::RefreshToken, t.to_owned()));
    }
    if let Some(auth) = field("auth") {
        let (u, password) = decode_auth(auth).ok_or("its auth is not base64 of user:password")?;
        user = Some(u).filter(|u| u != IDENTITY_TOKEN_USER);
        if !password.is_empty() {
            secrets.push((TokenKind::AccessToken, password));
        }
    }
    if let Some(t) = field("registrytoken") {
        secrets.push((TokenKind::AccessToken, t.to_owned()));
    }
    Ok((!secrets.is_empty()).then_some(FileEntry { user, secrets }))
}

impl Tool for Docker {
    fn id(&self) -> ToolId {
        ToolId::Docker
    }

    fn scan(&self, env: &Env) -> ToolScan {
        let mut out = ToolScan::default();
        let path = Self::config_file(env);
        let Some(text) = read_or_report(ToolId::Docker, &path, &mut out.problems) else {
            return out;
        };
        let config = match serde_json::from_str::<Json>(&text) {
            Ok(c @ Json::Object(_)) => c,
            _ => {
                out.problems.push(unparsable(
                    ToolId::Docker,
                    &path,
                    "not a Docker config (a JSON object)",
                ));
                return out;
            }
        };
        for (server, entry) in config.get("auths").map(Json::entries).unwrap_or_default() {
            let found = match file_entry(entry) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(why) => {
                    out.problems.push(StoreProblem {
                        tool: ToolId::Docker,
                        store: path.display().to_string(),
                        reason: format!("the entry for {server}: {why}; left untouched"),
                    });
                    continue;
                }
            };
            let mut secrets = found
                .secrets
                .into_iter()
                .map(|(k, s)| (k, SecretString::new(s)));
            let Some((kind, secret)) = secrets.next() else {
                continue;
            };
            let host = server_host(server);
            out.sightings.push(Sighting {
                tool: ToolId::Docker,
                place: Place::File {
                    path: path.clone(),
                    entry: format!("auths.{server}"),
                },
                user: found.user,
                revoker: revoker_for(host.as_deref(), &secret),
                host,
                secret,
                kind,
                also: secrets.collect(),
                client_secret: None,
            });
        }
        // Which helper holds which servers: credHelpers' own, and all of credsStore's.
        let mut wanted: Vec<(String, Option<String>)> = Vec::new();
        if let Some(name) = config.get("credsStore").and_then(Json::as_str)
            && !name.is_empty()
        {
            wanted.push((name.to_owned(), None));
        }
        for (server, name) in config
            .get("credHelpers")
            .map(Json::entries)
            .unwrap_or_default()
        {
            if let Some(name) = name.as_str().filter(|n| !n.is_empty()) {
                wanted.push((name.to_owned(), Some(server.clone())));
            }
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        for (name, server) in wanted {
            let problem = |reason: String| StoreProblem {
                tool: ToolId::Docker,
                store: format!("{HELPER_PREFIX}{name} (named in {})", path.display()),
                reason,
            };
            if NEVER_RUN.contains(&name.as_str()) {
                out.problems.push(problem(
                    "its credentials are encrypted with the person's GPG key and reading them would ask for it; Signoff does not run it".into(),
                ));
                continue;
            }
            let helper = match Helper::find(env, &name) {
                Ok(h) => h,
                Err(why) => {
                    out.problems.push(problem(why));
                    continue;
                }
            };
            let creds = if name == SECRET_SERVICE_HELPER {
                // Its items are read from the keyring directly: its own `get` goes through
                // libsecret, which may ask to unlock a locked keyring; a scan never prompts.
                match secret_service_items(env, server.as_deref()) {
                    Ok(c) => c,
                    Err(why) => {
                        out.problems.push(problem(why));
                        continue;
                    }
                }
            } else {
                let servers = match server {
                    Some(s) => vec![s],
                    None => match helper.list(env) {
                        Ok(s) => s,
                        Err(why) => {
                            out.problems.push(problem(why));
                            continue;
                        }
                    },
                };
                let mut creds = Vec::new();
                for server in servers {
                    match helper.get(env, &server) {
                        Ok(Some(c)) => creds.push((server, c)),
                        Ok(None) => {}
                        Err(why) => out.problems.push(problem(why)),
                    }
                }
                creds
            };
            for (server, cred) in creds {
                if cred.secret.is_empty() {
                    continue;
                }
                let key = (helper.program.clone(), server.clone());
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let host = server_host(if cred.server_url.is_empty() {
                    &server
                } else {
                    &cred.server_url
                });
                let identity = cred.username == IDENTITY_TOKEN_USER;
                let secret = SecretString::new(cred.secret);
                out.sightings.push(Sighting {
                    tool: ToolId::Docker,
                    place: Place::Helper {
                        program: helper.program.clone(),
                        server,
                    },
                    user: Some(cred.username).filter(|u| !u.is_empty() && !identity),
                    revoker: revoker_for(host.as_deref(), &secret),
                    host,
                    secret,
                    kind: if identity {
                        TokenKind::RefreshToken
                    } else {
                        TokenKind::AccessToken
                    },
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
        let plain = super::exposed(secrets);
        match place {
            Place::Helper { program, server } => {
                remove_from_helper(env, place, program, server, &plain)
            }
            Place::File { .. } => remove_in_file(env, ToolId::Docker, place, secrets, |text| {
                remove_from_file(text, &plain)
            }),
            Place::Keyring { .. } => Err(EditError::Keyring("not a Docker store".into())),
        }
    }
}

/// `text` without `secrets` in any `auths` entry (one secret may be kept for several server
/// names, and the file holds the session wherever it is), an entry left empty dropped;
/// `Ok(None)` when none is there.
fn remove_from_file(text: &str, secrets: &[&str]) -> Result<Option<Edited>, String> {
    let mut config = match serde_json::from_str::<Json>(text) {
        Ok(c @ Json::Object(_)) => c,
        _ => return Err("not a Docker config (a JSON object)".into()),
    };
    let Some(Json::Object(auths)) = config.get_mut("auths") else {
        return Ok(None);
    };
    let mut blank = Vec::new();
    let mut changed = false;
    auths.retain_mut(|(_, entry)| {
        let Json::Object(fields) = entry else {
            return true;
        };
        let before = fields.len();
        fields.retain(|(k, v)| {
            let Some(value) = v.as_str() else {
                return true;
            };
            let holds = match k.as_str() {
                "auth" => decode_auth(value).is_some_and(|(_, p)| secrets.contains(&p.as_str())),
                "identitytoken" | "registrytoken" => secrets.contains(&value),
                _ => false,
            };
            if holds && k == "auth" {
                // The base64 form is what the file (and so the backup) holds.
                blank.push(value.to_owned());
            }
            !holds
        });
        let emptied = fields.len() < before;
        changed |= emptied;
        !(emptied && fields.is_empty())
    });
    if !changed {
        return Ok(None);
    }
    let mut text_out = to_docker_json(&config)?;
    if text.ends_with('\n') {
        text_out.push('\n');
    }
    Ok(Some(Edited {
        text: text_out,
        blank,
    }))
}

/// Erases a helper's credential for `server`, once `get` shows it is still the one scanned.
fn remove_from_helper(
    env: &Env,
    place: &Place,
    program: &str,
    server: &str,
    secrets: &[&str],
) -> Result<Removed, EditError> {
    let failed = |detail: String| EditError::Helper {
        program: program.to_owned(),
        detail,
    };
    let name = program
        .strip_prefix(HELPER_PREFIX)
        .ok_or_else(|| failed("not a Docker credential helper".into()))?;
    let helper = Helper::find(env, name).map_err(failed)?;
    let gone = Removed {
        place: place.clone(),
        backup: None,
        was_there: false,
    };
    // Replaced since the scan (a new `docker login`)? Then it is not this session's: keep it.
    match helper.get(env, server).map_err(failed)? {
        Some(c) if secrets.contains(&c.secret.as_str()) => {}
        _ => return Ok(gone),
    }
    match helper.run(env, "erase", server) {
        Ok(_) => Ok(Removed {
            place: place.clone(),
            backup: None,
            was_there: true,
        }),
        Err(HelperFailure::NotFound) => Ok(gone),
        Err(HelperFailure::Failed(why)) => Err(failed(why)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::found::tools::testing::{env, scan_ok, write};

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    /// A config as docker writes it: tabs, its own key order, a key newer CLIs add.
    fn config() -> String {
        format!(
            "{{\n\t\"auths\": {{\n\t\t\"https://index.docker.io/v1/\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"ghcr.io\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"email\": \"octo@example.com\"\n\t\t}},\n\t\t\"registry.example.com:5000\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"idt-1\"\n\t\t}}\n\t}},\n\t\"psFormat\": \"table {{{{.ID}}}}\",\n\t\"currentContext\": \"default\"\n}}\n",
            b64("moby:dckr_pat_abc"),
            b64("octocat:ghp_secret"),
            b64("<token>:"),
        )
    }

    #[test]
    fn reads_passwords_and_identity_tokens_per_server() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ".docker/config.json", &config(), 0o600);
        let found = scan_ok(&Docker, &env(home.path(), &[]));
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].user.as_deref(), Some("moby"));
        assert_eq!(found[0].host.as_deref(), Some("index.docker.io"));
        assert_eq!(found[0].secret.expose_secret(), "dckr_pat_abc");
        assert!(matches!(
            &found[0].revoker,
            Revoker::LocalOnly {
                manage_url: Some(_),
                ..
            }
        ));
        assert_eq!(found[1].host.as_deref(), Some("ghcr.io"));
        assert_eq!(found[1].revoker.provider_id(), "github");
        assert_eq!(found[2].host.as_deref(), Some("registry.example.com:5000"));
        assert_eq!(found[2].user, None);
        assert_eq!(found[2].kind, TokenKind::RefreshToken);
        assert_eq!(found[2].secret.expose_secret(), "idt-1");
        assert!(!found[2].revoker.can_revoke());
    }

    #[test]
    fn removing_keeps_other_servers_keys_order_and_mode_and_blanks_the_base64() {
        let home = tempfile::tempdir().unwrap();
        let p = write(home.path(), "d/config.json", &config(), 0o644);
        let e = env(
            home.path(),
            &[("DOCKER_CONFIG", home.path().join("d").to_str().unwrap())],
        );
        let found = scan_ok(&Docker, &e);
        // ghcr.io keeps its email; Docker Hub's entry goes as a whole.
        for (s, auth) in found[..2]
            .iter()
            .zip([b64("moby:dckr_pat_abc"), b64("octocat:ghp_secret")])
        {
            let removed = Docker.remove(&e, &s.place, &[&s.secret]).unwrap();
            assert!(removed.was_there);
            let backup = std::fs::read_to_string(removed.backup.unwrap()).unwrap();
            assert!(!backup.contains(s.secret.expose_secret()));
            assert!(!backup.contains(&auth), "the base64 form is blanked too");
            assert!(backup.contains("\"auth\": \"REMOVED-BY-SIGNOFF\""));
        }
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!(
                "{{\n\t\"auths\": {{\n\t\t\"ghcr.io\": {{\n\t\t\t\"email\": \"octo@example.com\"\n\t\t}},\n\t\t\"registry.example.com:5000\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"idt-1\"\n\t\t}}\n\t}},\n\t\"psFormat\": \"table {{{{.ID}}}}\",\n\t\"currentContext\": \"default\"\n}}\n",
                b64("<token>:")
            )
        );
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        let left = scan_ok(&Docker, &e);
        assert_eq!(left.len(), 1);
        assert!(
            !Docker
                .remove(&e, &found[0].place, &[&found[0].secret])
                .unwrap()
                .was_there
        );
    }

    #[test]
    fn one_credential_under_two_server_names_is_one_session_removed_from_both() {
        let home = tempfile::tempdir().unwrap();
        let auth = b64("moby:pw");
        let p = write(
            home.path(),
            ".docker/config.json",
            &format!(
                "{{\"auths\":{{\"docker.io\":{{\"auth\":\"{auth}\"}},\"https://index.docker.io/v1/\":{{\"auth\":\"{auth}\"}},\"x.example\":{{\"auth\":\"{}\"}}}}}}",
                b64("me:other")
            ),
            0o600,
        );
        let e = env(home.path(), &[]);
        let found = scan_ok(&Docker, &e);
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"k");
        let sessions = crate::found::group(found, &key);
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].copies.len(), 2);
        let removed = Docker
            .remove(&e, &sessions[0].copies[1].place, &sessions[0].secrets())
            .unwrap();
        assert!(removed.was_there);
        let after = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            after,
            format!(
                "{{\n\t\"auths\": {{\n\t\t\"x.example\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}",
                b64("me:other")
            )
        );
        assert!(
            !std::fs::read_to_string(removed.backup.unwrap())
                .unwrap()
                .contains(&auth)
        );
        assert!(
            !Docker
                .remove(&e, &sessions[0].copies[0].place, &sessions[0].secrets())
                .unwrap()
                .was_there
        );
    }

    #[test]
    fn a_file_that_is_not_json_or_has_a_bad_auth_is_reported_and_left_alone() {
        let home = tempfile::tempdir().unwrap();
        for text in ["{\"auths\": {", "[1, 2]", "auths: {}\n"] {
            let p = write(home.path(), ".docker/config.json", text, 0o600);
            let s = Docker.scan(&env(home.path(), &[]));
            assert!(s.sightings.is_empty());
            assert_eq!(s.problems.len(), 1, "{text:?}");
            assert_eq!(std::fs::read_to_string(&p).unwrap(), text);
        }
        let text = format!(
            "{{\"auths\": {{\"a.example\": {{\"auth\": \"%%%\"}}, \"b.example\": {{\"auth\": \"{}\"}}, \"c\": 5}}, \"credHelpers\": 3}}",
            b64("u:pw")
        );
        write(home.path(), ".docker/config.json", &text, 0o600);
        let s = Docker.scan(&env(home.path(), &[]));
        assert_eq!(s.sightings.len(), 1);
        assert_eq!(s.problems.len(), 1);
        assert!(!s.problems[0].reason.contains("%%%"));
    }

    /// A stand-in for `docker-credential-secretservice`: the helpers' protocol
    /// (`credentials.go`) over a folder, one file per server (named by the server with `/` and
    /// `:` as `_`) holding `server username secret`; `get` and `erase` of a server it does not
    /// have answer "credentials not found in native keychain" with status 1, as the real ones.
    fn fake_helper(home: &Path) -> (PathBuf, PathBuf) {
        let store = home.join("fake-store");
        std::fs::create_dir_all(&store).unwrap();
        let bin = home.join("bin");
        let script = format!(
            r#"#!/bin/sh
store='{}'
read -r server
key=$(printf %s "$server" | tr '/:' '__')
case "$1" in
list)
  printf '{{'; sep=
  for f in "$store"/*; do
    [ -f "$f" ] || continue
    read -r s u x < "$f"
    printf '%s"%s":"%s"' "$sep" "$s" "$u"; sep=,
  done
  printf '}}\n' ;;
get)
  [ -f "$store/$key" ] || {{ echo "credentials not found in native keychain"; exit 1; }}
  read -r s u x < "$store/$key"
  printf '{{"ServerURL":"%s","Username":"%s","Secret":"%s"}}\n' "$s" "$u" "$x" ;;
erase)
  [ -f "$store/$key" ] || {{ echo "credentials not found in native keychain"; exit 1; }}
  rm "$store/$key"; echo "erase $server" >> "$store.log" ;;
*) echo "unknown action"; exit 1 ;;
esac
"#,
            store.display()
        );
        write(home, "bin/docker-credential-fake", &script, 0o755);
        write(
            home,
            "bin/docker-credential-slow",
            "#!/bin/sh\nexec /bin/sleep 30\n",
            0o755,
        );
        (bin, store)
    }

    fn store_cred(store: &Path, server: &str, user: &str, secret: &str) {
        let key = server.replace(['/', ':'], "_");
        std::fs::write(store.join(key), format!("{server} {user} {secret}\n")).unwrap();
    }

    #[test]
    fn helpers_are_listed_read_and_erased_only_when_unchanged() {
        let home = tempfile::tempdir().unwrap();
        let (bin, store) = fake_helper(home.path());
        store_cred(&store, "https://index.docker.io/v1/", "moby", "dckr_pat_1");
        store_cred(&store, "ghcr.io", "octocat", "ghp_2");
        store_cred(&store, "registry.example.com", "<token>", "idt-3");
        write(
            home.path(),
            ".docker/config.json",
            "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {}\n\t},\n\t\"credsStore\": \"fake\",\n\t\"credHelpers\": {\n\t\t\"ghcr.io\": \"fake\",\n\t\t\"quay.io\": \"fake\"\n\t}\n}\n",
            0o600,
        );
        let path = format!("{}:/usr/bin:/bin", bin.display());
        let e = env(home.path(), &[("PATH", &path)]);
        let found = scan_ok(&Docker, &e);
        // Each server once, although both credsStore and credHelpers name ghcr.io.
        assert_eq!(found.len(), 3, "{found:?}");
        let by = |host: &str| {
            found
                .iter()
                .find(|s| s.host.as_deref() == Some(host))
                .unwrap()
        };
        let gh = by("ghcr.io");
        assert_eq!(
            gh.place,
            Place::Helper {
                program: "docker-credential-fake".into(),
                server: "ghcr.io".into()
            }
        );
        assert_eq!(gh.user.as_deref(), Some("octocat"));
        assert_eq!(gh.revoker.provider_id(), "github");
        let idt = by("registry.example.com");
        assert_eq!(idt.user, None);
        assert_eq!(idt.kind, TokenKind::RefreshToken);

        Docker.remove(&e, &gh.place, &[&gh.secret]).unwrap();
        assert!(!store.join("ghcr.io").exists());
        assert!(
            std::fs::read_to_string(store.with_extension("log"))
                .unwrap()
                .contains("erase ghcr.io")
        );
        // Replaced since the scan: the new credential stays.
        let hub = by("index.docker.io");
        store_cred(
            &store,
            "https://index.docker.io/v1/",
            "moby",
            "dckr_pat_new",
        );
        let r = Docker.remove(&e, &hub.place, &[&hub.secret]).unwrap();
        assert!(!r.was_there);
        assert_eq!(scan_ok(&Docker, &e).len(), 2);
    }

    #[test]
    fn a_missing_or_hanging_helper_is_a_problem() {
        let home = tempfile::tempdir().unwrap();
        let (bin, _) = fake_helper(home.path());
        write(
            home.path(),
            ".docker/config.json",
            "{\"credsStore\": \"secretservice\", \"credHelpers\": {\"a.example\": \"slow\", \"b.example\": \"../x\", \"c.example\": \"pass\"}}",
            0o600,
        );
        let e = env(home.path(), &[("PATH", bin.to_str().unwrap())]);
        let s = Docker.scan(&e);
        assert!(s.sightings.is_empty());
        assert_eq!(s.problems.len(), 4, "{:?}", s.problems);
        assert!(s.problems[0].reason.contains("not installed"));
        assert!(s.problems[1].reason.contains("did not answer"));
        assert!(s.problems[2].reason.contains("not a credential helper"));
        assert!(s.problems[3].reason.contains("GPG"));
        let place = Place::Helper {
            program: "docker-credential-secretservice".into(),
            server: "x".into(),
        };
        let err = Docker
            .remove(&e, &place, &[&SecretString::new("s".into())])
            .unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::ToolHelperFailed);
    }
}
