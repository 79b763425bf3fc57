//! `signoff account login <id> --device`: the device authorization grant (RFC 8628) against the
//! real `oidc-provider` (`features.deviceFlow`), the person's phone played over HTTP through the
//! provider's own `/device` pages. `slow_down` comes from provider.mjs's test knob
//! `SIGNOFF_OIDC_DEVICE_SLOW_DOWN` (oidc-provider itself never sends it); the polls are read
//! back from its log (`/__test/device-polls`), so what the CLI did is observed at the server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use signoff_tests::oidc::{DevicePoll, OidcProvider};

use crate::login::write_public_corp;
use crate::{json, keychain_lookup, signoff_async, signoff_cmd};

/// A provider polled every second (oidc-provider names no interval: the default is 5 s).
async fn provider(extra_env: &[(&str, &str)]) -> OidcProvider {
    let mut env = vec![("SIGNOFF_OIDC_DEVICE_INTERVAL", "1")];
    env.extend_from_slice(extra_env);
    OidcProvider::start_with(&env).await
}

/// A provider (with `env` too), a data folder whose profile `corp` is its public client asking
/// for a refresh token, and `signoff account login corp --device` running there.
async fn started(
    env: &[(&str, &str)],
    json: bool,
) -> (OidcProvider, tempfile::TempDir, DeviceLogin) {
    let op = provider(env).await;
    let home = tempfile::tempdir().unwrap();
    write_public_corp(
        home.path(),
        &op,
        "offline_access = true\nscopes = [\"email\"]\n",
    );
    let login = DeviceLogin::start(home.path(), json);
    (op, home, login)
}

/// A running `signoff account login corp --device`, its stderr read line by line.
struct DeviceLogin {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl DeviceLogin {
    fn start(home: &std::path::Path, json: bool) -> Self {
        let mut args = vec!["account", "login", "corp", "--device"];
        if json {
            args.insert(0, "--json");
        }
        let mut child = signoff_cmd(home, &args)
            .env("SIGNOFF_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first stderr line `pick` accepts (within 20 s).
    fn line<T>(&mut self, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("the CLI printed no such line: {:?}", self.seen));
            let found = pick(&line);
            self.seen.push(line);
            if let Some(found) = found {
                return found;
            }
        }
    }

    /// The `--json` device-code line.
    fn code(&mut self) -> serde_json::Value {
        self.line(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .filter(|v| v.get("device_code").is_some())
        })["device_code"]
            .clone()
    }

    /// Waits for the CLI to end; its stderr is every line it printed.
    async fn wait(self) -> std::process::Output {
        let Self {
            child,
            lines,
            mut seen,
        } = self;
        let mut out = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        seen.extend(lines.iter());
        out.stderr = seen.join("\n").into_bytes();
        out
    }
}

/// Waits (up to 20 s) until the provider has answered a poll with `error`.
async fn until_polled(op: &OidcProvider, error: &str) -> Vec<DevicePoll> {
    for _ in 0..200 {
        let polls = op.device_polls().await;
        if polls.iter().any(|p| p.error.as_deref() == Some(error)) {
            return polls;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no poll was answered {error}: {:?}",
        op.device_polls().await
    );
}

fn url(v: &serde_json::Value) -> url::Url {
    url::Url::parse(v.as_str().unwrap()).unwrap()
}

/// Approves the `code` shown as `user` through the provider's pages (oidc-provider's success
/// page says so), and returns what the login printed once it ended, with exit 0.
async fn approve(
    op: &OidcProvider,
    code: &serde_json::Value,
    user: &str,
    login: DeviceLogin,
) -> std::process::Output {
    let page = op
        .answer_device_code(
            &url(&code["verification_uri"]),
            code["user_code"].as_str().unwrap(),
            user,
            true,
        )
        .await;
    assert!(page.contains("Sign-in Success"), "{page}");
    let out = login.wait().await;
    assert!(
        out.status.success(),
        "login exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The login ends with exit 1 and the `--json` error `code` whose message says `says`, and
/// nothing is stored.
async fn failed_with(login: DeviceLogin, home: &std::path::Path, code: &str, says: &str) {
    let out = login.wait().await;
    assert_eq!(out.status.code(), Some(1));
    let err = &json(&out)["error"];
    assert_eq!(err["code"], code, "{err}");
    assert!(err["message"].as_str().unwrap().contains(says), "{err}");
    no_accounts(home).await;
}

async fn no_accounts(home: &std::path::Path) {
    let list = signoff_async(home, &["--json", "account", "list"], "").await;
    assert_eq!(
        json(&list)["accounts"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_login_waits_while_pending_then_stores_the_account_which_signs_out() {
    let (op, home, mut login) = started(&[], true).await;
    let code = login.code();
    let fields: Vec<&str> = code
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "expires_in",
            "provider",
            "user_code",
            "verification_uri",
            "verification_uri_complete"
        ],
        "what is shown, and no device code: {code}"
    );
    assert_eq!(
        code["verification_uri"].as_str().unwrap(),
        format!("{}device", op.issuer)
    );
    assert_eq!(code["expires_in"], 600);

    // At least one poll is answered authorization_pending before the person approves.
    until_polled(&op, "authorization_pending").await;
    let out = approve(&op, &code, "ada", login).await;
    let account = json(&out);
    assert_eq!(
        (account["subject"].as_str(), account["label"].as_str()),
        (Some("ada"), Some("ada@example.test")),
        "who signed in, from the checked ID token"
    );
    let polls = op.device_polls().await;
    assert_eq!(
        polls.last().unwrap().error,
        None,
        "the last poll got the tokens: {polls:?}"
    );
    let id = account["id"].as_str().unwrap().to_owned();
    let stored: serde_json::Value =
        serde_json::from_str(&keychain_lookup(&id).expect("tokens in the keychain")).unwrap();
    let rt = stored["refresh_token"]
        .as_str()
        .expect("offline_access gave a refresh token")
        .to_owned();
    assert!(stored["id_token"].is_string() && stored["access_token"].is_string());
    assert!(op.is_active_public("signoff-native", &rt).await);

    let list = signoff_async(home.path(), &["--json", "account", "list"], "").await;
    assert_eq!(json(&list)["accounts"][0]["id"], id.as_str(), "listed");

    let out = signoff_async(home.path(), &["--json", "signout", &id], "").await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["results"][0]["outcome"], "revoked");
    assert!(
        !op.is_active_public("signoff-native", &rt).await,
        "ended at the provider"
    );
    assert_eq!(keychain_lookup(&id), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_adds_five_seconds_to_the_interval() {
    let (op, _home, mut login) = started(&[("SIGNOFF_OIDC_DEVICE_SLOW_DOWN", "1")], true).await;
    let code = login.code();
    // The first poll is told to slow down; the next comes 1 + 5 s later, and the next after
    // that no sooner.
    let polls = until_polled(&op, "authorization_pending").await;
    let slow = polls
        .iter()
        .position(|p| p.error.as_deref() == Some("slow_down"))
        .expect("slow_down answered");
    let gap = polls[slow + 1].at_ms - polls[slow].at_ms;
    assert!(
        (5_800..9_000).contains(&gap),
        "after slow_down the CLI waited {gap} ms: {polls:?}"
    );
    let out = approve(&op, &code, "bea", login).await;
    assert_eq!(json(&out)["subject"], "bea");
    let polls = op.device_polls().await;
    for pair in polls[slow + 1..].windows(2) {
        assert!(
            pair[1].at_ms - pair[0].at_ms >= 5_800,
            "the interval stays longer: {polls:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_on_the_phone_is_sign_in_denied_and_stores_nothing() {
    let (op, home, mut login) = started(&[], true).await;
    let code = login.code();
    // The verification_uri_complete address already holds the code.
    let page = op
        .answer_device_code(&url(&code["verification_uri_complete"]), "", "ada", false)
        .await;
    assert!(
        page.contains("interrupted"),
        "oidc-provider's abort page: {page}"
    );
    failed_with(login, home.path(), "sign_in_denied", "access_denied").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_nobody_approves_expires_as_sign_in_timed_out() {
    let (_op, home, mut login) = started(&[("SIGNOFF_OIDC_DEVICE_TTL", "3")], true).await;
    assert_eq!(
        login.code()["expires_in"],
        3,
        "expires_in as the provider said"
    );
    failed_with(
        login,
        home.path(),
        "sign_in_timed_out",
        "not approved within 3 s",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_wait_and_stores_nothing() {
    let (op, home, mut login) = started(&[], false).await;
    let address = login.line(|l| l.trim().starts_with("http").then(|| l.trim().to_owned()));
    assert_eq!(address, format!("{}device", op.issuer));
    login.line(|l| l.contains("enter the code").then_some(()));
    let user_code = login.line(|l| Some(l.trim().to_owned()));
    assert_eq!(
        user_code.len(),
        9,
        "oidc-provider's ****-**** code: {user_code}"
    );
    until_polled(&op, "authorization_pending").await;
    let pid = login.child.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = login.wait().await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "an error exit, not killed by the signal"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[sign_in_cancelled]"), "{err}");
    no_accounts(home.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confidential_client_authenticates_both_requests_and_a_wrong_secret_is_refused() {
    let op = provider(&[]).await;
    let home = tempfile::tempdir().unwrap();
    let (client_id, secret) = signoff_tests::oidc::BASIC_CLIENT;
    crate::write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"corp\"\nprotocol = \"oidc\"\nissuer = \"{}\"\n\
             client_id = \"{client_id}\"\nclient_auth = \"basic\"\n",
            op.issuer.as_str().trim_end_matches('/')
        ),
    );
    let stored = signoff_async(home.path(), &["provider", "secret", "corp"], "wrong-secret").await;
    assert!(stored.status.success());
    let login = DeviceLogin::start(home.path(), true);
    failed_with(login, home.path(), "sign_in_failed", "invalid_client").await;

    let stored = signoff_async(home.path(), &["provider", "secret", "corp"], secret).await;
    assert!(stored.status.success());
    let mut login = DeviceLogin::start(home.path(), true);
    let code = login.code();
    let out = approve(&op, &code, "cy", login).await;
    assert_eq!(json(&out)["subject"], "cy");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains(secret), "the client secret is never printed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_gone_while_polling_is_waited_for_until_the_code_expires() {
    let (op, home, mut login) = started(&[("SIGNOFF_OIDC_DEVICE_TTL", "4")], true).await;
    login.code();
    until_polled(&op, "authorization_pending").await;
    // The provider goes away: the polls fail to connect, which is no answer, not a refusal.
    drop(op);
    failed_with(
        login,
        home.path(),
        "sign_in_timed_out",
        "not approved within 4 s (the provider last answered: network: could not connect",
    )
    .await;
}
