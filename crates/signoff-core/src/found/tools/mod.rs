//! One file per tool: where it keeps sessions and how a copy is removed in its format.

mod aws;
mod az;
mod docker;
mod gcloud;
mod gh;
mod git;
mod glab;
mod kubectl;
mod netrc;
mod npm;
mod vault;

use std::path::Path;

use super::edit::{self, EditError, Edited};
use super::{Env, Place, Removed, StoreProblem, ToolId};
use crate::secret::SecretString;

/// Every tool Signoff reads, in the order scans list them.
pub fn all() -> Vec<Box<dyn super::Tool>> {
    vec![
        Box::new(gh::Gh),
        Box::new(git::Git),
        Box::new(kubectl::Kubectl),
        Box::new(docker::Docker),
        Box::new(npm::Npm),
        Box::new(netrc::Netrc),
        Box::new(vault::Vault),
        Box::new(gcloud::Gcloud),
        Box::new(aws::Aws),
        Box::new(glab::Glab),
        Box::new(az::Az),
    ]
}

/// A file's text: `Ok(None)` when it does not exist, `Err(problem)` when it cannot be read.
pub(super) fn read_store(tool: ToolId, path: &Path) -> Result<Option<String>, StoreProblem> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| StoreProblem {
                tool,
                store: path.display().to_string(),
                reason: "not UTF-8 text; left untouched".into(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(None),
        Err(e) => Err(StoreProblem {
            tool,
            store: path.display().to_string(),
            reason: format!("cannot be read ({e}); left untouched"),
        }),
    }
}

/// [`read_store`], its problem added to `problems`: `None` when there is nothing to read.
pub(super) fn read_or_report(
    tool: ToolId,
    path: &Path,
    problems: &mut Vec<StoreProblem>,
) -> Option<String> {
    read_store(tool, path).unwrap_or_else(|p| {
        problems.push(p);
        None
    })
}

/// A problem with a store that could be read but not understood.
pub(super) fn unparsable(
    tool: ToolId,
    path: &Path,
    reason: impl std::fmt::Display,
) -> StoreProblem {
    StoreProblem {
        tool,
        store: path.display().to_string(),
        reason: format!("{reason}; left untouched"),
    }
}

/// The unlocked items of the session keyring whose attributes include `attributes`, read for
/// the store `store` names. Items in a locked collection are counted and reported, never
/// unlocked; a failed search is reported. `None` when this run leaves the keyring out or it
/// cannot be reached (reported once: the caller stops asking).
pub(super) fn keyring_items(
    env: &Env,
    tool: ToolId,
    attributes: &[(&str, &str)],
    store: &str,
    problems: &mut Vec<StoreProblem>,
) -> Option<Vec<super::keyring::ForeignItem>> {
    let problem = |reason: String| StoreProblem {
        tool,
        store: format!("keyring ({store})"),
        reason,
    };
    let keyring = match env.keyring() {
        Ok(Some(k)) => k,
        Ok(None) => return None,
        Err(why) => {
            if !problems.iter().any(|p| p.tool == tool && p.reason == why) {
                problems.push(problem(why));
            }
            return None;
        }
    };
    match keyring.search(attributes) {
        Ok(found) => {
            if found.locked > 0 {
                problems.push(problem(format!(
                    "{} item(s) are in a locked keyring; unlock it and scan again",
                    found.locked
                )));
            }
            Some(found.items)
        }
        Err(reason) => {
            problems.push(problem(reason));
            Some(Vec::new())
        }
    }
}

/// True for an item shaped as zalando/go-keyring writes them (gh, glab): the attributes
/// `service` and `username` only (libsecret's own tools add `xdg:schema`).
pub(super) fn go_keyring_shaped(item: &super::keyring::ForeignItem) -> bool {
    item.attributes.contains_key("username")
        && item
            .attributes
            .keys()
            .all(|k| ["service", "username", "xdg:schema"].contains(&k.as_str()))
}

/// Removes a keyring copy: the items with exactly its attributes that hold the secret.
pub(super) fn remove_keyring_item(
    env: &Env,
    place: &Place,
    secrets: &[&SecretString],
) -> Result<Removed, EditError> {
    let Place::Keyring { attributes, .. } = place else {
        return Err(EditError::Keyring("not a keyring item".into()));
    };
    let keyring = env
        .keyring()
        .map_err(EditError::Keyring)?
        .ok_or_else(|| EditError::Keyring("the keyring is not used in this run".into()))?;
    let mut deleted = 0;
    for s in secrets {
        deleted += keyring
            .delete_matching(attributes, s)
            .map_err(EditError::Keyring)?;
    }
    Ok(Removed {
        place: place.clone(),
        backup: None,
        was_there: deleted > 0,
    })
}

/// Removes a file copy with `edit` (the tool's format), atomically and with a backup.
pub(super) fn remove_in_file(
    env: &Env,
    tool: ToolId,
    place: &Place,
    secrets: &[&SecretString],
    edit: impl FnMut(&str) -> Result<Option<Edited>, String>,
) -> Result<Removed, EditError> {
    edit::rewrite(place, &env.backups, tool.as_str(), secrets, edit)
}

/// The secrets as plain text, for matching inside a file's text.
pub(super) fn exposed<'a>(secrets: &'a [&SecretString]) -> Vec<&'a str> {
    secrets.iter().map(|s| s.expose_secret()).collect()
}

#[cfg(test)]
pub(super) mod testing {
    //! What the tools' unit tests share: a home folder of files.

    use std::path::Path;

    use crate::found::{Env, Sighting, Tool};

    /// An isolated environment over `home` (no keyring), backups under `home/.backups`.
    pub fn env(home: &Path, vars: &[(&str, &str)]) -> Env {
        Env::isolated(home, vars, home.join(".signoff-backups"))
    }

    /// Writes `text` at `rel` under `home` with `mode`.
    pub fn write(home: &Path, rel: &str, text: &str, mode: u32) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// Scans and panics on any problem.
    pub fn scan_ok(tool: &dyn Tool, env: &Env) -> Vec<Sighting> {
        let s = tool.scan(env);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        s.sightings
    }
}
