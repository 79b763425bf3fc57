//! Benchmark 1, "sign out everywhere": 30 accounts over the three seed test servers (10 each),
//! every answer 200 ms late. Timed through the core's use case (`Signoff::sign_out_all`, what
//! the window and the tray call: keychain read, provider call, keychain delete, SQLite and
//! audit writes), with the default per-host bound and with `per_host = 1`, then end to end
//! through `signoff --json signout --all` (process start included). The slowest single call
//! is measured by the servers (arrival to response).

use std::sync::Arc;
use std::time::{Duration, Instant};

use signoff_core::SecretString;
use signoff_core::api::{AccountFilter, SignOutOptions};
use signoff_core::audit::Actor;
use signoff_core::engine::{DEFAULT_PER_HOST, EngineConfig};
use signoff_core::outcome::Outcome;
use signoff_tests::servers::{self, Fault, TestServer};
use tokio::runtime::Runtime;

use crate::{Bench, HYPER_CLIENT, MESHY_KEY, add_account, median, ms, open_core};

const PER_SERVER: usize = 10;
const DELAY: Duration = Duration::from_millis(200);
const ROUNDS: usize = 5;

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
    for (name, per_host) in [("default", DEFAULT_PER_HOST), ("per_host_1", 1)] {
        let mut walls = Vec::new();
        let mut ratios = Vec::new();
        let mut slowest_calls = Vec::new();
        for _ in 0..ROUNDS {
            let config = EngineConfig {
                per_host,
                ..EngineConfig::default()
            };
            let (setup, core) = setup(&servers_rt, config);
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
            let slow = slowest(&setup);
            walls.push(wall);
            slowest_calls.push(slow);
            ratios.push(wall.as_secs_f64() / slow.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        bench.result(
            &format!("signout_all api {name} (per_host={per_host})"),
            format!(
                "wall median {} (runs: {}), slowest call median {}, ratio wall/slowest median {:.2} (runs: {})",
                ms(median(walls.clone())),
                walls.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
                ms(median(slowest_calls)),
                ratios[ratios.len() / 2],
                ratios
                    .iter()
                    .map(|r| format!("{r:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }

    // End to end: the `signoff` process, from spawn to exit.
    let mut walls = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..ROUNDS {
        let (setup, core) = setup(&servers_rt, EngineConfig::default());
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
        ratios.push(wall.as_secs_f64() / slowest(&setup).as_secs_f64());
        walls.push(wall);
    }
    ratios.sort_by(f64::total_cmp);
    bench.result(
        "signout_all cli `signoff --json signout --all` (process spawn to exit)",
        format!(
            "wall median {} (runs: {}), ratio wall/slowest median {:.2}",
            ms(median(walls.clone())),
            walls.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "),
            ratios[ratios.len() / 2]
        ),
    );
}
