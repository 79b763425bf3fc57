//! On a terminal: colour and progress; in a pipe or with NO_COLOR: plain text.

use std::process::Command;

use signoff_tests::servers;

use crate::{add, signoff_async, signoff_bin, write_providers};

/// Runs `signoff` under a pseudo-terminal (util-linux `script`) and returns what it drew.
async fn on_a_terminal(
    home: &std::path::Path,
    args: &str,
    stdin_file: Option<&std::path::Path>,
    no_color: bool,
) -> String {
    let mut line = format!(
        "{} --home {} {args}",
        signoff_bin().display(),
        home.display()
    );
    if let Some(f) = stdin_file {
        line.push_str(&format!(" < {}", f.display()));
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_on_a_terminal_only_and_never_with_no_color() {
    let home = tempfile::tempdir().unwrap();
    let meshy = servers::meshydb("pk_right").await;
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"meshydb\"\nclient_id = \"pk_wrong\"\nrevocation_endpoint = \"{}acme/connect/revocation\"\n",
            meshy.base
        ),
    );
    add(
        home.path(),
        "meshydb",
        "Colourful",
        r#"{"refresh_token":"tty-rt"}"#,
    )
    .await;
    let coloured = on_a_terminal(home.path(), "signout --all", None, false).await;
    assert!(coloured.contains("failed"), "{coloured}");
    assert!(
        coloured.contains("\u{1b}["),
        "colour on a terminal: {coloured:?}"
    );

    add(
        home.path(),
        "meshydb",
        "Plain",
        r#"{"refresh_token":"tty-rt-2"}"#,
    )
    .await;
    let plain = on_a_terminal(home.path(), "signout --all", None, true).await;
    assert!(plain.contains("failed"), "{plain}");
    assert!(!plain.contains("\u{1b}["), "NO_COLOR: {plain:?}");

    add(
        home.path(),
        "meshydb",
        "Piped",
        r#"{"refresh_token":"tty-rt-3"}"#,
    )
    .await;
    let mut piped = Command::new(signoff_bin());
    piped
        .arg("--home")
        .arg(home.path())
        .args(["signout", "--all"])
        .env_remove("NO_COLOR");
    let piped = String::from_utf8_lossy(&piped.output().unwrap().stdout).into_owned();
    assert!(
        piped.contains("failed") && !piped.contains("\u{1b}["),
        "pipe: {piped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_revoke_shows_progress_on_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let meshy = servers::meshydb("pk").await;
    meshy.fail_always(Some(servers::Fault::Slow(
        std::time::Duration::from_millis(20),
    )));
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"meshydb\"\nclient_id = \"pk\"\nrevocation_endpoint = \"{}acme/connect/revocation\"\n",
            meshy.base
        ),
    );
    let tokens = home.path().join("tokens.txt");
    std::fs::write(
        &tokens,
        (0..300)
            .map(|i| format!("tty-bulk-{i}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let drawn = on_a_terminal(
        home.path(),
        "revoke meshydb --concurrency 4",
        Some(&tokens),
        false,
    )
    .await;
    assert!(
        drawn.contains("tokens revoked or checked"),
        "progress drawn: {drawn:?}"
    );
    assert!(drawn.contains("300 tokens: 300 revoked"), "{drawn:?}");
    let piped = signoff_async(home.path(), &["revoke", "meshydb"], "tty-bulk-0\n").await;
    let all = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !all.contains("tokens revoked or checked"),
        "no progress in a pipe"
    );
}

#[test]
fn version_names_the_licence_and_the_bundled_assets_licences_and_needs_no_data_folder() {
    let home = tempfile::tempdir().unwrap();
    let out = crate::signoff(&home.path().join("not-made"), &["--version"], "");
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let text = crate::stdout(&out);
    assert!(
        text.starts_with(&format!("signoff {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("Licence: MIT OR Apache-2.0"), "{text}");
    assert!(text.contains("Simple Icons 16.37.0, CC0-1.0"), "{text}");
    assert!(
        !home.path().join("not-made").exists(),
        "--version touches nothing"
    );
    let short = crate::signoff(home.path(), &["-V"], "");
    assert_eq!(
        crate::stdout(&short).trim(),
        format!("signoff {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_app_s_version_and_help_need_no_display() {
    let app = signoff_tests::built_binary("signoff-app", "SIGNOFF_APP_BIN");
    // With no display at all, as from a text console.
    let run = |arg: &str| {
        Command::new(&app)
            .arg(arg)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap()
    };
    let out = run("--version");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("signoff-app {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("Licence: MIT OR Apache-2.0"), "{text}");
    let help = run("--help");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--hidden"), "{help}");
    assert_eq!(run("--nope").status.code(), Some(2));
}
