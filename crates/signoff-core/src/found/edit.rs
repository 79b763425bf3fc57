//! Removing a secret from another tool's file: re-read it, edit it in its own format (the
//! tool's module does that part), then replace it atomically — written beside, fsynced,
//! renamed over — keeping its mode. The previous version is kept as a backup in Signoff's data
//! folder with every removed secret blanked out, so no backup ever holds a token. A file that
//! changes while this runs is read again, never clobbered.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Place, Removed};
use crate::error::ErrorCode;
use crate::secret::SecretString;

/// What stands in for a removed secret in a backup.
pub const BLANKED: &str = "REMOVED-BY-SIGNOFF";

/// Why a copy could not be removed. The store is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{} could not be read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not something Signoff can edit safely ({reason}); it was left as it was", path.display())]
    Unsupported { path: PathBuf, reason: String },
    #[error("{} kept changing while Signoff was editing it; it was left as it was", path.display())]
    Changed { path: PathBuf },
    #[error("{} could not be written: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the keyring item could not be removed: {0}")]
    Keyring(String),
    #[error("{program} could not remove the entry: {detail}")]
    Helper { program: String, detail: String },
}

impl EditError {
    /// The stable code the window and the CLI branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Read { .. } => ErrorCode::ToolStoreUnreadable,
            Self::Unsupported { .. } => ErrorCode::ToolStoreUnsupported,
            Self::Changed { .. } => ErrorCode::ToolStoreChanged,
            Self::Write { .. } => ErrorCode::ToolStoreUnwritable,
            Self::Keyring(_) => ErrorCode::KeychainError,
            Self::Helper { .. } => ErrorCode::ToolHelperFailed,
        }
    }
}

/// A file's new text and what else to blank in the backup (encoded forms of the secret, such
/// as Docker's base64 `auth`).
#[derive(Debug)]
pub struct Edited {
    pub text: String,
    pub blank: Vec<String>,
}

impl From<String> for Edited {
    fn from(text: String) -> Self {
        Self {
            text,
            blank: Vec::new(),
        }
    }
}

/// How many times a file that changed under the edit is read again before giving up.
const ATTEMPTS: usize = 3;

/// Removes a copy from the file at `place`: `edit` gets the current text and returns the new
/// one, `Ok(None)` when the secrets are not in it (any more), or why it cannot edit.
pub fn rewrite(
    place: &Place,
    backups: &Path,
    tool: &str,
    secrets: &[&SecretString],
    mut edit: impl FnMut(&str) -> Result<Option<Edited>, String>,
) -> Result<Removed, EditError> {
    let Some(given) = place.path() else {
        return Err(EditError::Unsupported {
            path: PathBuf::new(),
            reason: "not a file".into(),
        });
    };
    // A symlinked file (dotfiles in a repository) is edited where it really is.
    let path = match fs::canonicalize(given) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(gone(place)),
        Err(source) => {
            return Err(EditError::Read {
                path: given.to_path_buf(),
                source,
            });
        }
    };
    for _ in 0..ATTEMPTS {
        let before = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(gone(place)),
            Err(source) => return Err(EditError::Read { path, source }),
        };
        let text = std::str::from_utf8(&before).map_err(|_| EditError::Unsupported {
            path: path.clone(),
            reason: "not UTF-8 text".into(),
        })?;
        let edited = match edit(text) {
            Ok(Some(e)) => e,
            Ok(None) => return Ok(gone(place)),
            Err(reason) => return Err(EditError::Unsupported { path, reason }),
        };
        if secrets
            .iter()
            .map(|s| s.expose_secret())
            .chain(edited.blank.iter().map(String::as_str))
            .any(|s| !s.is_empty() && edited.text.contains(s))
        {
            return Err(EditError::Unsupported {
                path,
                reason: "the token would still be in the file after the edit".into(),
            });
        }
        let mode = fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o600);
        let tmp = write_beside(&path, edited.text.as_bytes(), mode)?;
        // Still the text the edit was made from? Otherwise the tool wrote meanwhile: again.
        if fs::read(&path).ok().as_deref() != Some(&before[..]) {
            let _ = fs::remove_file(&tmp);
            continue;
        }
        let backup =
            write_backup(backups, tool, &path, text, secrets, &edited.blank).inspect_err(|_| {
                let _ = fs::remove_file(&tmp);
            })?;
        fs::rename(&tmp, &path).map_err(|source| {
            let _ = fs::remove_file(&tmp);
            EditError::Write {
                path: path.clone(),
                source,
            }
        })?;
        sync_dir(&path);
        return Ok(Removed {
            place: place.clone(),
            backup: Some(backup),
            was_there: true,
        });
    }
    Err(EditError::Changed { path })
}

/// Deletes a file that holds nothing but the session (AWS's SSO cache entry, `~/.vault-token`)
/// when it still holds one of `secrets`, keeping a blanked backup.
pub fn delete_file(
    place: &Place,
    backups: &Path,
    tool: &str,
    secrets: &[&SecretString],
) -> Result<Removed, EditError> {
    let Some(path) = place.path() else {
        return Err(EditError::Unsupported {
            path: PathBuf::new(),
            reason: "not a file".into(),
        });
    };
    let text = match fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(gone(place)),
        Err(source) => {
            return Err(EditError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !secrets.iter().any(|s| text.contains(s.expose_secret())) {
        return Ok(gone(place));
    }
    let backup = write_backup(backups, tool, path, &text, secrets, &[])?;
    fs::remove_file(path).map_err(|source| EditError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    sync_dir(path);
    Ok(Removed {
        place: place.clone(),
        backup: Some(backup),
        was_there: true,
    })
}

fn gone(place: &Place) -> Removed {
    Removed {
        place: place.clone(),
        backup: None,
        was_there: false,
    }
}

/// Writes `bytes` to a new file beside `path` with `mode`, fsynced; returns its path.
fn write_beside(path: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf, EditError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.signoff-{:08x}", fastrand::u32(..)));
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        // `mode` passes through the umask on create; set it exactly.
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.sync_all()
    };
    write().map_err(|source| {
        let _ = fs::remove_file(&tmp);
        EditError::Write {
            path: path.to_path_buf(),
            source,
        }
    })?;
    Ok(tmp)
}

/// The old text with every secret (and each of `blank`) replaced by [`BLANKED`], saved in
/// `backups` (mode 0600) under a name that says when, which tool and which file.
fn write_backup(
    backups: &Path,
    tool: &str,
    path: &Path,
    text: &str,
    secrets: &[&SecretString],
    blank: &[String],
) -> Result<PathBuf, EditError> {
    let removed: Vec<&str> = secrets
        .iter()
        .map(|s| s.expose_secret())
        .chain(blank.iter().map(String::as_str))
        .filter(|s| !s.is_empty())
        .collect();
    // The marker must not bring a secret back (a secret inside the marker, or one the marker
    // completes with the text beside it): the first that leaves none is used.
    let blanked = [BLANKED, "********", "########", "~~~~~~~~"]
        .iter()
        .map(|marker| {
            removed
                .iter()
                .fold(text.to_owned(), |t, s| t.replace(s, marker))
        })
        .find(|b| !removed.iter().any(|s| b.contains(s)))
        .ok_or_else(|| EditError::Unsupported {
            path: path.to_path_buf(),
            reason: "no backup without the token could be made".into(),
        })?;
    let err = |source| EditError::Write {
        path: backups.to_path_buf(),
        source,
    };
    fs::create_dir_all(backups).map_err(err)?;
    let _ = fs::set_permissions(backups, fs::Permissions::from_mode(0o700));
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_start_matches('.').to_owned())
        .unwrap_or_else(|| "file".into());
    let target = backups.join(format!("{stamp}-{tool}-{name}-{:04x}", fastrand::u16(..)));
    let tmp = write_beside(&target, blanked.as_bytes(), 0o600)?;
    fs::rename(&tmp, &target).map_err(err)?;
    Ok(target)
}

/// Makes a rename in `path`'s folder durable (best effort: some file systems refuse).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(d) = fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}
