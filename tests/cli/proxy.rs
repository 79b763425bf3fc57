//! Plain HTTP to loopback stays on this machine: a proxy named by the environment never sees a
//! call to 127.0.0.1, while calls elsewhere still go through it.

use std::process::Output;
use std::sync::{Arc, Mutex};

use signoff_tests::servers;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{json, signoff_cmd, stderr, stdout, write_providers};

/// Every proxy variable reqwest or curl reads.
const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// A listening socket that stands in for a proxy: it records the first line of every
/// connection it gets and answers 502.
struct RecordingProxy {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let mut buf = vec![0; 1024];
                let n = conn.read(&mut buf).await.unwrap_or(0);
                let first = String::from_utf8_lossy(&buf[..n]);
                let line = first.lines().next().unwrap_or_default().to_owned();
                record.lock().unwrap().push(line);
                let _ = conn
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// Runs `signoff --home HOME args` with every proxy variable pointing here and no
    /// `NO_PROXY`.
    async fn run(&self, home: &std::path::Path, args: &[&str], stdin: &str) -> Output {
        let mut cmd = signoff_cmd(home, args);
        for var in PROXY_VARS {
            cmd.env(var, &self.url);
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        let stdin = stdin.to_owned();
        tokio::task::spawn_blocking(move || signoff_tests::session::run_with_stdin(cmd, &stdin))
            .await
            .unwrap()
    }
}

/// `signoff account add matar` in a fresh home whose Matar profile checks pasted tokens at
/// `base`, run through [`RecordingProxy::run`].
async fn add_matar(proxy: &RecordingProxy, base: &str, token: &str) -> Output {
    let home = tempfile::tempdir().unwrap();
    write_providers(
        home.path(),
        &format!(
            "[[provider]]\nid = \"matar\"\nlogout_endpoint = \"{base}/api/v1/logout\"\n\
             check_endpoint = \"{base}/api/v1/me\"\n"
        ),
    );
    proxy
        .run(
            home.path(),
            &["--json", "account", "add", "matar", "--label", "Matar"],
            &format!(r#"{{"access_token": "{token}"}}"#),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_loopback_never_goes_through_the_environments_proxy() {
    let proxy = RecordingProxy::start().await;
    let matar = servers::matar().await;
    matar.issue("matar-proxy-at-1");
    let base = matar.base.as_str().trim_end_matches('/');
    let add = add_matar(&proxy, base, "matar-proxy-at-1").await;
    assert_eq!(
        add.status.code(),
        Some(0),
        "{}{}",
        stdout(&add),
        stderr(&add)
    );
    assert!(json(&add)["id"].is_string());
    assert_eq!(
        matar.seen().len(),
        1,
        "the check reached Matar on 127.0.0.1"
    );
    assert_eq!(proxy.seen(), Vec::<String>::new(), "the proxy saw nothing");

    // The control: a call off this machine still goes through the proxy the environment names.
    let add = add_matar(&proxy, "https://matar.corp.example", "matar-proxy-at-2").await;
    assert_eq!(add.status.code(), Some(1), "{}", stderr(&add));
    assert_eq!(
        proxy.seen(),
        ["CONNECT matar.corp.example:443 HTTP/1.1"],
        "{}",
        stderr(&add)
    );
}
