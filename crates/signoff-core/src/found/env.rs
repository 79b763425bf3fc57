//! Where the tools' stores are: the home folder and the environment variables that move them
//! (`GH_CONFIG_DIR`, `KUBECONFIG`, `XDG_CONFIG_HOME`, …), read once per scan, and the keyring
//! the tools share.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::keyring::Keyring;

/// The environment a scan reads the tools' stores from.
pub struct Env {
    pub home: PathBuf,
    vars: HashMap<String, String>,
    /// Where backups of edited files go (Signoff's own data folder).
    pub backups: PathBuf,
    keyring: OnceLock<Result<Keyring, String>>,
    /// Tests leave the keyring out (`None`): keyring stores are then reported as not read.
    use_keyring: bool,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("home", &self.home)
            .field("backups", &self.backups)
            .finish_non_exhaustive()
    }
}

/// The variables the tools read to find their stores.
const VARS: &[&str] = &[
    "XDG_CONFIG_HOME",
    "GH_CONFIG_DIR",
    "GLAB_CONFIG_DIR",
    "CLOUDSDK_CONFIG",
    "AZURE_CONFIG_DIR",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "DOCKER_CONFIG",
    "KUBECONFIG",
    "KUBECACHEDIR",
    "NPM_CONFIG_USERCONFIG",
    "npm_config_userconfig",
    "NETRC",
    "VAULT_ADDR",
    "VAULT_CONFIG_PATH",
    // Where credential helpers (`docker-credential-<name>`) are looked up and run.
    "PATH",
];

impl Env {
    /// This process's home folder and environment.
    pub fn from_process(backups: PathBuf) -> Option<Self> {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .filter(|h| h.is_absolute())
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))?;
        let vars = VARS
            .iter()
            .filter_map(|v| Some(((*v).to_owned(), std::env::var(v).ok()?)))
            .collect();
        Some(Self {
            home,
            vars,
            backups,
            keyring: OnceLock::new(),
            use_keyring: true,
        })
    }

    /// An environment of exactly `home` and `vars` (tests, fuzzing), without a keyring.
    pub fn isolated(home: &Path, vars: &[(&str, &str)], backups: PathBuf) -> Self {
        Self {
            home: home.to_path_buf(),
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            backups,
            keyring: OnceLock::new(),
            use_keyring: false,
        }
    }

    /// A variable, when set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A path in the home folder.
    pub fn in_home(&self, rel: &str) -> PathBuf {
        self.home.join(rel)
    }

    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub fn config_home(&self) -> PathBuf {
        self.var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| self.in_home(".config"))
    }

    /// Reads the session's keyring too (an [`Env::isolated`] one does not by default).
    pub fn with_keyring(mut self) -> Self {
        self.use_keyring = true;
        self
    }

    /// The session's Secret Service, connected on first use: `Ok(None)` when this run leaves
    /// the keyring out, `Err` says why it cannot be read.
    pub fn keyring(&self) -> Result<Option<&Keyring>, String> {
        if !self.use_keyring {
            return Ok(None);
        }
        self.keyring
            .get_or_init(Keyring::connect)
            .as_ref()
            .map(Some)
            .map_err(Clone::clone)
    }
}
