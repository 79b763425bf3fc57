//! Benchmark 1, "sign out everywhere": 30 accounts over the three seed test servers (10 each),
//! every answer 200 ms late. Timed through the core's use case (`Signoff::sign_out_all`, what
//! the window and the tray call: keychain read, provider call, keychain delete, SQLite and
//! audit writes) on a core opened afresh (nothing remembered from adding the accounts), and
//! end to end through `signoff --json signout --all` (process start included); first with a
//! keyring holding nothing but the run's items, then with 2,000 other apps' items in it (issue
//! #19 goal 1). After each round, the floor: 30 bare deletes at known paths through the Secret
//! Service in the same keyring (goal 2: floor = slowest call + those deletes). `per_host = 1`
//! once, on the empty keyring. The slowest single call is measured by the servers (arrival
//! to response).

use std::sync::Arc;
use std::time::{Duration, Instant};

use signoff_core::SecretString;
use signoff_core::api::{AccountFilter, SignOutOptions};
use signoff_core::audit::Actor;
use signoff_core::engine::{DEFAULT_PER_HOST, EngineConfig};
use signoff_core::outcome::Outcome;
use signoff_tests::servers::{self, Fault, TestServer};
use tokio::runtime::Runtime;

use crate::keyring::{self, FOREIGN};
use crate::{Bench, HYPER_CLIENT, MESHY_KEY, add_account, median, ms, open_core};

const PER_SERVER: usize = 10;
const DELAY: Duration = Duration::from_millis(200);
const ROUNDS: usize = 5;
/// A fresh session's keyring already holds an item or so of its own: "empty" means fewer than
/// this many items before the run's.
const NEARLY_EMPTY: usize = 10;

struct Setup {
    _home: tempfile::TempDir,
    home_path: std::path::PathBuf,
    servers: [TestServer; 3],
    ids: Vec<String>,
}

/// Three fresh seed servers (on their own runtime, so they never wait for the measured code's
/// threads), a data dir with 30 accounts in the real keychain, and the servers' delay on.
fn setup(servers_rt: &Runtime, config: EngineConfig) -> (Setup, Arc<signoff_core::Signoff>) {
    let servers = servers_rt.block_on(async {
        [
            servers::meshydb(MESHY_KEY).await,
            servers::hyperid(HYPER_CLIENT.0, HYPER_CLIENT.1).await,
            servers::matar().await,
        ]
    });
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        home.path().join("providers.toml"),
        crate::seed_providers_toml(&servers[0].base, &servers[1].base, &servers[2].base),
    )
    .unwrap();
    let core = open_core(home.path(), config);
    core.set_client_secret(
        "hyperid",
        SecretString::new(HYPER_CLIENT.1.into()),
        Actor::Admin,
    )
    .expect("client secret");
    let mut ids = Vec::new();
    for i in 0..PER_SERVER {
        let (m, h, a) = (
            format!("bench-meshy-rt-{i}"),
            format!("bench-hyper-rt-{i}"),
            format!("bench-matar-at-{i}"),
        );
        servers[0].issue(&m);
        servers[1].issue(&h);
        servers[2].issue(&a);
        ids.push(add_account(
            &core,
            "meshydb",
            &format!("Meshy {i}"),
            &format!(r#"{{"refresh_token":"{m}"}}"#),
        ));
        ids.push(add_account(
            &core,
            "hyperid",
            &format!("Hyper {i}"),
            &format!(r#"{{"refresh_token":"{h}"}}"#),
        ));
        ids.push(add_account(
            &core,
            "matar",
            &format!("Matar {i}"),
            &format!(r#"{{"access_token":"{a}"}}"#),
        ));
    }
    for s in &servers {
        s.fail_always(Some(Fault::Slow(DELAY)));
    }
    let home_path = home.path().to_path_buf();
    (
        Setup {
            _home: home,
            home_path,
            servers,
            ids,
        },
        core,
    )
}

fn slowest(setup: &Setup) -> Duration {
    setup
        .servers
        .iter()
        .map(TestServer::longest_request)
        .max()
        .unwrap()
}

fn check_done(setup: &Setup, core: &signoff_core::Signoff) {
    for (i, s) in setup.servers.iter().enumerate() {
        assert_eq!(
            s.seen().len(),
            PER_SERVER,
            "server {i} got one call per account"
        );
    }
    for id in &setup.ids {
        let id = signoff_core::AccountId::parse(id).unwrap();
        assert!(
            core.tokens(&id).expect("keychain").is_none(),
            "the token left the keychain"
        );
    }
}

/// One timed round: the wall, the slowest call, and the floor's 30 deletes measured after it.
struct Round {
    wall: Duration,
    slowest: Duration,
    deletes: Duration,
}

impl Round {
    fn floor(&self) -> Duration {
        self.slowest + self.deletes
    }
}

/// Medians and every run, as one RESULT value.
fn describe(rounds: &[Round]) -> String {
    let list = |f: &dyn Fn(&Round) -> String| rounds.iter().map(f).collect::<Vec<_>>().join(", ");
    let ratio = |f: &dyn Fn(&Round) -> f64| {
        let mut v: Vec<f64> = rounds.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    format!(
        "wall median {} (runs: {}); slowest call median {}; 30 bare deletes median {} (runs: {}); \
         floor median {}; wall/floor median {:.3} (runs: {}); wall/slowest median {:.2} (runs: {})",
        ms(median(rounds.iter().map(|r| r.wall).collect())),
        list(&|r| ms(r.wall)),
        ms(median(rounds.iter().map(|r| r.slowest).collect())),
        ms(median(rounds.iter().map(|r| r.deletes).collect())),
        list(&|r| ms(r.deletes)),
        ms(median(rounds.iter().map(Round::floor).collect())),
        ratio(&|r| r.wall.as_secs_f64() / r.floor().as_secs_f64()),
        list(&|r| format!("{:.3}", r.wall.as_secs_f64() / r.floor().as_secs_f64())),
        ratio(&|r| r.wall.as_secs_f64() / r.slowest.as_secs_f64()),
        list(&|r| format!("{:.2}", r.wall.as_secs_f64() / r.slowest.as_secs_f64())),
    )
}

/// `sign_out_all` on a core opened afresh over the setup's data dir.
fn api_round(servers_rt: &Runtime, rt: &Runtime, config: EngineConfig) -> Round {
    let (setup, core) = setup(servers_rt, config);
    drop(core);
    let core = open_core(&setup.home_path, config);
    let options = SignOutOptions {
        actor: Actor::User,
        verify: false,
    };
    let started = Instant::now();
    let summary = rt
        .block_on(core.sign_out_all(&AccountFilter::default(), options, |_| {}))
        .expect("sign out everywhere");
    let wall = started.elapsed();
    assert_eq!(summary.results.len(), 3 * PER_SERVER, "{summary:?}");
    assert!(
        summary
            .results
            .iter()
            .all(|r| r.report.outcome == Outcome::Revoked),
        "{summary:?}"
    );
    check_done(&setup, &core);
    Round {
        wall,
        slowest: slowest(&setup),
        deletes: keyring::bare_deletes(3 * PER_SERVER),
    }
}

/// `signoff --json signout --all`, from spawn to exit.
fn cli_round(bench: &Bench, servers_rt: &Runtime) -> Round {
    let (setup, core) = setup(servers_rt, EngineConfig::default());
    let started = Instant::now();
    let out = std::process::Command::new(&bench.signoff)
        .arg("--home")
        .arg(&setup.home_path)
        .args(["--json", "signout", "--all"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run signoff");
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["results"].as_array().unwrap().len(), 3 * PER_SERVER);
    check_done(&setup, &core);
    Round {
        wall,
        slowest: slowest(&setup),
        deletes: keyring::bare_deletes(3 * PER_SERVER),
    }
}

pub fn run(bench: &Bench, rt: &Runtime) {
    let servers_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    bench.note(format!(
        "sign out everywhere: {} accounts, {} per server, {} ms each, {ROUNDS} rounds",
        3 * PER_SERVER,
        PER_SERVER,
        DELAY.as_millis()
    ));
    // The "empty" case needs a keyring holding nothing else (run this benchmark first: the
    // others leave items behind).
    let already = keyring::total_count();
    let mut api_medians = Vec::new();
    for (state, foreign) in [("empty keyring", 0), ("2,000 other items", FOREIGN)] {
        let have = keyring::foreign_count();
        if have < foreign {
            let started = Instant::now();
            keyring::add_foreign(foreign - have);
            bench.note(format!(
                "added {} other apps' items to the keyring in {:.1} s",
                foreign - have,
                started.elapsed().as_secs_f64()
            ));
        }
        let foreign_now = keyring::total_count();
        // API and CLI rounds take turns, so neither gets only a quick or a slow stretch.
        let mut api = Vec::new();
        let mut cli = Vec::new();
        for _ in 0..ROUNDS {
            api.push(api_round(&servers_rt, rt, EngineConfig::default()));
            cli.push(cli_round(bench, &servers_rt));
        }
        api_medians.push(median(api.iter().map(|r| r.wall).collect()));
        bench.result(
            &format!("signout_all api, {state} ({foreign_now} items in the keyring before the run's), fresh core"),
            describe(&api),
        );
        bench.result(
            &format!("signout_all cli `signoff --json signout --all`, {state} ({foreign_now} items in the keyring before the run's)"),
            describe(&cli),
        );
        if foreign == 0 && already < NEARLY_EMPTY {
            let serial: Vec<Round> = (0..3)
                .map(|_| {
                    let config = EngineConfig {
                        per_host: 1,
                        ..EngineConfig::default()
                    };
                    api_round(&servers_rt, rt, config)
                })
                .collect();
            bench.result(
                &format!("signout_all api per_host=1 (default {DEFAULT_PER_HOST}), {state}"),
                describe(&serial),
            );
        }
    }
    let started = Instant::now();
    keyring::remove_foreign();
    bench.note(format!(
        "removed the other apps' items again in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    if already < NEARLY_EMPTY {
        bench.result(
            "signout_all api: 2,000 other items / empty keyring (goal 1: <= 1.10)",
            format!(
                "{:.2} (medians {} / {})",
                api_medians[1].as_secs_f64() / api_medians[0].as_secs_f64(),
                ms(api_medians[1]),
                ms(api_medians[0])
            ),
        );
    } else {
        bench.note(format!(
            "the keyring already held {already} items: no empty-keyring figure (run `signout` first)"
        ));
    }
}
