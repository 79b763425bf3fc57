//! Where Signoff keeps its files: the platform's data and config dirs, or `$SIGNOFF_HOME`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that puts all of Signoff's files under one directory.
pub const HOME_ENV: &str = "SIGNOFF_HOME";

/// The directories Signoff reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Database and logs.
    pub data_dir: PathBuf,
    /// `providers.toml`.
    pub config_dir: PathBuf,
}

impl Paths {
    /// `$SIGNOFF_HOME` when set (and not empty), otherwise the platform dirs
    /// (`~/.local/share/signoff` and `~/.config/signoff` on Linux).
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(HOME_ENV) {
            Some(home) if !home.is_empty() => Ok(Self::under(Path::new(&home))),
            _ => Self::platform(),
        }
    }

    /// Everything under one directory (what `--home` and `$SIGNOFF_HOME` mean).
    pub fn under(home: &Path) -> Self {
        Self {
            data_dir: home.to_path_buf(),
            config_dir: home.to_path_buf(),
        }
    }

    /// The platform's per-user directories.
    pub fn platform() -> Result<Self> {
        let dirs = directories::ProjectDirs::from("", "", "signoff").ok_or_else(|| {
            Error::invalid(
                "home",
                "no home directory found: set SIGNOFF_HOME to a directory",
            )
        })?;
        Ok(Self {
            data_dir: dirs.data_dir().to_path_buf(),
            config_dir: dirs.config_dir().to_path_buf(),
        })
    }

    /// What Signoff's keychain entries of this data folder carry in their `home` attribute: the
    /// folder's canonical path. Entries of another folder (`--home`, `$SIGNOFF_HOME`) are never
    /// read, listed, replaced or deleted from this one.
    pub fn keychain_scope(&self) -> String {
        std::fs::canonicalize(&self.data_dir)
            .unwrap_or_else(|_| self.data_dir.clone())
            .to_string_lossy()
            .into_owned()
    }

    /// True when these are the platform's per-user directories (no `--home`, no
    /// `$SIGNOFF_HOME`): only that data folder adopts keychain entries written before entries
    /// carried a `home` attribute.
    pub fn is_platform_default(&self) -> bool {
        Self::platform().is_ok_and(|p| p == *self)
    }

    /// The SQLite database.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("signoff.db")
    }

    /// The directory of rolling log files.
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Creates the directories (owner-only on Unix), then refuses them, the database and
    /// `providers.toml` when another user owns them or group or others may write them.
    pub fn ensure(&self) -> Result<()> {
        for dir in [&self.data_dir, &self.config_dir] {
            create_private_dir(dir)?;
        }
        let providers = self.config_dir.join("providers.toml");
        for path in [
            &self.data_dir,
            &self.config_dir,
            &self.database(),
            &providers,
        ] {
            crate::perms::check(path, crate::perms::Owner::CurrentUser)
                .map_err(|detail| Error::UnsafePermissions { detail })?;
        }
        Ok(())
    }
}

/// Creates `dir` and its missing parents, owner-only (0700) on Unix.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let io = |source| Error::Io {
        action: "cannot create directory",
        path: dir.into(),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_home_puts_everything_in_one_place() {
        let p = Paths::under(Path::new("/tmp/x"));
        assert_eq!(p.database(), Path::new("/tmp/x/signoff.db"));
        assert_eq!(p.log_dir(), Path::new("/tmp/x/logs"));
        assert_eq!(p.config_dir, Path::new("/tmp/x"));
    }

    #[test]
    fn ensure_creates_private_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let p = Paths::under(&tmp.path().join("a/b"));
        p.ensure().unwrap();
        assert!(p.data_dir.is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p.data_dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
