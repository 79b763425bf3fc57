//! Benchmark 5, scanning this computer (issue #19, goal 5: ≤ 150 ms with every supported store
//! present). A throwaway home folder holds a store for every tool in
//! `crates/signoff-core/src/found/tools/` (the shapes of their unit tests' fixtures), and the
//! session keyring holds the tools' items (gh's and glab's go-keyring items, git's libsecret
//! item, Docker's secretservice helper entry) among 2,000 items of other applications.
//!
//! Timed, median of [`RUNS`]: `Signoff::scan_computer` in this process, cold (a fresh data dir
//! each time: no install key, no found rows, a new keyring connection), and `signoff scan`
//! from spawn to exit (a fresh data dir each time too). Then each tool's own scan, alone, so a
//! figure above the goal says where it goes.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secret_service::EncryptionType;
use secret_service::blocking::SecretService;
use signoff_core::engine::EngineConfig;
use signoff_core::found::{self, Env};

use crate::{Bench, median, ms, open_core};

const RUNS: usize = 7;
/// Items of other applications in the keyring while scanning.
const FOREIGN: usize = 2000;
/// The goal, per scan.
const GOAL: Duration = Duration::from_millis(150);

/// Variables that move the tools' stores (`found::env`'s list, and the tokens gh reads): unset
/// while scanning, so only the throwaway home is read.
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
    "KUBECACHEDIR",
    "NPM_CONFIG_USERCONFIG",
    "npm_config_userconfig",
    "NETRC",
    "VAULT_ADDR",
    "VAULT_CONFIG_PATH",
    "GH_TOKEN",
    "GITHUB_TOKEN",
];

/// The attribute every keyring item this benchmark writes carries, to delete them afterwards.
const MARK: &str = "signoff-bench-scan";

pub fn run(bench: &Bench) {
    let user = bench.scratch_dir("scan-user-home");
    write_stores(&user);
    let ss = SecretService::connect(EncryptionType::Plain).expect("the session's Secret Service");
    let started = Instant::now();
    store_keyring_items(&ss);
    bench.note(format!(
        "scan: stores written, {FOREIGN} foreign keyring items added in {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    let saved = scan_environment(&user);
    // One scan first, not counted: it checks the stores are all found, and warms the page cache.
    let data = bench.scratch_dir("scan-data-check");
    let core = open_core(&data, EngineConfig::default());
    let summary = core.scan_computer().expect("scan this computer");
    let tools: std::collections::BTreeSet<&str> =
        summary.found.iter().map(|f| f.tool.as_str()).collect();
    bench.result(
        "scan this computer, what the throwaway home holds",
        format!(
            "{} sessions from {} tools ({}), {} store problem(s){}",
            summary.found.len(),
            tools.len(),
            tools.iter().copied().collect::<Vec<_>>().join(", "),
            summary.problems.len(),
            summary
                .problems
                .iter()
                .map(|p| format!("; {}: {}", p.store, p.reason))
                .collect::<String>()
        ),
    );
    drop(core);

    let mut in_process = Vec::new();
    let mut cli = Vec::new();
    for run in 0..RUNS {
        let data = bench.scratch_dir(&format!("scan-data-core-{run}"));
        let core = open_core(&data, EngineConfig::default());
        let t = Instant::now();
        core.scan_computer().expect("scan this computer");
        in_process.push(t.elapsed());
        drop(core);
        cli.push(cli_scan(
            bench,
            &user,
            &bench.scratch_dir(&format!("scan-data-cli-{run}")),
        ));
    }
    let per_tool = per_tool_times(&data);
    let connect = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let k = found::keyring::Keyring::connect().expect("connect to the keyring");
                let d = t.elapsed();
                drop(k);
                d
            })
            .collect(),
    );
    restore_environment(saved);
    delete_keyring_items(&ss);

    for (what, runs) in [
        ("Signoff::scan_computer, cold, in process", &in_process),
        ("`signoff scan`, spawn to exit", &cli),
    ] {
        let m = median(runs.clone());
        bench.result(
            &format!(
                "scan this computer, every store present, {FOREIGN} foreign keyring items: {what}"
            ),
            format!(
                "median {} (runs: {}); goal ≤ {}: {}",
                ms(m),
                runs.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
                ms(GOAL),
                if m <= GOAL { "met" } else { "NOT met" }
            ),
        );
    }
    bench.result(
        "scan this computer, the keyring connection alone (new D-Bus connection + DH session)",
        format!("median {}", ms(connect)),
    );
    bench.result(
        "scan this computer, each tool alone (median; the first keyring tool connects)",
        per_tool
            .iter()
            .map(|(tool, d)| format!("{tool} {}", ms(*d)))
            .collect::<Vec<_>>()
            .join(", "),
    );
}

/// `signoff scan` with `user` as the home folder and `data` as its data dir, timed to exit.
fn cli_scan(bench: &Bench, user: &Path, data: &Path) -> Duration {
    let mut cmd = Command::new(&bench.signoff);
    cmd.arg("--home")
        .arg(data)
        .arg("scan")
        .env("HOME", user)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for v in MOVERS {
        cmd.env_remove(v);
    }
    let t = Instant::now();
    let status = cmd.status().expect("run signoff scan");
    let wall = t.elapsed();
    assert!(status.success(), "signoff scan failed: {status}");
    wall
}

/// Each tool's scan alone, in `tools::all()` order, median of [`RUNS`]; a fresh environment
/// (and so a fresh keyring connection) for each run.
fn per_tool_times(data: &Path) -> Vec<(&'static str, Duration)> {
    let tools = found::all_tools();
    tools
        .iter()
        .map(|tool| {
            let runs = (0..RUNS)
                .map(|_| {
                    let env = Env::from_process(data.join("backups"))
                        .expect("HOME is set")
                        .with_keyring();
                    let t = Instant::now();
                    let _ = tool.scan(&env);
                    t.elapsed()
                })
                .collect();
            (tool.id().as_str(), median(runs))
        })
        .collect()
}

/// What the process environment held before the scan's was put in place.
type Saved = Vec<(&'static str, Option<OsString>)>;

/// Points this process's HOME at `user` and unsets the variables that move stores (the core
/// reads the process environment, as the app and the CLI do).
#[allow(unsafe_code)]
fn scan_environment(user: &Path) -> Saved {
    let saved: Saved = std::iter::once("HOME")
        .chain(MOVERS.iter().copied())
        .map(|v| (v, std::env::var_os(v)))
        .collect();
    // SAFETY: the bench's other threads (the tokio runtime's idle workers) read no environment
    // variable while the benchmark runs; nothing else runs meanwhile.
    unsafe {
        std::env::set_var("HOME", user);
        for v in MOVERS {
            std::env::remove_var(v);
        }
    }
    saved
}

#[allow(unsafe_code)]
fn restore_environment(saved: Saved) {
    for (v, value) in saved {
        // SAFETY: as in `scan_environment`.
        unsafe {
            match value {
                Some(x) => std::env::set_var(v, x),
                None => std::env::remove_var(v),
            }
        }
    }
}

/// Writes a store for every tool (the shapes of the tools' unit-test fixtures).
fn write_stores(home: &Path) {
    let w = |rel: &str, text: &str| {
        use std::os::unix::fs::PermissionsExt;
        let p = home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    };
    w(
        ".config/gh/hosts.yml",
        "github.com:\n    user: octocat\n    git_protocol: https\nghe.corp:\n    user: mona\n    users:\n        mona:\n            oauth_token: ghp_two\n",
    );
    w(
        ".git-credentials",
        "https://octocat:gho_a%2Fb@github.com\nhttps://octocat:ghp_other@github.com\nhttps://me:pw@git.example.com:8443\n",
    );
    w(".config/git/credentials", "https://x:glpat-1@gitlab.com\n");
    w(
        ".npmrc",
        "; mine\nregistry=http://127.0.0.1:4873/\n//127.0.0.1:4873/:_authToken=\"tok1\"\n//registry.npmjs.org/:_authToken=npm_abc\n//r.example/:_authToken=${NPM_TOKEN}\n",
    );
    w(
        ".netrc",
        "machine github.com\n  login octocat\n  password ghp_x\nmachine ftp.example.com login me password pw\n",
    );
    w(".vault-token", "hvs.abc\n");
    w(
        ".config/glab-cli/config.yml",
        "# glab\ngit_protocol: ssh\nhosts:\n    gitlab.com:\n        token: glpat-one\n        api_host: gitlab.com\n        api_protocol: https\n        user: alice\n    git.corp.example:\n        token: oauth-access-two\n        is_oauth2: \"true\"\n        oauth2_refresh_token: oauth-refresh-two\n        oauth2_expiry_date: 01 Dec 26 18:00 UTC\n        api_host: api.git.corp.example\n        api_protocol: https\n        user: bob\n",
    );
    w(
        ".kube/config",
        "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k8s.example.com:6443\n  name: prod\ncontexts:\n- context:\n    cluster: prod\n    user: robot\n  name: prod-robot\ncurrent-context: prod-robot\nkind: Config\nusers:\n- name: alice\n  user:\n    auth-provider:\n      config:\n        client-id: kube\n        client-secret: app-secret\n        id-token: not-a-jwt-alice\n        idp-issuer-url: https://idp.example.com/realms/k8s\n        refresh-token: rt-alice\n      name: oidc\n- name: robot\n  user:\n    token: sa-token-1\n",
    );
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    w(
        ".docker/config.json",
        &format!(
            "{{\n\t\"auths\": {{\n\t\t\"https://index.docker.io/v1/\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}},\n\t\t\"registry.example.com:5000\": {{\n\t\t\t\"auth\": \"{}\",\n\t\t\t\"identitytoken\": \"idt-1\"\n\t\t}}\n\t}},\n\t\"credsStore\": \"secretservice\"\n}}\n",
            b64("moby:dckr_pat_abc"),
            b64("<token>:"),
        ),
    );
    let sso = r#"{"startUrl": "https://acme.awsapps.com/start", "region": "eu-west-1", "accessToken": "aoaAAAA-access", "expiresAt": "2026-12-01T18:00:00Z", "clientId": "cid", "clientSecret": "csecret-a", "registrationExpiresAt": "2027-03-01T00:00:00Z", "refreshToken": "aorAAAA-refresh"}"#;
    w(".aws/sso/cache/aaaa.json", sso);
    w(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIAAAAA\naws_secret_access_key = secretAAAA\nregion = eu-west-1\n",
    );
    w(".azure/msal_token_cache.json", &az_cache());
    gcloud(home);
}

/// An MSAL token cache (az) with one account's refresh, access and ID tokens.
fn az_cache() -> String {
    let (hid, env, client) = (
        "a1.t1",
        "login.microsoftonline.com",
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    );
    serde_json::json!({
        "RefreshToken": {format!("{hid}-{env}-refreshtoken-{client}--"): {"credential_type": "RefreshToken", "secret": "rt-a1.t1", "home_account_id": hid, "environment": env, "client_id": client, "target": "", "family_id": "1"}},
        "AccessToken": {format!("{hid}-{env}-accesstoken-{client}-t1-https://management.core.windows.net//.default"): {"credential_type": "AccessToken", "secret": "at-a1.t1", "home_account_id": hid, "environment": env, "client_id": client, "target": "https://management.core.windows.net//.default", "realm": "t1", "token_type": "Bearer", "cached_at": "1764600000", "expires_on": "1764603600", "extended_expires_on": "1764603600"}},
        "IdToken": {format!("{hid}-{env}-idtoken-{client}-t1-"): {"credential_type": "IdToken", "secret": "idt-a1.t1", "home_account_id": hid, "environment": env, "realm": "t1", "client_id": client}},
        "Account": {format!("{hid}-{env}-t1"): {"home_account_id": hid, "environment": env, "realm": "t1", "local_account_id": "a1", "username": "alice@contoso.com", "authority_type": "MSSTS"}},
        "AppMetadata": {format!("appmetadata-{env}-{client}"): {"client_id": client, "environment": env, "family_id": "1"}}
    })
    .to_string()
}

/// gcloud's two SQLite stores and its configuration, as 528.0.0 writes them.
fn gcloud(home: &Path) {
    let dir = home.join(".config/gcloud");
    std::fs::create_dir_all(dir.join("configurations")).unwrap();
    let user = r#"{"client_id": "32555940559.apps.googleusercontent.com", "client_secret": "ZmssLNjJy2998hD4CTg2ejr2", "refresh_token": "1//0gAAAA-refresh-alice", "revoke_uri": "https://oauth2.googleapis.com/revoke", "scopes": ["openid"], "token_uri": "https://oauth2.googleapis.com/token", "type": "authorized_user"}"#;
    let c = rusqlite::Connection::open(dir.join("credentials.db")).unwrap();
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS \"credentials\" (account_id TEXT PRIMARY KEY, value BLOB)",
    )
    .unwrap();
    c.execute(
        "INSERT INTO credentials VALUES ('alice@example.com', ?1)",
        [user],
    )
    .unwrap();
    let t = rusqlite::Connection::open(dir.join("access_tokens.db")).unwrap();
    t.execute_batch(
        "CREATE TABLE IF NOT EXISTS \"access_tokens\" (account_id TEXT PRIMARY KEY, access_token TEXT, token_expiry TIMESTAMP, rapt_token TEXT, id_token TEXT)",
    )
    .unwrap();
    t.execute(
        "INSERT INTO access_tokens VALUES ('alice@example.com', 'ya29.access-alice', '2026-12-01 16:00:00', NULL, NULL)",
        [],
    )
    .unwrap();
    std::fs::write(dir.join("active_config"), "default").unwrap();
    std::fs::write(
        dir.join("configurations/config_default"),
        "[core]\naccount = alice@example.com\nproject = p\n",
    )
    .unwrap();
}

/// The tools' keyring items (as gh, glab, git's libsecret helper and Docker's secretservice
/// helper write them) and [`FOREIGN`] items of other applications, in the default collection.
fn store_keyring_items(ss: &SecretService<'_>) {
    let collection = ss.get_default_collection().expect("the default collection");
    let add = |label: &str, attrs: &[(&str, &str)], secret: &str| {
        let mut a: HashMap<&str, &str> = attrs.iter().copied().collect();
        a.insert(MARK, "1");
        collection
            .create_item(label, a, secret.as_bytes(), true, "text/plain")
            .expect("store a keyring item");
    };
    let token = "gho_bench16C7e42F292c6912E7710c838347Ae";
    add(
        "Password for 'octocat' on 'gh:github.com'",
        &[("service", "gh:github.com"), ("username", "octocat")],
        token,
    );
    add(
        "Password for '' on 'gh:github.com'",
        &[("service", "gh:github.com"), ("username", "")],
        token,
    );
    add(
        "Git: https://github.com/",
        &[
            ("xdg:schema", "org.gnome.keyring.NetworkPassword"),
            ("user", "octocat"),
            ("server", "github.com"),
            ("protocol", "https"),
        ],
        token,
    );
    add(
        "Password for 'alice' on 'glab:gitlab.com'",
        &[("service", "glab:gitlab.com"), ("username", "alice")],
        "glpat-keyring-one",
    );
    add(
        "Docker Credentials",
        &[
            ("label", "Docker Credentials"),
            ("docker_cli", "1"),
            ("server", "ghcr.io"),
            ("username", "octocat"),
        ],
        "ghp_docker_helper",
    );
    for i in 0..FOREIGN {
        let n = i.to_string();
        let service = format!("other-app:{}", i % 50);
        let attrs: Vec<(&str, &str)> = if i % 2 == 0 {
            vec![("service", &service), ("username", &n)]
        } else {
            vec![("xdg:schema", "org.example.Other"), ("id", &n)]
        };
        add(
            &format!("Other application item {i}"),
            &attrs,
            "not-a-session",
        );
    }
}

/// Deletes every item [`store_keyring_items`] wrote.
fn delete_keyring_items(ss: &SecretService<'_>) {
    let Ok(found) = ss.search_items(HashMap::from([(MARK, "1")])) else {
        return;
    };
    for item in found.unlocked {
        let _ = item.delete();
    }
}

impl Bench {
    /// A new, empty directory `name` in the scratch dir.
    pub fn scratch_dir(&self, name: &str) -> PathBuf {
        let p = self.scratch.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}
