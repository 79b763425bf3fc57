//! Benchmark 2, admin bulk revoke against the real `oidc-provider` on 127.0.0.1:
//! `signoff revoke` over 20,000 real refresh tokens (minted through the provider's models),
//! next to wrk's ceiling on the same revocation endpoint (same requests: Basic client
//! authentication, `token=...&token_type_hint=refresh_token`, each a fresh minted token) and a
//! sequential curl loop over 500 minted tokens, all in one run; then the peak memory of
//! `signoff revoke` with 20,000 and 200,000 tokens.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signoff_core::SecretString;
use signoff_core::audit::Actor;
use signoff_core::engine::EngineConfig;
use signoff_tests::oidc::{BASIC_CLIENT, OidcProvider};
use tokio::runtime::Runtime;

use crate::{Bench, open_core, time_v};

const SIGNOFF_TOKENS: usize = 20_000;
const CURL_TOKENS: usize = 500;
const WRK_SECONDS: u64 = 4;
/// Connection counts tried with wrk; the best is the ceiling.
const WRK_CONNECTIONS: [usize; 3] = [16, 32, 64];
/// Tokens minted per wrk run: more than wrk can revoke in `WRK_SECONDS` at this machine's rate.
const WRK_TOKENS: usize = 64_000;
const BIG: usize = 200_000;

pub fn run(bench: &Bench, rt: &Runtime) {
    let provider = Arc::new(rt.block_on(OidcProvider::start_unbounded()));
    let revocation = provider.issuer.join("/token/revocation").unwrap();
    let dir = bench.out.join("bulk");
    std::fs::create_dir_all(&dir).unwrap();

    let started = Instant::now();
    let total = SIGNOFF_TOKENS + CURL_TOKENS + WRK_CONNECTIONS.len() * WRK_TOKENS;
    let mut minted = mint(rt, &provider, total);
    let rate = total as f64 / started.elapsed().as_secs_f64();
    bench.note(format!("minted {total} real token pairs ({rate:.0}/s)"));
    let signoff_tokens: Vec<String> = minted.drain(..SIGNOFF_TOKENS).collect();
    let curl_tokens: Vec<String> = minted.drain(..CURL_TOKENS).collect();
    let signoff_file = write_lines(&dir.join("tokens-20000.txt"), &signoff_tokens);

    // A data dir whose `corp` profile is the provider, by issuer alone, with the client secret
    // in the keychain.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("providers.toml"),
        format!(
            "[[provider]]\nid = \"corp\"\nlabel = \"Corp SSO\"\nprotocol = \"oidc\"\n\
             issuer = \"{}\"\nclient_id = \"{}\"\nclient_auth = \"basic\"\n",
            provider.issuer.as_str().trim_end_matches('/'),
            BASIC_CLIENT.0
        ),
    )
    .unwrap();
    open_core(home.path(), EngineConfig::default())
        .set_client_secret(
            "corp",
            SecretString::new(BASIC_CLIENT.1.into()),
            Actor::Admin,
        )
        .unwrap();

    // 1. signoff revoke over 20,000 real tokens.
    let (wall, rss_20k, summary) = signoff_revoke(bench, home.path(), &signoff_file, &dir);
    assert_eq!(summary["revoked"], SIGNOFF_TOKENS, "{summary}");
    let signoff_rate = SIGNOFF_TOKENS as f64 / wall.as_secs_f64();
    // Independent check: the provider says the tokens are gone.
    rt.block_on(async {
        for t in signoff_tokens.iter().step_by(997) {
            assert!(!provider.is_active(BASIC_CLIENT, t).await, "token revoked");
        }
    });
    bench.result(
        "bulk signoff revoke, 20,000 real tokens",
        format!(
            "{:.2} s wall (process spawn to exit), {signoff_rate:.0} tokens/s, max RSS {:.1} MiB",
            wall.as_secs_f64(),
            rss_20k as f64 / 1024.0
        ),
    );

    // 2. wrk's ceiling on the same endpoint, same requests, fresh minted tokens.
    let mut best = 0.0f64;
    for c in WRK_CONNECTIONS {
        let tokens: Vec<String> = minted.drain(..WRK_TOKENS).collect();
        let file = write_lines(&dir.join(format!("tokens-wrk-{c}.txt")), &tokens);
        let (rps, requests, non2xx) = wrk(&dir, &revocation, c, &file);
        assert!(
            requests <= WRK_TOKENS as u64,
            "wrk ran out of fresh tokens ({requests} requests); mint more"
        );
        bench.result(
            &format!("bulk wrk -t1 -c{c} -d{WRK_SECONDS}s on /token/revocation"),
            format!("{rps:.0} requests/s ({requests} requests, {non2xx} not 2xx)"),
        );
        best = best.max(rps);
    }

    // 3. A sequential curl loop over 500 real tokens.
    let curl_file = write_lines(&dir.join("tokens-curl.txt"), &curl_tokens);
    let curl_rate = curl_loop(&revocation, &curl_file);
    bench.result(
        "bulk sequential curl loop (500 tokens, one curl process each)",
        format!(
            "{curl_rate:.0} requests/s ({:.2} ms per call, extrapolated from 500 calls)",
            1000.0 / curl_rate
        ),
    );
    bench.result(
        "bulk ratios",
        format!(
            "signoff / wrk ceiling = {:.0} % (goal >= 80 %), signoff / curl loop = {:.1}x (goal >= 25x)",
            100.0 * signoff_rate / best,
            signoff_rate / curl_rate
        ),
    );

    // 4. Peak memory with 200,000 tokens: the 20,000 real ones (already revoked: the provider
    // answers 200 again) followed by 180,000 random strings it never issued (RFC 7009: 200).
    let big_file = dir.join("tokens-200000.txt");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big_file).unwrap());
        for t in &signoff_tokens {
            writeln!(f, "{t}").unwrap();
        }
        for i in 0..(BIG - SIGNOFF_TOKENS) {
            writeln!(f, "unknown-{i:08}-{:016x}", fastrand_u64(i as u64)).unwrap();
        }
    }
    let (wall, rss_200k, summary) = signoff_revoke(bench, home.path(), &big_file, &dir);
    assert_eq!(summary["total"], BIG, "one result per token: {summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    bench.result(
        "bulk signoff revoke, 200,000 tokens (20,000 real already revoked + 180,000 unknown random strings)",
        format!(
            "{:.2} s wall, {:.0} tokens/s, max RSS {:.1} MiB (20,000 tokens: {:.1} MiB)",
            wall.as_secs_f64(),
            BIG as f64 / wall.as_secs_f64(),
            rss_200k as f64 / 1024.0,
            rss_20k as f64 / 1024.0
        ),
    );
    drop(provider);
}

/// `signoff --json revoke corp < file`, under `/usr/bin/time -v`: (wall, max RSS KiB, summary).
fn signoff_revoke(
    bench: &Bench,
    home: &Path,
    tokens: &Path,
    dir: &Path,
) -> (Duration, u64, serde_json::Value) {
    let out_path = dir.join("revoke-out.json");
    let (wall, rss, status) = time_v(
        &bench.signoff,
        &[
            "--home".as_ref(),
            home.as_os_str(),
            "--json".as_ref(),
            "revoke".as_ref(),
            "corp".as_ref(),
            "--hint".as_ref(),
            "refresh_token".as_ref(),
        ],
        Stdio::from(std::fs::File::open(tokens).unwrap()),
        Stdio::from(std::fs::File::create(&out_path).unwrap()),
    );
    assert!(status.success(), "signoff revoke exited with {status}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_path).unwrap()).expect("one JSON document");
    let summary = doc["summary"].clone();
    let _ = std::fs::remove_file(&out_path);
    (wall, rss, summary)
}

/// Mints `n` token pairs, 32 requests at a time; returns the refresh tokens.
fn mint(rt: &Runtime, provider: &Arc<OidcProvider>, n: usize) -> Vec<String> {
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        let workers = 32;
        for w in 0..workers {
            let provider = Arc::clone(provider);
            set.spawn(async move {
                let mut out = Vec::new();
                for i in (w..n).step_by(workers) {
                    out.push(
                        provider
                            .mint(BASIC_CLIENT.0, &format!("bench-{i}"))
                            .await
                            .refresh_token,
                    );
                }
                out
            });
        }
        let mut all = Vec::with_capacity(n);
        while let Some(part) = set.join_next().await {
            all.extend(part.unwrap());
        }
        all
    })
}

fn write_lines(path: &Path, lines: &[String]) -> PathBuf {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    path.to_path_buf()
}

/// The wrk script: each request revokes the next token of the file, exactly as signoff sends it.
const WRK_LUA: &str = r#"
local tokens = {}
local i = 0
local auth = "Basic " .. AUTH

init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
end

request = function()
  i = i + 1
  local t = tokens[((i - 1) % #tokens) + 1]
  return wrk.format("POST", nil, {
    ["Authorization"] = auth,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["User-Agent"] = "signoff/0.1.0",
  }, "token=" .. t .. "&token_type_hint=refresh_token")
end
"#;

/// Runs wrk: (requests/s, requests, non-2xx responses).
fn wrk(dir: &Path, url: &url::Url, connections: usize, tokens: &Path) -> (f64, u64, u64) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", BASIC_CLIENT.0, BASIC_CLIENT.1));
    let script = dir.join("revoke.lua");
    std::fs::write(&script, format!("AUTH = \"{auth}\"\n{WRK_LUA}")).unwrap();
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{WRK_SECONDS}s"),
        ])
        .arg("-s")
        .arg(&script)
        .arg(url.as_str())
        .arg("--")
        .arg(tokens)
        .output()
        .expect("wrk is installed (make bench installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "wrk failed: {text}");
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk output: {text}"));
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no request count in wrk output: {text}"));
    let non2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (rps, requests, non2xx)
}

/// A bash loop calling curl once per token, like an admin's script would: requests/s.
fn curl_loop(url: &url::Url, tokens: &Path) -> f64 {
    let script = format!(
        "set -e; while read -r t; do curl -sS -o /dev/null -w '%{{http_code}}\\n' \
         -u '{}:{}' --data \"token=$t&token_type_hint=refresh_token\" '{}'; done < '{}'",
        BASIC_CLIENT.0,
        BASIC_CLIENT.1,
        url,
        tokens.display()
    );
    let started = Instant::now();
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    let elapsed = started.elapsed();
    assert!(out.status.success());
    let codes = String::from_utf8_lossy(&out.stdout);
    assert_eq!(codes.lines().count(), CURL_TOKENS);
    assert!(codes.lines().all(|c| c == "200"), "curl got {codes}");
    CURL_TOKENS as f64 / elapsed.as_secs_f64()
}

/// A cheap deterministic 64-bit mix (splitmix64), for the unknown tokens.
fn fastrand_u64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
