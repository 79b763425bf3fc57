//! Found on this computer, with the real tools from Debian writing their real stores: `gh`
//! (2.23: `hosts.yml` written by `gh config set`), `git` (`credential approve` into
//! `~/.git-credentials`), `npm` (`npm config set` into `~/.npmrc`). `signoff scan` finds the
//! sessions, one per secret however many stores hold it; `signoff signout` revokes at the test
//! servers (GitHub's and npm's documented calls) and removes every copy; the same tools then
//! confirm the session is gone from their point of view.

use std::path::Path;
use std::process::{Command, Output};

use crate::{json, signoff_cmd, stderr, stdout, write_providers};

/// gh's public OAuth app (cli/cli `internal/authflow/flow.go`).
const GH_CLIENT_ID: &str = "178c6fc778ccc68e1d6a";
const GH_CLIENT_SECRET: &str = "34ddeff2b558a23d38fba8a6de74f086ede1cc0b";

/// Variables that would move the tools' stores out of the test's home folder.
const MOVERS: &[&str] = &[
    "XDG_CONFIG_HOME",
    "GH_CONFIG_DIR",
    "GLAB_CONFIG_DIR",
    "CLOUDSDK_CONFIG",
    "AZURE_CONFIG_DIR",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "DOCKER_CONFIG",
    "KUBECONFIG",
    "NPM_CONFIG_USERCONFIG",
    "npm_config_userconfig",
    "NETRC",
    "VAULT_ADDR",
    "VAULT_CONFIG_PATH",
    "GH_TOKEN",
    "GITHUB_TOKEN",
];

/// A tool run with `user_home` as its home folder.
fn tool(user_home: &Path, program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).env("HOME", user_home);
    for v in MOVERS {
        cmd.env_remove(v);
    }
    cmd
}

fn run(cmd: Command, stdin: &str) -> Output {
    signoff_tests::session::run_with_stdin(cmd, stdin)
}

fn ok(o: Output, what: &str) -> Output {
    assert!(
        o.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `signoff --home home args` scanning `user_home`.
fn signoff_in(home: &Path, user_home: &Path, args: &[&str]) -> Output {
    let mut cmd = signoff_cmd(home, args);
    cmd.env("HOME", user_home);
    for v in MOVERS {
        cmd.env_remove(v);
    }
    run(cmd, "")
}

async fn signoff_in_async(home: &Path, user_home: &Path, args: &[&str]) -> Output {
    let (h, u) = (home.to_path_buf(), user_home.to_path_buf());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        signoff_in(&h, &u, &args)
    })
    .await
    .unwrap()
}

/// A GitHub test server knowing gh's app and `tokens`, where the `github` profile of the data
/// folder `home` points (the person's own override of the built-in's `base_url`).
async fn github_at(home: &Path, tokens: &[&str]) -> signoff_tests::servers::TestServer {
    let server = signoff_tests::servers::github(GH_CLIENT_ID, GH_CLIENT_SECRET).await;
    for t in tokens {
        server.issue(t);
    }
    write_providers(
        home,
        &format!(
            "[[provider]]\nid = \"github\"\nbase_url = \"{}\"\n",
            server.url("/").as_str().trim_end_matches('/')
        ),
    );
    server
}

/// Every file under `dir`, read as bytes, for "no token left anywhere" checks.
fn all_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(b) = std::fs::read(&p) {
                out.push((p, b));
            }
        }
    }
    out
}

fn holds(bytes: &[u8], token: &str) -> bool {
    bytes.windows(token.len()).any(|w| w == token.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn gh_and_git_hold_one_session_and_signing_out_ends_it_and_removes_both_copies() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path();
    let token = "gho_16C7e42F292c6912E7710c838347Ae178B4a";
    let server = github_at(home.path(), &[token]).await;
    // gh 2.23 writes the token into hosts.yml itself; git's store helper writes its line.
    ok(
        run(
            tool(
                u,
                "gh",
                &["config", "set", "-h", "github.com", "oauth_token", token],
            ),
            "",
        ),
        "gh config set",
    );
    ok(
        run(
            tool(
                u,
                "gh",
                &["config", "set", "-h", "github.com", "user", "octocat"],
            ),
            "",
        ),
        "gh config set",
    );
    ok(
        run(
            tool(
                u,
                "gh",
                &["config", "set", "-h", "github.com", "git_protocol", "https"],
            ),
            "",
        ),
        "gh config set",
    );
    ok(
        run(
            tool(
                u,
                "git",
                &["-c", "credential.helper=store", "credential", "approve"],
            ),
            &format!("protocol=https\nhost=github.com\nusername=octocat\npassword={token}\n\n"),
        ),
        "git credential approve",
    );
    assert_eq!(
        String::from_utf8_lossy(
            &ok(run(tool(u, "gh", &["auth", "token"]), ""), "gh auth token").stdout
        )
        .trim(),
        token
    );

    let scan = signoff_in_async(home.path(), u, &["--json", "scan"]).await;
    assert!(scan.status.success(), "{}", stderr(&scan));
    assert!(!stdout(&scan).contains(token), "a scan never shows a token");
    let v = json(&scan);
    let found = v["found"].as_array().unwrap();
    assert_eq!(found.len(), 1, "one secret is one session: {v}");
    let f = &found[0];
    assert_eq!(f["tool"], "gh");
    assert_eq!(f["user"], "octocat");
    assert_eq!(f["host"], "github.com");
    assert_eq!(f["provider"], "github");
    assert_eq!(f["revocable"], true);
    let stores: Vec<&str> = f["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tool"].as_str().unwrap())
        .collect();
    assert_eq!(stores, ["gh", "git"]);
    let id = f["id"].as_str().unwrap().to_owned();

    let list = json(&signoff_in_async(home.path(), u, &["--json", "account", "list"]).await);
    let listed = list["accounts"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["origin"], "gh");

    let out = signoff_in_async(home.path(), u, &["--json", "signout", &id]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains(token) && !stderr(&out).contains(token));
    let r = json(&out);
    let result = &r["results"][0];
    assert_eq!(result["outcome"], "revoked", "{r}");
    assert_eq!(result["origin"], "gh");
    assert_eq!(result["removed"].as_array().unwrap().len(), 2);
    assert!(
        server.is_ended(token),
        "GitHub was asked to revoke it, as gh's app"
    );

    // gh and git no longer have it; gh's other settings stay.
    let gh = run(tool(u, "gh", &["auth", "token"]), "");
    assert!(!gh.status.success() || String::from_utf8_lossy(&gh.stdout).trim().is_empty());
    let hosts = std::fs::read_to_string(u.join(".config/gh/hosts.yml")).unwrap();
    assert!(
        hosts.contains("git_protocol: https") && hosts.contains("user: octocat"),
        "{hosts}"
    );
    let mut fill = tool(
        u,
        "git",
        &["-c", "credential.helper=store", "credential", "fill"],
    );
    fill.env("GIT_TERMINAL_PROMPT", "0");
    let fill = run(
        fill,
        "protocol=https\nhost=github.com\nusername=octocat\n\n",
    );
    assert!(
        !String::from_utf8_lossy(&fill.stdout).contains("password="),
        "git still has it"
    );
    // No copy anywhere: not in the tools' files, not in the backups, not in Signoff's folder.
    for (p, b) in all_files(u).into_iter().chain(all_files(home.path())) {
        assert!(!holds(&b, token), "{} still holds the token", p.display());
    }
    let backups = all_files(&home.path().join("backups"));
    assert_eq!(backups.len(), 2, "one backup per edited file");
    // The audit log says whose session it was and where it was removed from.
    let audit = json(&signoff_in_async(home.path(), u, &["--json", "audit"]).await);
    let entry = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "sign_out")
        .unwrap_or_else(|| panic!("{audit}"));
    let detail = entry["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("found in gh's store; removed from "),
        "{detail}"
    );
    assert!(detail.contains(".git-credentials"), "{detail}");
    assert!(!audit.to_string().contains(token));

    // A scan now finds nothing, and the account is no longer listed.
    let again = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    assert_eq!(again["found"].as_array().unwrap().len(), 0);
    let list = json(&signoff_in_async(home.path(), u, &["--json", "account", "list"]).await);
    assert_eq!(list["accounts"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_npm_registry_token_is_revoked_at_that_registry_and_leaves_npmrc_otherwise_intact() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path();
    let server = signoff_tests::servers::npm().await;
    let token = "npm_k3yFr0mTh3T3stR3g1stry0000000000000";
    server.issue(token);
    let registry = server.url("/").to_string();
    let dart = registry.trim_start_matches("http:");
    ok(
        run(
            tool(
                u,
                "npm",
                &["config", "set", &format!("registry={registry}")],
            ),
            "",
        ),
        "npm config set",
    );
    ok(
        run(
            tool(
                u,
                "npm",
                &["config", "set", &format!("{dart}:_authToken={token}")],
            ),
            "",
        ),
        "npm config set",
    );
    ok(
        run(tool(u, "npm", &["config", "set", "fund=false"]), ""),
        "npm config set",
    );
    let who = run(tool(u, "npm", &["whoami", "--registry", &registry]), "");
    assert!(
        who.status.success(),
        "npm whoami before: {}",
        String::from_utf8_lossy(&who.stderr)
    );

    let v = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    let f = &v["found"][0];
    assert_eq!(f["tool"], "npm");
    assert_eq!(f["provider"], "npm");
    assert_eq!(f["revoker"]["base_url"], registry.as_str());
    let id = f["id"].as_str().unwrap().to_owned();
    // The confirmation names the call at that registry (not at registry.npmjs.org).
    let dry =
        json(&signoff_in_async(home.path(), u, &["--json", "signout", "--all", "--dry-run"]).await);
    let call = dry["providers"][0]["calls"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(call.starts_with(&registry), "{dry}");
    assert!(!dry.to_string().contains(token));
    let out = signoff_in_async(home.path(), u, &["--json", "signout", "--all"]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(json(&out)["results"][0]["account"], id.as_str());
    assert_eq!(json(&out)["results"][0]["outcome"], "revoked");
    assert!(server.is_ended(token));
    let who = run(tool(u, "npm", &["whoami", "--registry", &registry]), "");
    assert!(
        !who.status.success(),
        "npm whoami after: {}",
        String::from_utf8_lossy(&who.stdout)
    );
    let npmrc = std::fs::read_to_string(u.join(".npmrc")).unwrap();
    assert!(!npmrc.contains(token));
    assert!(
        npmrc.contains("fund=false") && npmrc.contains("registry="),
        "{npmrc}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_provider_moves_the_token_into_the_outbox_and_signs_the_tool_out() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path();
    let server = signoff_tests::servers::npm().await;
    let token = "npm_pend1ngT0k3n00000000000000000000000";
    server.issue(token);
    let registry = server.url("/").to_string();
    let dart = registry.trim_start_matches("http:");
    ok(
        run(
            tool(
                u,
                "npm",
                &["config", "set", &format!("{dart}:_authToken={token}")],
            ),
            "",
        ),
        "npm config set",
    );
    ok(
        run(
            tool(
                u,
                "npm",
                &["config", "set", &format!("registry={registry}")],
            ),
            "",
        ),
        "npm config set",
    );
    let v = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    let id = v["found"][0]["id"].as_str().unwrap().to_owned();
    server.fail_always(Some(signoff_tests::servers::Fault::Unavailable {
        retry_after: None,
    }));
    let out = signoff_in_async(home.path(), u, &["--json", "signout", &id]).await;
    let r = json(&out);
    assert_eq!(r["results"][0]["outcome"], "pending", "{r}");
    assert!(
        !std::fs::read_to_string(u.join(".npmrc"))
            .unwrap()
            .contains(token),
        "npm is signed out here"
    );
    assert!(server.is_live(token));
    // The provider comes back: the retry ends it, from the keychain outbox.
    server.fail_always(None);
    let out = signoff_in_async(home.path(), u, &["--json", "pending", "retry"]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        json(&out)["results"][0]["outcome"],
        "revoked",
        "{}",
        stdout(&out)
    );
    assert!(server.is_ended(token));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_the_tool_replaced_since_the_scan_is_never_touched_and_a_rescan_follows_it() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path();
    let (old, new) = (
        "gho_0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0ld0l",
        "gho_n3wn3wn3wn3wn3wn3wn3wn3wn3wn3wn3wn3",
    );
    let server = github_at(home.path(), &[old, new]).await;
    let set = |t: &str| {
        ok(
            run(
                tool(
                    u,
                    "gh",
                    &["config", "set", "-h", "github.com", "oauth_token", t],
                ),
                "",
            ),
            "gh config set",
        )
    };
    set(old);
    let first = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    let old_id = first["found"][0]["id"].as_str().unwrap().to_owned();
    // gh signs in again meanwhile: its file now holds another token.
    set(new);
    let out = signoff_in_async(home.path(), u, &["--json", "signout", &old_id]).await;
    let r = json(&out);
    assert_eq!(r["results"].as_array().unwrap().len(), 0, "{r}");
    assert!(
        r["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("no longer holds"),
        "{r}"
    );
    assert!(
        server.is_live(old) && server.is_live(new),
        "nothing was revoked"
    );
    let hosts = std::fs::read_to_string(u.join(".config/gh/hosts.yml")).unwrap();
    assert!(
        hosts.contains(new),
        "the tool's new token is untouched: {hosts}"
    );
    // A rescan finds the new session, under a new id.
    let again = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    let found = again["found"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_ne!(found[0]["id"].as_str().unwrap(), old_id);
    // A store that cannot be parsed is reported and left byte for byte; what it held is not
    // forgotten because of that (it is not known to be gone).
    let broken = "github.com: [oauth_token\n";
    std::fs::write(u.join(".config/gh/hosts.yml"), broken).unwrap();
    let scan = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    assert_eq!(scan["problems"][0]["tool"], "gh", "{scan}");
    assert_eq!(scan["forgotten"].as_array().unwrap().len(), 0, "{scan}");
    assert_eq!(scan["found"].as_array().unwrap().len(), 1, "{scan}");
    assert_eq!(
        std::fs::read_to_string(u.join(".config/gh/hosts.yml")).unwrap(),
        broken
    );
}

/// Runs `script` (sh) in a private session of its own keyring, HOME = `user_home`, with the
/// signoff binary as `$SIGNOFF`, data folder `home` as `$SIGNOFF_HOME_DIR`.
fn in_own_keyring(
    keyring: signoff_tests::session::Keyring,
    home: &Path,
    user_home: &Path,
    script: &str,
) -> Output {
    let sh = std::path::PathBuf::from("/bin/sh");
    let bin = crate::signoff_bin();
    signoff_tests::session::run_in_session(
        keyring,
        &sh,
        &["-c", script],
        &[
            ("HOME", user_home),
            ("SIGNOFF", &bin),
            ("SIGNOFF_HOME_DIR", home),
        ],
        "",
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn gh_s_two_keyring_items_and_git_s_libsecret_item_are_one_session_removed_from_the_keyring()
{
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path().to_path_buf();
    let token = "gho_k3yr1ngK3yr1ngK3yr1ngK3yr1ngK3yr1ng";
    let server = github_at(home.path(), &[token]).await;
    // gh ≥ 2.40's file: the account is named, its token is in the keyring.
    std::fs::create_dir_all(u.join(".config/gh")).unwrap();
    std::fs::write(
        u.join(".config/gh/hosts.yml"),
        "github.com:\n    users:\n        octocat:\n    git_protocol: https\n    user: octocat\n",
    )
    .unwrap();
    // The items as gh's go-keyring writes them (service, username; the active account's twin
    // with username ""), and as Debian's git-credential-libsecret (2.39) does
    // (SECRET_SCHEMA_COMPAT_NETWORK: user, server, protocol); plus an item of another app.
    let script = format!(
        r#"set -e
printf %s '{token}' | secret-tool store --label "Password for 'octocat' on 'gh:github.com'" service gh:github.com username octocat
printf %s '{token}' | secret-tool store --label "Password for '' on 'gh:github.com'" service gh:github.com username ''
printf %s '{token}' | secret-tool store --label "Git: https://github.com/" xdg:schema org.gnome.keyring.NetworkPassword user octocat server github.com protocol https
printf %s 'not-a-session' | secret-tool store --label "other app" service gh:github.com username octocat app other
"$SIGNOFF" --home "$SIGNOFF_HOME_DIR" --json scan > scan.json
"$SIGNOFF" --home "$SIGNOFF_HOME_DIR" --json signout --all > signout.json
echo "left: $(secret-tool search --all service gh:github.com 2>/dev/null | grep -c '^secret = {token}')"
echo "git: $(secret-tool search --all server github.com 2>/dev/null | grep -c '^secret = ')"
echo "other: $(secret-tool search --all app other 2>/dev/null | grep -c '^secret = not-a-session')"
"#
    );
    let out = tokio::task::spawn_blocking({
        let (h, u) = (home.path().to_path_buf(), u.clone());
        move || {
            let script = format!("cd '{}'\n{script}", h.display());
            in_own_keyring(signoff_tests::session::Keyring::Unlocked, &h, &u, &script)
        }
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("scan.json")).unwrap()).unwrap();
    let found = scan["found"].as_array().unwrap();
    assert_eq!(
        found.len(),
        1,
        "one token, three items: one session: {scan}"
    );
    assert_eq!(found[0]["user"], "octocat");
    let kinds: Vec<&str> = found[0]["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["keyring", "keyring", "keyring"], "{scan}");
    let signout: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("signout.json")).unwrap()).unwrap();
    assert_eq!(signout["results"][0]["outcome"], "revoked", "{signout}");
    assert!(server.is_ended(token));
    assert!(text.contains("left: 0"), "{text}{signout}");
    assert!(text.contains("git: 0"), "{text}");
    assert!(
        text.contains("other: 1"),
        "another app's item stays: {text}"
    );
}

#[test]
fn a_locked_keyring_is_reported_not_unlocked() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(user.path().join(".config/gh")).unwrap();
    std::fs::write(
        user.path().join(".config/gh/hosts.yml"),
        "github.com:\n    user: octocat\n",
    )
    .unwrap();
    // First an item in the person's login keyring (its file stays in their home folder)…
    let made = in_own_keyring(
        signoff_tests::session::Keyring::Unlocked,
        home.path(),
        user.path(),
        "printf gho_locked | secret-tool store --label gh service gh:github.com username octocat",
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // …then a scan with that keyring locked: reported, never unlocked (no prompt, no wait).
    let started = std::time::Instant::now();
    let out = in_own_keyring(
        signoff_tests::session::Keyring::Locked,
        home.path(),
        user.path(),
        r#""$SIGNOFF" --home "$SIGNOFF_HOME_DIR" --json scan"#,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["found"].as_array().unwrap().len(), 0, "{v}");
    let problem = v["problems"][0]["reason"].as_str().unwrap();
    assert!(problem.contains("locked keyring"), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kubeconfig_oidc_user_written_by_kubectl_is_revoked_at_its_issuer() {
    use signoff_tests::oidc::{BASIC_CLIENT, OidcProvider};
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path();
    let idp = OidcProvider::start().await;
    let minted = idp.mint(BASIC_CLIENT.0, "alice").await;
    assert!(idp.is_active(BASIC_CLIENT, &minted.refresh_token).await);
    // An ID token as kubectl keeps it (only its claims are read, to name the account).
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let id_token = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"RS256"}"#),
        b64(&format!(
            r#"{{"iss":"{}","sub":"alice","email":"alice@example.test","aud":"{}"}}"#,
            idp.issuer, BASIC_CLIENT.0
        ))
    );
    let arg = |k: &str, v: &str| format!("--auth-provider-arg={k}={v}");
    ok(
        run(
            tool(
                u,
                "kubectl",
                &[
                    "config",
                    "set-credentials",
                    "alice",
                    "--auth-provider=oidc",
                    &arg("idp-issuer-url", idp.issuer.as_str()),
                    &arg("client-id", BASIC_CLIENT.0),
                    &arg("client-secret", BASIC_CLIENT.1),
                    &arg("refresh-token", &minted.refresh_token),
                    &arg("id-token", &id_token),
                ],
            ),
            "",
        ),
        "kubectl config set-credentials",
    );
    ok(
        run(
            tool(
                u,
                "kubectl",
                &[
                    "config",
                    "set-credentials",
                    "bob",
                    "--token=static-bob-token",
                ],
            ),
            "",
        ),
        "kubectl config set-credentials",
    );
    let v = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    let found: Vec<&serde_json::Value> = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["tool"] == "kubectl")
        .collect();
    assert_eq!(found.len(), 2, "{v}");
    let alice = found.iter().find(|f| f["revocable"] == true).unwrap();
    assert_eq!(alice["user"], "alice@example.test", "{v}");
    assert_eq!(alice["revoker"]["kind"], "issuer");
    let bob = found.iter().find(|f| f["revocable"] == false).unwrap();
    assert!(
        !v.to_string().contains(&minted.refresh_token)
            && !v.to_string().contains("static-bob-token")
    );

    let id = alice["id"].as_str().unwrap();
    let out = signoff_in_async(home.path(), u, &["--json", "signout", id]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        json(&out)["results"][0]["outcome"],
        "revoked",
        "{}",
        stdout(&out)
    );
    assert!(
        !idp.is_active(BASIC_CLIENT, &minted.refresh_token).await,
        "ended at the issuer"
    );
    // kubectl's own view: alice's tokens are gone, her client and bob stay.
    let view = String::from_utf8(
        ok(
            run(
                tool(u, "kubectl", &["config", "view", "--raw", "-o", "json"]),
                "",
            ),
            "kubectl config view",
        )
        .stdout,
    )
    .unwrap();
    let view: serde_json::Value = serde_json::from_str(&view).unwrap();
    let users = view["users"].as_array().unwrap();
    let a = users.iter().find(|x| x["name"] == "alice").unwrap();
    let cfg = &a["user"]["auth-provider"]["config"];
    assert!(
        cfg.get("refresh-token").is_none() && cfg.get("id-token").is_none(),
        "{view}"
    );
    assert_eq!(cfg["client-id"], BASIC_CLIENT.0);
    assert!(users.iter().any(|x| x["name"] == "bob"));
    let _ = bob;
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_s_secretservice_helper_entry_is_read_from_the_keyring_and_erased_by_the_helper() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path().to_path_buf();
    let token = "gho_d0ck3rH3lp3rT0k3nD0ck3rH3lp3rT0k3nX";
    let server = github_at(home.path(), &[token]).await;
    std::fs::create_dir_all(u.join(".docker")).unwrap();
    std::fs::write(
        u.join(".docker/config.json"),
        "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {}\n\t},\n\t\"credsStore\": \"secretservice\"\n}",
    )
    .unwrap();
    let script = format!(
        r#"set -e
cd '{h}'
printf '{{"ServerURL":"ghcr.io","Username":"octocat","Secret":"{token}"}}' | docker-credential-secretservice store
echo "before: $(docker-credential-secretservice list)"
"$SIGNOFF" --home "$SIGNOFF_HOME_DIR" --json scan > scan.json
"$SIGNOFF" --home "$SIGNOFF_HOME_DIR" --json signout --all > signout.json
echo "after: $(docker-credential-secretservice list)"
"#,
        h = home.path().display()
    );
    let out = tokio::task::spawn_blocking({
        let (h, u) = (home.path().to_path_buf(), u.clone());
        move || in_own_keyring(signoff_tests::session::Keyring::Unlocked, &h, &u, &script)
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("before: {\"ghcr.io\":\"octocat\"}"), "{text}");
    let scan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("scan.json")).unwrap()).unwrap();
    let f = &scan["found"][0];
    assert_eq!(f["tool"], "docker", "{scan}");
    assert_eq!(f["user"], "octocat");
    assert_eq!(f["host"], "ghcr.io");
    assert_eq!(f["stores"][0]["kind"], "helper");
    let signout: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("signout.json")).unwrap()).unwrap();
    assert_eq!(signout["results"][0]["outcome"], "revoked", "{signout}");
    assert!(server.is_ended(token));
    assert!(
        text.contains("after: {}"),
        "the helper no longer has it: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_sso_is_logged_out_at_the_portal_and_static_keys_leave_the_credentials_file() {
    let home = tempfile::tempdir().unwrap();
    let user = tempfile::tempdir().unwrap();
    let u = user.path();
    let portal = signoff_tests::servers::aws_sso().await;
    let token = "aoaAAAAAGk5ZmJhZDQ3LTQ1NjQtNGQ2Ny1hMWRiLTAwMDAwMDAw";
    portal.issue(token);
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"aws-sso\"\nbase_url = \"{}\"\n",
            portal.url("/").as_str().trim_end_matches('/')
        ),
    );
    // The CLI writes its own files: a profile's static keys, and an SSO profile's settings.
    for (k, v) in [
        ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
        (
            "aws_secret_access_key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("region", "eu-west-1"),
    ] {
        ok(
            run(
                tool(u, "aws", &["configure", "set", k, v, "--profile", "keys"]),
                "",
            ),
            "aws configure set",
        );
    }
    // The SSO token cache as `aws sso login` leaves it (botocore's JSONFileCache).
    std::fs::create_dir_all(u.join(".aws/sso/cache")).unwrap();
    std::fs::write(
        u.join(".aws/sso/cache/5b3c2c1c4a2f9f9e6d1d3b0e9f2a7c3b1d4e5f60.json"),
        format!(
            r#"{{"startUrl": "https://my-org.awsapps.com/start", "region": "eu-west-1", "accessToken": "{token}", "expiresAt": "2030-01-01T00:00:00Z"}}"#
        ),
    )
    .unwrap();
    let v = json(&signoff_in_async(home.path(), u, &["--json", "scan"]).await);
    let found: Vec<&serde_json::Value> = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["tool"] == "aws")
        .collect();
    assert_eq!(found.len(), 2, "{v}");
    let sso = found.iter().find(|f| f["revocable"] == true).unwrap();
    assert_eq!(sso["host"], "my-org.awsapps.com");
    assert_eq!(sso["provider"], "aws-sso");
    let keys = found.iter().find(|f| f["revocable"] == false).unwrap();
    assert_eq!(keys["user"], "keys");
    assert!(!v.to_string().contains("wJalrXUtnFEMI"));

    let out = signoff_in_async(home.path(), u, &["--json", "signout", "--all"]).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let r = json(&out);
    let outcome_of = |id: &serde_json::Value| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["account"] == *id)
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(outcome_of(&sso["id"]), "revoked", "{r}");
    assert_eq!(outcome_of(&keys["id"]), "local_only", "{r}");
    assert!(portal.is_ended(token));
    assert!(
        !u.join(".aws/sso/cache/5b3c2c1c4a2f9f9e6d1d3b0e9f2a7c3b1d4e5f60.json")
            .exists()
    );
    // The CLI's own view: no keys for that profile any more; its region stays.
    let key = run(
        tool(
            u,
            "aws",
            &["configure", "get", "aws_access_key_id", "--profile", "keys"],
        ),
        "",
    );
    assert!(
        String::from_utf8_lossy(&key.stdout).trim().is_empty(),
        "{key:?}"
    );
    let region = ok(
        run(
            tool(
                u,
                "aws",
                &["configure", "get", "region", "--profile", "keys"],
            ),
            "",
        ),
        "aws configure get",
    );
    assert_eq!(String::from_utf8_lossy(&region.stdout).trim(), "eu-west-1");
}
