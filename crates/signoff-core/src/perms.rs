//! The files and folders Signoff trusts must be its person's own, as OpenSSH insists for
//! `~/.ssh`: a data folder, database or `providers.toml` that another user owns, or that group
//! or others may write, could be swapped for one that points sign-outs elsewhere. The
//! system-wide `providers.toml` must be root's and not writable by others.

use std::path::Path;

/// Who must own a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The user running Signoff.
    CurrentUser,
    /// `root` (system-wide configuration).
    Root,
}

/// `Err(why)` when `path` is not owned as `owner` says, or group or others may write to it.
/// A path that does not exist passes (there is nothing to trust yet).
#[cfg(unix)]
pub fn check(path: &Path, owner: Owner) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{} cannot be inspected: {e}", path.display())),
    };
    let (uid, who) = match owner {
        Owner::CurrentUser => (rustix::process::getuid().as_raw(), "you"),
        Owner::Root => (0, "root"),
    };
    if meta.uid() != uid {
        return Err(format!(
            "{} belongs to another user (uid {}), not to {who}",
            path.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "{} may be written by {} (mode {:o}); run `chmod go-w {}`",
            path.display(),
            if meta.mode() & 0o002 != 0 {
                "anyone"
            } else {
                "its group"
            },
            meta.mode() & 0o7777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check(_path: &Path, _owner: Owner) -> Result<(), String> {
    Ok(())
}

/// Makes a file the owner's alone (0600 on Unix).
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn writable_by_group_or_others_is_refused_private_passes() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("providers.toml");
        std::fs::write(&f, "").unwrap();
        for (mode, ok) in [(0o600, true), (0o644, true), (0o664, false), (0o666, false)] {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
            let got = check(&f, Owner::CurrentUser);
            assert_eq!(got.is_ok(), ok, "{mode:o}: {got:?}");
        }
        assert!(check(&dir.path().join("absent"), Owner::CurrentUser).is_ok());
    }

    #[test]
    fn another_owner_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("signoff.db");
        std::fs::write(&f, "").unwrap();
        // Whoever runs the tests owns the file: it passes for them, and is not root's unless
        // they are root.
        assert!(check(&f, Owner::CurrentUser).is_ok());
        let root = rustix::process::getuid().is_root();
        assert_eq!(check(&f, Owner::Root).is_ok(), root);
        if root {
            // As root the test can give the file away, and then it is refused.
            std::os::unix::fs::chown(&f, Some(65534), None).unwrap();
            let why = check(&f, Owner::CurrentUser).unwrap_err();
            assert!(why.contains("belongs to another user (uid 65534)"), "{why}");
        }
    }
}
