//! Benchmark 2, admin bulk revoke (issue #19 goal 3: the adaptive limit finds each server's
//! ceiling). On each of three RFC 7009 servers on 127.0.0.1, `signoff revoke` (default
//! `--concurrency` 64, the adaptive limit under it) takes turns with wrk at c ∈ {1, 4, 16, 64}
//! (same requests: Basic client authentication, `token=...&token_type_hint=refresh_token`), all
//! in one run, and signoff's best pass is compared with wrk's best:
//!
//! 1. the real `oidc-provider` (node) over 20,000 real refresh tokens per pass (minted through
//!    the provider's models), after an untimed warm-up; plus a sequential curl loop over 500
//!    minted tokens, and the peak memory of `signoff revoke` with 20,000 and 200,000 tokens;
//! 2. a thread-per-connection server (`revoke_threading.py`, Python's `ThreadingHTTPServer`),
//!    20,000 tokens per pass (it keeps none: RFC 7009 answers 200 for any);
//! 3. a server with 4 workers and a fixed 20 ms service time (`capacity::fixed_workers`, in
//!    this process: 200 revocations a second at most), 1,000 tokens per pass.
//!
//! Each server's own count of revocations checks that every pass reached it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signoff_core::SecretString;
use signoff_core::audit::Actor;
use signoff_core::engine::EngineConfig;
use signoff_tests::oidc::{BASIC_CLIENT, OidcProvider};
use signoff_tests::procs::stat_fields;
use signoff_tests::servers::capacity;
use tokio::runtime::Runtime;

use crate::{Bench, Timed, open_core, time_v};

const SIGNOFF_TOKENS: usize = 20_000;
/// `signoff revoke` runs on oidc-provider, each over its own fresh tokens, one before each wrk run.
const SIGNOFF_RUNS: usize = WRK_CONNECTIONS.len();
const CURL_TOKENS: usize = 500;
const WRK_SECONDS: u64 = 4;
/// Connection counts tried with wrk; the best is the ceiling.
const WRK_CONNECTIONS: [usize; 4] = [1, 4, 16, 64];
/// Tokens minted per wrk run: more than wrk can revoke in `WRK_SECONDS` at this machine's rate.
const WRK_TOKENS: usize = 64_000;
const BIG: usize = 200_000;
/// Tokens for the untimed warm-up (one second of wrk).
const WARM_UP_TOKENS: usize = 16_000;
/// Tokens per signoff pass on the thread-per-connection server, and in wrk's file for it (wrk
/// goes round the file: the server keeps no tokens, so a repeat costs it the same).
const THREADING_TOKENS: usize = 20_000;
/// The same for the 4-worker server (200/s: five seconds' worth).
const WORKERS_TOKENS: usize = 1_000;
const WORKERS: usize = 4;
const SERVICE: Duration = Duration::from_millis(20);

/// The goal: signoff's best pass at least this share of wrk's best run, on each server.
const GOAL: f64 = 0.85;

pub fn run(bench: &Bench, rt: &Runtime) {
    let provider = Arc::new(rt.block_on(OidcProvider::start_unbounded()));
    let node = NodeCpu::new(provider.pid().expect("the provider is running"));
    let revocation = provider.issuer.join("/token/revocation").unwrap();
    let dir = bench.out.join("bulk");
    std::fs::create_dir_all(&dir).unwrap();

    let started = Instant::now();
    let total = WARM_UP_TOKENS
        + SIGNOFF_RUNS * SIGNOFF_TOKENS
        + CURL_TOKENS
        + WRK_CONNECTIONS.len() * WRK_TOKENS;
    let mut minted = mint(rt, &provider, total);
    let rate = total as f64 / started.elapsed().as_secs_f64();
    bench.note(format!("minted {total} real token pairs ({rate:.0}/s)"));
    let curl_tokens: Vec<String> = minted.drain(..CURL_TOKENS).collect();

    // The other two servers.
    let threading = ThreadingServer::start();
    let workers = rt.block_on(capacity::fixed_workers(
        (BASIC_CLIENT.0, Some(BASIC_CLIENT.1)),
        WORKERS,
        SERVICE,
    ));

    // A data dir whose `corp` profile is the provider, by issuer alone, `threading` and
    // `workers` the other two, each with the client secret in the keychain.
    let home = tempfile::tempdir().unwrap();
    let rfc7009 = |id: &str, url: &url::Url| {
        format!(
            "[[provider]]\nid = \"{id}\"\nprotocol = \"rfc7009\"\nrevocation_endpoint = \"{url}\"\n\
             client_id = \"{}\"\nclient_auth = \"basic\"\n\n",
            BASIC_CLIENT.0
        )
    };
    std::fs::write(
        home.path().join("providers.toml"),
        format!(
            "[[provider]]\nid = \"corp\"\nlabel = \"Corp SSO\"\nprotocol = \"oidc\"\n\
             issuer = \"{}\"\nclient_id = \"{}\"\nclient_auth = \"basic\"\n\n{}{}",
            provider.issuer.as_str().trim_end_matches('/'),
            BASIC_CLIENT.0,
            rfc7009("threading", &threading.revocation),
            rfc7009("workers", &workers.revocation),
        ),
    )
    .unwrap();
    let core = open_core(home.path(), EngineConfig::default());
    for id in ["corp", "threading", "workers"] {
        core.set_client_secret(id, SecretString::new(BASIC_CLIENT.1.into()), Actor::Admin)
            .unwrap();
    }
    drop(core);

    // 1. oidc-provider. Untimed first: the provider's revocation path warmed up (node compiles
    // hot code as it runs: without this, whichever went first paid for it).
    let tokens: Vec<String> = minted.drain(..WARM_UP_TOKENS).collect();
    let file = write_lines(&dir.join("tokens-warm-up.txt"), &tokens);
    wrk(&dir, &revocation, 32, &file, 1);

    // signoff revoke and wrk take turns: this VM's speed drifts by up to 2x within a minute
    // (BENCHMARKS.md), so neither side may get only the quick or only the slow stretch of the
    // run. Each side's best run is compared.
    let mut signoff_tokens = Vec::new();
    let mut rss_20k = 0;
    let minted = std::cell::RefCell::new(minted);
    let oidc = take_turns(
        bench,
        &dir,
        home.path(),
        Server {
            name: "oidc-provider",
            profile: "corp",
            url: &revocation,
            node: Some(&node),
            counter: None,
        },
        |_| {
            let tokens: Vec<String> = minted.borrow_mut().drain(..SIGNOFF_TOKENS).collect();
            (tokens, None)
        },
        |_| {
            let tokens: Vec<String> = minted.borrow_mut().drain(..WRK_TOKENS).collect();
            (tokens, Some(WRK_TOKENS as u64))
        },
        |pass, tokens, timed| {
            // Independent check: the provider says the tokens are gone.
            rt.block_on(async {
                for t in tokens.iter().step_by(997) {
                    assert!(!provider.is_active(BASIC_CLIENT, t).await, "token revoked");
                }
            });
            rss_20k = rss_20k.max(timed.rss_kib);
            if pass == 1 {
                signoff_tokens = tokens.to_vec();
            }
        },
    );

    // The curl loop over 500 real tokens.
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
        "bulk oidc-provider: signoff / curl loop",
        format!("{:.1}x (goal >= 25x)", oidc.signoff_best / curl_rate),
    );

    // Peak memory with 200,000 tokens: the 20,000 real ones (already revoked: the provider
    // answers 200 again) followed by 180,000 random strings it never issued (RFC 7009: 200).
    let big_file = dir.join("tokens-200000.txt");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big_file).unwrap());
        for t in &signoff_tokens {
            writeln!(f, "{t}").unwrap();
        }
        for i in 0..(BIG - signoff_tokens.len()) {
            writeln!(f, "unknown-{i:08}-{:016x}", fastrand_u64(i as u64)).unwrap();
        }
    }
    let (timed, summary) = signoff_revoke(bench, home.path(), "corp", &big_file, &dir);
    let (wall, rss_200k) = (timed.wall, timed.rss_kib);
    assert_eq!(summary["total"], BIG, "one result per token: {summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    bench.result(
        "bulk signoff revoke, 200,000 tokens (20,000 real already revoked + 180,000 unknown random strings)",
        format!(
            "{:.2} s wall, {:.0} tokens/s, max RSS {:.1} MiB (20,000 tokens: {:.1} MiB); {}",
            wall.as_secs_f64(),
            BIG as f64 / wall.as_secs_f64(),
            rss_200k as f64 / 1024.0,
            rss_20k as f64 / 1024.0,
            limits(&summary)
        ),
    );
    drop(provider);

    // 2. The thread-per-connection server.
    let threading_tokens = fake_tokens("threading", THREADING_TOKENS);
    let threading_result = take_turns(
        bench,
        &dir,
        home.path(),
        Server {
            name: "ThreadingHTTPServer",
            profile: "threading",
            url: &threading.revocation,
            node: None,
            counter: Some(&|| threading.count()),
        },
        |_| (threading_tokens.clone(), None),
        |_| (threading_tokens.clone(), None),
        |_, _, _| {},
    );
    drop(threading);

    // 3. The server with 4 workers and 20 ms per request.
    let workers_tokens = fake_tokens("workers", WORKERS_TOKENS);
    let workers_result = take_turns(
        bench,
        &dir,
        home.path(),
        Server {
            name: "4 workers x 20 ms",
            profile: "workers",
            url: &workers.revocation,
            node: None,
            counter: Some(&|| workers.revoked()),
        },
        |_| (workers_tokens.clone(), None),
        |_| (workers_tokens.clone(), None),
        |_, _, _| {},
    );
    drop(workers);

    let all = [&oidc, &threading_result, &workers_result];
    bench.result(
        "bulk adaptive limit, signoff best / wrk best on each server",
        all.iter()
            .map(|r| {
                format!(
                    "{} {:.0} %{}",
                    r.name,
                    100.0 * r.signoff_best / r.wrk_best,
                    if r.signoff_best >= GOAL * r.wrk_best {
                        ""
                    } else {
                        " (under the goal)"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
            + " (goal >= 85 % on each)",
    );
}

/// One server the turns run on.
struct Server<'a> {
    name: &'a str,
    /// The profile id in the bench's data dir.
    profile: &'a str,
    url: &'a url::Url,
    /// The provider's process, to wait until it is idle before each stretch and to read its
    /// CPU time (node); `None` for the others.
    node: Option<&'a NodeCpu>,
    /// The server's own count of revocations, if it keeps one: each pass must add its tokens.
    counter: Option<&'a dyn Fn() -> u64>,
}

/// What the turns on one server came to.
struct Turns {
    name: String,
    signoff_best: f64,
    wrk_best: f64,
}

/// On `server`, for each c of [`WRK_CONNECTIONS`]: a `signoff revoke` pass over the tokens
/// `signoff_tokens(pass)` gives (then `check(pass, tokens, timed)`), then wrk with c
/// connections over the tokens `wrk_tokens(c)` gives (with at most how many requests it may
/// make, when the tokens must be fresh). RESULT lines for each, and one for the ratio.
fn take_turns(
    bench: &Bench,
    dir: &Path,
    home: &Path,
    server: Server<'_>,
    mut signoff_tokens: impl FnMut(usize) -> (Vec<String>, Option<u64>),
    mut wrk_tokens: impl FnMut(usize) -> (Vec<String>, Option<u64>),
    mut check: impl FnMut(usize, &[String], &Timed),
) -> Turns {
    let during = |work: &mut dyn FnMut()| match server.node {
        Some(node) => node.during(work).1,
        None => {
            work();
            Duration::ZERO
        }
    };
    let slug: String = server
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (mut signoff_rates, mut wrk_rates) = (Vec::new(), Vec::new());
    let mut final_limits = Vec::new();
    for (pass, c) in WRK_CONNECTIONS.into_iter().enumerate() {
        let pass = pass + 1;
        let (tokens, _) = signoff_tokens(pass);
        let file = write_lines(
            &dir.join(format!("tokens-{slug}-signoff-{pass}.txt")),
            &tokens,
        );
        let counted = server.counter.map(|count| count());
        let overflows = listen_overflows();
        let mut out = None;
        let server_cpu = during(&mut || {
            out = Some(signoff_revoke(bench, home, server.profile, &file, dir));
        });
        let overflows = listen_overflows() - overflows;
        let (timed, summary) = out.expect("the pass ran");
        assert_eq!(summary["revoked"], tokens.len(), "{summary}");
        if let (Some(count), Some(before)) = (server.counter, counted) {
            // At least: an attempt whose answer was lost on the way may have counted too.
            assert!(
                count() - before >= tokens.len() as u64,
                "{}: the server counted every revocation of the pass",
                server.name
            );
        }
        check(pass, &tokens, &timed);
        let rate = tokens.len() as f64 / timed.wall.as_secs_f64();
        let cpu = match server.node {
            Some(_) => format!(
                "; CPU: signoff {:.0} us/token, provider {:.0} us/request",
                per_item_us(timed.cpu, tokens.len() as u64),
                per_item_us(server_cpu, tokens.len() as u64)
            ),
            None => format!(
                "; CPU: signoff {:.0} us/token",
                per_item_us(timed.cpu, tokens.len() as u64)
            ),
        };
        bench.result(
            &format!(
                "bulk {}: signoff revoke, {} tokens, pass {pass}",
                server.name,
                tokens.len()
            ),
            format!(
                "{:.2} s wall (process spawn to exit), {rate:.0} tokens/s, max RSS {:.1} MiB; {}{cpu}; \
                 SYNs and ACKs this machine's kernel dropped for a full accept queue: {overflows}",
                timed.wall.as_secs_f64(),
                timed.rss_kib as f64 / 1024.0,
                limits(&summary)
            ),
        );
        final_limits.push(summary["final_limit"].as_u64().unwrap_or(0));
        signoff_rates.push(rate);

        let (tokens, most) = wrk_tokens(c);
        let file = write_lines(&dir.join(format!("tokens-{slug}-wrk-{c}.txt")), &tokens);
        let mut out = None;
        let server_cpu = during(&mut || out = Some(wrk(dir, server.url, c, &file, WRK_SECONDS)));
        let (rps, requests, non2xx) = out.expect("wrk ran");
        if let Some(most) = most {
            assert!(
                requests <= most,
                "wrk ran out of fresh tokens ({requests} requests); mint more"
            );
        }
        let cpu = match server.node {
            Some(_) => format!(
                "; CPU: provider {:.0} us/request",
                per_item_us(server_cpu, requests)
            ),
            None => String::new(),
        };
        bench.result(
            &format!("bulk {}: wrk -t1 -c{c} -d{WRK_SECONDS}s", server.name),
            format!("{rps:.0} requests/s ({requests} requests, {non2xx} not 2xx){cpu}"),
        );
        wrk_rates.push(rps);
    }
    let best = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (signoff_best, wrk_best) = (best(&signoff_rates), best(&wrk_rates));
    let best_c = WRK_CONNECTIONS[wrk_rates
        .iter()
        .position(|r| *r == wrk_best)
        .unwrap_or_default()];
    bench.result(
        &format!("bulk {}: signoff best / wrk best", server.name),
        format!(
            "{:.0} % ({signoff_best:.0} vs {wrk_best:.0} req/s at -c{best_c}; goal >= {:.0} %); \
             each pass: {}; signoff's final limits: {}",
            100.0 * signoff_best / wrk_best,
            100.0 * GOAL,
            signoff_rates
                .iter()
                .map(|r| format!("{:.0} %", 100.0 * r / wrk_best))
                .collect::<Vec<_>>()
                .join(", "),
            final_limits
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    Turns {
        name: server.name.to_owned(),
        signoff_best,
        wrk_best,
    }
}

/// The adaptive limit as the summary gives it.
fn limits(summary: &serde_json::Value) -> String {
    format!(
        "limit at the end {}, peak {} (cap {})",
        summary["final_limit"], summary["peak_limit"], summary["limit_cap"]
    )
}

/// How many times, since boot, this machine's kernel dropped a SYN or a handshake's last ACK
/// because a listening socket's accept queue was full (`TcpExtListenOverflows` in
/// /proc/net/netstat, as `nstat` shows it; every listener on the machine, each retransmission
/// counted again): a client whose SYN is dropped waits a second or more to try again.
fn listen_overflows() -> u64 {
    let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
    let mut lines = text.lines();
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        if let Some(names) = names.strip_prefix("TcpExt:") {
            let values = values.trim_start_matches("TcpExt:");
            if let Some((_, v)) = names
                .split_whitespace()
                .zip(values.split_whitespace())
                .find(|(n, _)| *n == "ListenOverflows")
            {
                return v.parse().unwrap_or(0);
            }
        }
    }
    0
}

/// `n` distinct token-like strings no server issued (RFC 7009 servers answer 200 for them).
fn fake_tokens(tag: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{tag}-{i:08}-{:016x}", fastrand_u64(i as u64)))
        .collect()
}

/// `tests/bench/revoke_threading.py`, running: Python's thread-per-connection server.
struct ThreadingServer {
    child: std::process::Child,
    revocation: url::Url,
    base: url::Url,
}

impl ThreadingServer {
    fn start() -> Self {
        let script = signoff_tests::workspace_root().join("tests/bench/revoke_threading.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args([BASIC_CLIENT.0, BASIC_CLIENT.1])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is installed (scripts/install-deps.sh)");
        let mut port = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut port,
        )
        .unwrap();
        let port: u16 = port
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("revoke_threading.py printed {port:?}, not its port"));
        let base = url::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        Self {
            child,
            revocation: base.join("revoke").unwrap(),
            base,
        }
    }

    /// The revocations it answered 200 so far.
    fn count(&self) -> u64 {
        let out = Command::new("curl")
            .args(["-sS", "-X", "POST"])
            .arg(self.base.join("__count").unwrap().as_str())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a count")
    }
}

impl Drop for ThreadingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `signoff --json revoke PROFILE < file`, under `/usr/bin/time -v`: what it measured, and the
/// summary signoff printed.
fn signoff_revoke(
    bench: &Bench,
    home: &Path,
    profile: &str,
    tokens: &Path,
    dir: &Path,
) -> (Timed, serde_json::Value) {
    let out_path = dir.join("revoke-out.json");
    let timed = time_v(
        &bench.signoff,
        &[
            "--home".as_ref(),
            home.as_os_str(),
            "--json".as_ref(),
            "revoke".as_ref(),
            profile.as_ref(),
            "--hint".as_ref(),
            "refresh_token".as_ref(),
        ],
        Stdio::from(std::fs::File::open(tokens).unwrap()),
        Stdio::from(std::fs::File::create(&out_path).unwrap()),
    );
    assert!(
        timed.status.success(),
        "signoff revoke exited with {}",
        timed.status
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out_path).unwrap()).expect("one JSON document");
    let summary = doc["summary"].clone();
    let _ = std::fs::remove_file(&out_path);
    (timed, summary)
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
fn wrk(
    dir: &Path,
    url: &url::Url,
    connections: usize,
    tokens: &Path,
    seconds: u64,
) -> (f64, u64, u64) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", BASIC_CLIENT.0, BASIC_CLIENT.1));
    let script = dir.join("revoke.lua");
    std::fs::write(&script, format!("AUTH = \"{auth}\"\n{WRK_LUA}")).unwrap();
    let out = Command::new("wrk")
        .args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
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

/// CPU time used so far by a process (all its threads), from `/proc/PID/stat`.
struct NodeCpu {
    pid: u32,
    ticks_per_second: f64,
}

impl NodeCpu {
    fn new(pid: u32) -> Self {
        let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
        let ticks_per_second = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        Self {
            pid,
            ticks_per_second,
        }
    }

    /// Runs `work` once the process is idle, and returns what it gave and the CPU time the
    /// process used meanwhile.
    fn during<T>(&self, work: impl FnOnce() -> T) -> (T, Duration) {
        self.wait_idle();
        let before = self.cpu();
        let out = work();
        (out, self.cpu() - before)
    }

    /// Waits (up to 15 s) until the process has been idle for a quarter of a second, so that
    /// each timed stretch starts with the provider done with the previous one (its garbage
    /// collection included) instead of inheriting its leftovers.
    fn wait_idle(&self) {
        let step = Duration::from_millis(250);
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut last = self.cpu();
        while Instant::now() < deadline {
            std::thread::sleep(step);
            let now = self.cpu();
            if now - last < step / 20 {
                return;
            }
            last = now;
        }
    }

    fn cpu(&self) -> Duration {
        let fields = stat_fields(self.pid).expect("the provider is running");
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_secs_f64(ticks as f64 / self.ticks_per_second)
    }
}

fn per_item_us(cpu: Duration, items: u64) -> f64 {
    cpu.as_secs_f64() * 1e6 / items.max(1) as f64
}
