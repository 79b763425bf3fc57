//! `signoff-dist ROOT`: writes the package's generated files under ROOT, at the paths they are
//! installed to (scripts/package.sh runs it, then hands them to the Tauri bundler):
//!
//! - `usr/share/man/man1/signoff.1` and one page per subcommand (`signoff-signout.1`,
//!   `signoff-account-login.1`, …), from the command's own clap definition with clap_mangen;
//! - `usr/share/man/man1/signoff-app.1`, the desktop app's page;
//! - the bash, zsh and fish completions from clap_complete, in each shell's system directory.
//!
//! The pages are written uncompressed; the packaging script compresses them as Debian wants.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;
use roff::{Roff, bold, roman};
use signoff_cli::args::Cli;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MANUAL: &str = "Signoff Manual";

fn main() -> ExitCode {
    let mut argv = std::env::args_os().skip(1);
    let (Some(root), None) = (argv.next(), argv.next()) else {
        eprintln!("usage: signoff-dist ROOT   (writes man pages and completions under ROOT)");
        return ExitCode::from(1);
    };
    match write_all(Path::new(&root)) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signoff-dist: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes every file, returning their paths.
fn write_all(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let man_dir = root.join("usr/share/man/man1");
    fs::create_dir_all(&man_dir)?;
    let mut written = Vec::new();

    // The command's `about` is its crate's description (for developers); the page's NAME line
    // says what it does, as the first line of its long help does.
    let mut cli = Cli::command()
        .about("sign out of your accounts for real, from a terminal or a script")
        .disable_help_subcommand(true);
    cli.build();
    write_cli_pages(&cli, &man_dir, &mut written)?;
    written.push(write_file(&man_dir.join("signoff-app.1"), &app_page()?)?);

    for (shell, path) in [
        (Shell::Bash, "usr/share/bash-completion/completions/signoff"),
        (Shell::Zsh, "usr/share/zsh/vendor-completions/_signoff"),
        (
            Shell::Fish,
            "usr/share/fish/vendor_completions.d/signoff.fish",
        ),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "signoff", &mut script);
        written.push(write_file(&root.join(path), &script)?);
    }
    Ok(written)
}

/// One page per visible (sub)command, named as clap_mangen's `generate_to` names them
/// (`signoff-account-login.1`; each page's SUBCOMMANDS section names its subcommands' pages),
/// with the version and manual in the title and a SEE ALSO section.
fn write_cli_pages(
    cmd: &clap::Command,
    man_dir: &Path,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_cli_pages(sub, man_dir, written)?;
    }
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("signoff {VERSION}"))
        .manual(MANUAL);
    let name = man.get_filename();
    let mut page = Vec::new();
    man.render(&mut page)?;
    let see_also: &[&str] = if name == "signoff.1" {
        &["signoff-app"]
    } else {
        &["signoff", "signoff-app"]
    };
    page.extend(see_also_section(see_also).render().into_bytes());
    written.push(write_file(&man_dir.join(name), &page)?);
    Ok(())
}

fn see_also_section(pages: &[&str]) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(*page));
        line.push(roman("(1)"));
    }
    roff.text(line);
    roff
}

/// The desktop app's command line: the app's own definition, this very file of src-tauri
/// (it needs only clap and the core), so the page cannot drift from what the app accepts.
#[path = "../../../../src-tauri/src/args.rs"]
#[allow(dead_code)]
mod app_args;

/// The app's definition with the long description its page opens with.
fn app_command() -> clap::Command {
    app_args::command().long_about(
        "Signoff lists the accounts you are signed in to across identity providers and signs \
         you out for real: it calls each provider's revoke or logout endpoint and deletes the \
         credentials from the keychain (the Secret Service). The window lists the accounts; \
         the tray menu offers \"Sign out everywhere\". Closing the window keeps Signoff in \
         the tray; starting it again shows the running one. The Settings tab's \"Start Signoff \
         in the tray when I log in\" writes ~/.config/autostart/dev.signoff.app.desktop, which \
         starts it with --hidden. The signoff(1) command does the same from a terminal or a \
         script.",
    )
}

fn app_page() -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(app_command())
        .source(format!("signoff {VERSION}"))
        .manual(MANUAL);
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    let mut roff = Roff::new();
    tagged_section(
        &mut roff,
        "ENVIRONMENT",
        &[
            (
                "SIGNOFF_HOME",
                "Keep all of Signoff's data (database, logs, profiles) in this directory.",
            ),
            (
                "SIGNOFF_LOG",
                "The log level or any tracing filter, e.g. debug (default: info).",
            ),
            (
                "WEBKIT_DISABLE_COMPOSITING_MODE",
                "Signoff turns WebKitGTK's accelerated compositing off unless this is set; \
             0 turns it back on.",
            ),
        ],
    );
    tagged_section(
        &mut roff,
        "FILES",
        &[
            (
                "~/.local/share/signoff/",
                "The database (signoff.db) and daily logs (logs/). Tokens are never written here: \
             they live only in the keychain.",
            ),
            ("~/.config/signoff/", "Your provider profiles."),
        ],
    );
    page.extend(roff.render().into_bytes());
    page.extend(see_also_section(&["signoff"]).render().into_bytes());
    Ok(page)
}

/// A section of tagged paragraphs: each name in bold, its text below.
fn tagged_section(roff: &mut Roff, title: &str, items: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (name, text) in items {
        roff.control("TP", [])
            .text([bold(*name)])
            .text([roman(*text)]);
    }
}

fn write_file(path: &Path, contents: &[u8]) -> std::io::Result<PathBuf> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, contents)?;
    Ok(path.to_path_buf())
}
