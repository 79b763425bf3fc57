//! Found on this computer: the sessions other tools (gh, git, npm, kubectl, …) keep in their
//! own stores, read without writing or prompting, and removed from those stores, in each
//! tool's own format, when a person signs them out.
//!
//! - [`tools`]: one file per tool, each a [`Tool`] that scans its stores and removes a copy;
//! - [`revoker`]: which catalogue profile ends a found token (by host, by token prefix);
//! - [`edit`]: atomic rewrites of other tools' files, with a backup that holds no secret;
//! - [`yaml`], [`lines`]: surgical edits of YAML and line-based files, checked by re-parsing;
//! - [`keyring`]: other tools' Secret Service items, read without unlocking anything.
//!
//! A session is the secret, not the host: the same token in several stores (gh's two keyring
//! items, a forge token in `~/.git-credentials` and `.npmrc`) is one [`FoundSession`] with
//! several [`Place`]s, matched by exact secret (compared as hashes).

pub mod edit;
pub mod env;
pub mod keyring;
pub mod lines;
pub mod revoker;
pub mod tools;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use env::Env;
pub use revoker::Revoker;

use crate::account::AccountId;
use crate::profile::TokenKind;
use crate::secret::SecretString;

named!(
    /// A tool whose stores Signoff reads.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
    pub enum ToolId {
        Gh,
        Git,
        Gcloud,
        Az,
        Aws,
        Docker,
        Kubectl,
        Npm,
        Glab,
        Netrc,
        Vault,
    }
);

impl ToolId {
    /// The tool's name as people know it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Gh => "GitHub CLI (gh)",
            Self::Git => "Git credentials",
            Self::Gcloud => "Google Cloud CLI (gcloud)",
            Self::Az => "Azure CLI (az)",
            Self::Aws => "AWS CLI (aws)",
            Self::Docker => "Docker",
            Self::Kubectl => "Kubernetes (kubectl)",
            Self::Npm => "npm",
            Self::Glab => "GitLab CLI (glab)",
            Self::Netrc => "~/.netrc",
            Self::Vault => "Vault CLI (vault)",
        }
    }
}

/// Where one copy of a secret lives: a file (and the entry in it), a keyring item, or an entry
/// a tool's credential helper keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// `entry` names what in the file holds it (`hosts.github.com.oauth_token`).
    File {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        path: PathBuf,
        entry: String,
    },
    /// A Secret Service item, by its label and the attributes that find it.
    Keyring {
        label: String,
        attributes: BTreeMap<String, String>,
    },
    /// An entry of a credential helper program (`docker-credential-secretservice`).
    Helper { program: String, server: String },
}

impl Place {
    /// The file this copy is in, if it is in a file.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Self::File { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File { path, entry } => write!(f, "{} ({entry})", path.display()),
            Self::Keyring { label, .. } => write!(f, "keyring item {label:?}"),
            Self::Helper { program, server } => write!(f, "{program} entry {server}"),
        }
    }
}

/// One copy of a session: which tool's store, and where in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Copy {
    pub tool: ToolId,
    #[serde(flatten)]
    pub place: Place,
}

/// One copy of a session's secret as a tool's scanner saw it.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub tool: ToolId,
    pub place: Place,
    pub user: Option<String>,
    pub host: Option<String>,
    /// The token that identifies the session (and is revoked).
    pub secret: SecretString,
    pub kind: TokenKind,
    /// Other tokens of the same session kept beside it (an OIDC ID token next to its refresh
    /// token): revoked or removed with it, never a session of their own.
    pub also: Vec<(TokenKind, SecretString)>,
    pub revoker: Revoker,
    /// The OAuth client's secret the store keeps beside the session (kubeconfig's
    /// `client-secret`): the app's, not the session's, so it authenticates the revocation and
    /// is never removed.
    pub client_secret: Option<SecretString>,
}

/// A store that could not be read, or was skipped, and why. Left untouched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StoreProblem {
    pub tool: ToolId,
    /// The file or keyring the problem is about.
    pub store: String,
    pub reason: String,
}

/// What one tool's scan saw.
#[derive(Debug, Default)]
pub struct ToolScan {
    pub sightings: Vec<Sighting>,
    pub problems: Vec<StoreProblem>,
}

/// What removing one copy did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Removed {
    pub place: Place,
    /// The previous version of the file, with the removed secrets blanked out.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub backup: Option<PathBuf>,
    /// False when the copy was no longer there (the tool had already removed it).
    pub was_there: bool,
}

/// A tool's stores: read them, remove one copy.
pub trait Tool: Send + Sync {
    fn id(&self) -> ToolId;
    /// Reads every store of the tool. Never writes, never prompts, never fails as a whole: a
    /// store that cannot be read is a [`StoreProblem`].
    fn scan(&self, env: &Env) -> ToolScan;
    /// Removes the copy at `place` of a session whose tokens are `secrets` (all of them: an ID
    /// token beside its refresh token goes too), re-reading the store first.
    fn remove(
        &self,
        env: &Env,
        place: &Place,
        secrets: &[&SecretString],
    ) -> Result<Removed, edit::EditError>;
}

/// A found session: one secret and every place a copy of it lives.
#[derive(Debug, Clone)]
pub struct FoundSession {
    pub id: AccountId,
    pub tool: ToolId,
    pub user: Option<String>,
    pub host: Option<String>,
    pub copies: Vec<Copy>,
    pub revoker: Revoker,
    pub kind: TokenKind,
    pub secret: SecretString,
    pub also: Vec<(TokenKind, SecretString)>,
    /// The client secret the revocation authenticates with, from the first copy that has one.
    pub client_secret: Option<SecretString>,
}

impl FoundSession {
    /// Every secret of the session (the token and the ones kept beside it).
    pub fn secrets(&self) -> Vec<&SecretString> {
        std::iter::once(&self.secret)
            .chain(self.also.iter().map(|(_, s)| s))
            .collect()
    }

    /// The tokens as the engine takes them.
    pub fn bundle(&self) -> crate::tokens::TokenBundle {
        let mut b = crate::tokens::TokenBundle::default();
        for (kind, s) in self.also.iter().map(|(k, s)| (*k, s)) {
            b.set(kind, s.clone());
        }
        b.set(self.kind, self.secret.clone());
        b
    }

    /// "octocat@github.com", or whichever half is known.
    pub fn label(&self) -> String {
        match (&self.user, &self.host) {
            (Some(u), Some(h)) => format!("{u}@{h}"),
            (Some(u), None) => u.clone(),
            (None, Some(h)) => h.clone(),
            (None, None) => self.tool.label().to_owned(),
        }
    }
}

/// The SHA-256 of a secret: how copies are matched (never by host alone).
pub fn fingerprint(secret: &SecretString) -> [u8; 32] {
    Sha256::digest(secret.expose_secret().as_bytes()).into()
}

/// Groups sightings by exact secret into sessions, in a stable order. The session takes the
/// first sighting's tool, user, host and revoker; later copies fill what it lacks (gh's item
/// with `username=""` has no user; its twin has). `id_key` keys the account id (an HMAC, so
/// the id reveals nothing of the secret).
pub fn group(sightings: Vec<Sighting>, id_key: &ring::hmac::Key) -> Vec<FoundSession> {
    let mut by_secret: Vec<([u8; 32], FoundSession)> = Vec::new();
    for s in sightings {
        let fp = fingerprint(&s.secret);
        let copy = Copy {
            tool: s.tool,
            place: s.place,
        };
        if let Some((_, found)) = by_secret.iter_mut().find(|(f, _)| *f == fp) {
            if !found.copies.contains(&copy) {
                found.copies.push(copy);
            }
            found.user = found.user.take().or(s.user);
            found.host = found.host.take().or(s.host);
            if !found.revoker.can_revoke() && s.revoker.can_revoke() {
                found.revoker = s.revoker;
            }
            found.client_secret = found.client_secret.take().or(s.client_secret);
            for (k, t) in s.also {
                if !found
                    .also
                    .iter()
                    .any(|(_, u)| u.expose_secret() == t.expose_secret())
                {
                    found.also.push((k, t));
                }
            }
            continue;
        }
        let tag = ring::hmac::sign(id_key, &fp);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&tag.as_ref()[..16]);
        let id = uuid::Builder::from_custom_bytes(bytes).into_uuid();
        by_secret.push((
            fp,
            FoundSession {
                id: AccountId::parse(&id.to_string()).expect("a UUID"),
                tool: s.tool,
                user: s.user,
                host: s.host,
                copies: vec![copy],
                revoker: s.revoker,
                kind: s.kind,
                secret: s.secret,
                also: s.also,
                client_secret: s.client_secret,
            },
        ));
    }
    by_secret.into_iter().map(|(_, f)| f).collect()
}

/// Every tool Signoff reads.
pub fn all_tools() -> Vec<Box<dyn Tool>> {
    tools::all()
}

/// Scans every tool's stores, grouping copies of one secret into one session.
///
/// The tools are independent readers, so each scans on a thread of its own (the keyring ones
/// share the one connection `env` holds); what they saw is then taken in `tools` order, so
/// the sessions, their copies and the problems come in the same order as one after another.
/// A tool that panics makes the scan panic, as it would without threads.
pub fn scan(env: &Env, tools: &[Box<dyn Tool>], id_key: &ring::hmac::Key) -> Scan {
    let per_tool: Vec<ToolScan> = std::thread::scope(|s| {
        let running: Vec<_> = tools
            .iter()
            .map(|tool| s.spawn(move || tool.scan(env)))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut sightings = Vec::new();
    let mut problems = Vec::new();
    for t in per_tool {
        sightings.extend(t.sightings);
        problems.extend(t.problems);
    }
    Scan {
        sessions: group(sightings, id_key),
        problems,
    }
}

/// What a scan of this computer found.
#[derive(Debug, Default)]
pub struct Scan {
    pub sessions: Vec<FoundSession>,
    pub problems: Vec<StoreProblem>,
}

#[cfg(test)]
mod tests;
