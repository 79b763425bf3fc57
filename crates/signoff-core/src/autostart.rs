//! "Start Signoff in the tray when I log in": the XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/dev.signoff.app.desktop`, the Desktop Application Autostart
//! Specification) that starts `signoff-app --hidden` at login. Writing it turns the setting on,
//! removing it turns it off; the file is the setting, so a person who deletes it by hand has
//! turned it off too.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::paths::{HOME_ENV, Paths};

/// The entry's file name: the app's identifier, as the desktop entry specification advises.
pub const FILE_NAME: &str = "dev.signoff.app.desktop";

/// The setting as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AutostartView {
    /// Signoff starts in the tray at login.
    pub enabled: bool,
    /// Why a start in the tray would open the window instead (no tray on this desktop now).
    pub no_tray: Option<String>,
}

/// The autostart entry of one person's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autostart {
    /// `…/autostart/dev.signoff.app.desktop`.
    pub file: PathBuf,
}

impl Autostart {
    /// The entry under `$XDG_CONFIG_HOME/autostart` (`~/.config/autostart`).
    pub fn for_this_session() -> Result<Self> {
        let dirs = directories::BaseDirs::new().ok_or_else(|| {
            Error::invalid("home", "no home directory found, so no autostart folder")
        })?;
        Ok(Self::in_dir(&dirs.config_dir().join("autostart")))
    }

    /// The entry in `dir` (tests).
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            file: dir.join(FILE_NAME),
        }
    }

    /// Whether Signoff starts at login: the entry is there and not switched off
    /// (`Hidden=true` or `X-GNOME-Autostart-enabled=false`, which session settings write).
    pub fn is_enabled(&self) -> Result<bool> {
        match std::fs::read_to_string(&self.file) {
            Ok(text) => Ok(!text.lines().map(str::trim).any(|l| {
                l.eq_ignore_ascii_case("Hidden=true")
                    || l.eq_ignore_ascii_case("X-GNOME-Autostart-enabled=false")
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_error("cannot read", &self.file, e)),
        }
    }

    /// Writes the entry: `app` (the `signoff-app` binary) with `--hidden`, on `paths`' data
    /// folder when it is not the platform's default one. Replaces an entry already there.
    pub fn enable(&self, app: &Path, paths: &Paths) -> Result<()> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
        let text = entry(app, paths);
        // Written beside and renamed over, so a half-written entry never starts anything.
        let tmp = self.file.with_extension("desktop.tmp");
        std::fs::write(&tmp, text).map_err(|e| io_error("cannot write", &tmp, e))?;
        std::fs::rename(&tmp, &self.file).map_err(|e| io_error("cannot write", &self.file, e))
    }

    /// Removes the entry; nothing to do when it is not there.
    pub fn disable(&self) -> Result<()> {
        match std::fs::remove_file(&self.file) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("cannot remove", &self.file, e)),
        }
    }
}

/// The desktop entry's text.
fn entry(app: &Path, paths: &Paths) -> String {
    let mut exec = Vec::new();
    if !paths.is_platform_default() {
        exec.push("env".to_owned());
        exec.push(quote(&format!("{HOME_ENV}={}", paths.data_dir.display())));
    }
    exec.push(quote(&app.to_string_lossy()));
    exec.push("--hidden".to_owned());
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Signoff\n\
         Comment=Start Signoff in the tray when I log in\n\
         Exec={}\n\
         TryExec={}\n\
         Icon=signoff-app\n\
         Terminal=false\n\
         X-GNOME-Autostart-enabled=true\n",
        exec.join(" "),
        // A plain string value (only `\\` escaped): once the program is gone (the package
        // removed), the session skips the entry instead of failing to start it.
        app.to_string_lossy().replace('\\', "\\\\")
    )
}

/// One argument of an `Exec` key: quoted when it holds anything but plain characters, with the
/// specification's escapes inside the quotes (`"`, `` ` ``, `$`, `\`), then the string type's
/// own escape of `\`; `%` is doubled (a field code otherwise).
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=,:@".contains(c));
    let arg = arg.replace('%', "%%");
    if plain {
        return arg;
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted.replace('\\', "\\\\")
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enable_writes_an_entry_that_starts_the_app_hidden_and_disable_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = Autostart::in_dir(&dir.path().join("autostart"));
        assert!(!autostart.is_enabled().unwrap());
        let home = tempfile::tempdir().unwrap();
        autostart
            .enable(
                Path::new("/opt/my apps/signoff-app"),
                &Paths::under(home.path()),
            )
            .unwrap();
        assert!(autostart.is_enabled().unwrap());
        let text = std::fs::read_to_string(&autostart.file).unwrap();
        assert!(text.starts_with("[Desktop Entry]\n"), "{text}");
        let exec = text.lines().find(|l| l.starts_with("Exec=")).unwrap();
        assert_eq!(
            exec,
            format!(
                "Exec=env SIGNOFF_HOME={} \"/opt/my apps/signoff-app\" --hidden",
                home.path().display()
            )
        );
        assert!(
            text.contains("\nTryExec=/opt/my apps/signoff-app\n"),
            "skipped once the app is uninstalled: {text}"
        );
        autostart.disable().unwrap();
        assert!(!autostart.file.exists());
        assert!(!autostart.is_enabled().unwrap());
        autostart.disable().unwrap();
    }

    #[test]
    fn an_entry_switched_off_by_the_session_settings_counts_as_off() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = Autostart::in_dir(dir.path());
        std::fs::write(
            &autostart.file,
            "[Desktop Entry]\nExec=signoff-app --hidden\nX-GNOME-Autostart-enabled=false\n",
        )
        .unwrap();
        assert!(!autostart.is_enabled().unwrap());
    }

    #[test]
    fn exec_arguments_are_escaped_as_the_desktop_entry_specification_says() {
        assert_eq!(quote("/usr/bin/signoff-app"), "/usr/bin/signoff-app");
        assert_eq!(quote("/a b/app"), "\"/a b/app\"");
        assert_eq!(quote("/a$b"), "\"/a\\\\$b\"");
        assert_eq!(quote("/100%"), "\"/100%%\"");
        assert_eq!(quote(r"/a\b"), "\"/a\\\\\\\\b\"");
    }
}
