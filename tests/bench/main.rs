//! `signoff-bench`: the benchmarks in BENCHMARKS.md (issue #7). Not a test: `make bench`
//! (scripts/bench.sh) builds it with the release binaries and runs it inside
//! `scripts/session.sh` (private D-Bus, unlocked gnome-keyring, Xvfb, throwaway HOME).
//!
//! ```text
//! signoff-bench [signout] [list] [bulk] [app] [scan] [--out DIR]     (no name: all five)
//! ```
//!
//! It prints one `RESULT` line per figure (and writes them to `DIR/results.txt`, default
//! `target/bench/`). The binaries measured are `target/release/signoff` and
//! `target/release/signoff-app` (or `SIGNOFF_BIN` / `SIGNOFF_APP_BIN`), and the bare Tauri window
//! the app is compared with, `target/release/signoff-bench-bare` (or `SIGNOFF_BARE_BIN`).

mod app;
mod bulk;
mod keyring;
mod list;
mod scan;
mod signout;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use signoff_core::audit::Actor;
use signoff_core::engine::EngineConfig;
use signoff_core::{NewAccount, Paths, Signoff, TokenBundle};

/// Where results go, and the binaries under test.
#[derive(Debug)]
pub struct Bench {
    pub out: PathBuf,
    pub signoff: PathBuf,
    pub app: PathBuf,
    /// The bare Tauri window the app is measured against (tests/bench/bare-window).
    pub bare: PathBuf,
    results: Mutex<std::fs::File>,
    scratch: tempfile::TempDir,
    thousand: std::sync::OnceLock<PathBuf>,
}

impl Bench {
    /// Prints a figure and keeps it in `results.txt`.
    pub fn result(&self, name: &str, value: impl std::fmt::Display) {
        let line = format!("RESULT {name}: {value}");
        println!("{line}");
        let mut f = self.results.lock().unwrap();
        let _ = writeln!(f, "{line}");
    }

    /// A data dir with 1,000 accounts (a third at each seed provider), added through the core:
    /// rows in SQLite, tokens in the session's real keychain. Made once per run.
    pub fn home_with_1000_accounts(&self) -> &Path {
        self.thousand.get_or_init(|| {
            let home = self.home_with_profiles("home-1000");
            let core = open_core(&home, EngineConfig::default());
            let started = std::time::Instant::now();
            for i in 0..1000 {
                let (provider, tokens) = match i % 3 {
                    0 => (
                        "meshydb",
                        format!(r#"{{"refresh_token":"rt-{i:04}-bench"}}"#),
                    ),
                    1 => (
                        "hyperid",
                        format!(r#"{{"refresh_token":"rt-{i:04}-bench"}}"#),
                    ),
                    _ => ("matar", format!(r#"{{"access_token":"at-{i:04}-bench"}}"#)),
                };
                add_account(&core, provider, &format!("Account {i:04}"), &tokens);
            }
            self.note(format!(
                "added 1,000 accounts (keychain + SQLite) in {:.1} s",
                started.elapsed().as_secs_f64()
            ));
            home
        })
    }

    /// The bare window's HOME-like dir (it reads nothing there; kept apart from the app's).
    pub fn home_bare(&self) -> PathBuf {
        let home = self.scratch.path().join("home-bare");
        std::fs::create_dir_all(&home).unwrap();
        home
    }

    /// An empty data dir (same profiles as the 1,000-account one).
    pub fn home_empty(&self) -> PathBuf {
        self.home_with_profiles("home-0")
    }

    /// The data dir `name` in the scratch dir, with the seed profiles (pointing nowhere: the
    /// app and `account list` never call a provider).
    fn home_with_profiles(&self, name: &str) -> PathBuf {
        let home = self.scratch.path().join(name);
        std::fs::create_dir_all(&home).unwrap();
        let nowhere = url::Url::parse("http://127.0.0.1:9/").unwrap();
        std::fs::write(
            home.join("providers.toml"),
            seed_providers_toml(&nowhere, &nowhere, &nowhere),
        )
        .unwrap();
        home
    }

    /// A progress note on stderr.
    pub fn note(&self, text: impl std::fmt::Display) {
        eprintln!("bench: {text}");
    }
}

fn release_binary(name: &str, env: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let path = signoff_tests::target_dir().join("release").join(name);
    assert!(
        path.is_file(),
        "{} is not built; run `cargo build --release --workspace --bins` (make bench does)",
        path.display()
    );
    path
}

fn main() {
    let mut which = Vec::new();
    let mut out = signoff_tests::target_dir().join("bench");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = PathBuf::from(args.next().expect("--out DIR")),
            "signout" | "list" | "bulk" | "app" | "scan" => which.push(a),
            other => {
                eprintln!("usage: signoff-bench [signout] [list] [bulk] [app] [scan] [--out DIR]");
                eprintln!("unknown argument {other:?}");
                std::process::exit(1);
            }
        }
    }
    if which.is_empty() {
        // `signout` first: its "empty keyring" case needs a keyring no other benchmark filled.
        which = ["signout", "list", "bulk", "app", "scan"]
            .map(String::from)
            .to_vec();
    }
    std::fs::create_dir_all(&out).expect("create the output dir");
    let bench = Bench {
        signoff: release_binary("signoff", "SIGNOFF_BIN"),
        app: release_binary("signoff-app", "SIGNOFF_APP_BIN"),
        bare: release_binary("signoff-bench-bare", "SIGNOFF_BARE_BIN"),
        results: Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(out.join("results.txt"))
                .expect("open results.txt"),
        ),
        out,
        scratch: tempfile::tempdir().expect("tempdir"),
        thousand: std::sync::OnceLock::new(),
    };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    bench.result(
        "machine",
        format!(
            "{} cores, {} GiB, {}, {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            mem_total_gib(),
            os_name(),
            now_utc()
        ),
    );
    for name in &which {
        match name.as_str() {
            "signout" => signout::run(&bench, &rt),
            "list" => list::run(&bench),
            "bulk" => bulk::run(&bench, &rt),
            "app" => app::run(&bench),
            "scan" => scan::run(&bench),
            _ => unreachable!(),
        }
    }
}

fn mem_total_gib() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    (kib + 512 * 1024) / (1024 * 1024)
}

fn os_name() -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "unknown OS".into())
}

fn now_utc() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Signoff's core on a data dir, with only the profiles in `home/providers.toml`.
pub fn open_core(home: &Path, config: EngineConfig) -> Arc<Signoff> {
    Arc::new(
        Signoff::open(Paths::under(home))
            .expect("open the data dir")
            .with_system_profiles(None)
            .with_engine_config(config),
    )
}

/// Adds an account through the core (row in SQLite, tokens in the real keychain).
pub fn add_account(core: &Signoff, provider: &str, label: &str, tokens_json: &str) -> String {
    let account = core
        .add_account(
            NewAccount {
                provider_id: provider.into(),
                label: label.into(),
                subject: Some(format!("{}@example.test", label.replace(' ', "."))),
            },
            TokenBundle::from_json(tokens_json).expect("token JSON"),
            Actor::Admin,
        )
        .expect("add account");
    account.id.to_string()
}

/// Seed providers' profiles pointing at loopback servers (see tests/cli/signout.rs).
pub fn seed_providers_toml(meshy: &url::Url, hyper: &url::Url, matar: &url::Url) -> String {
    let hyper_base = format!("{hyper}auth/realms/{{realm}}/protocol/openid-connect");
    format!(
        "[[provider]]\nid = \"meshydb\"\nclient_id = \"{}\"\n\
         revocation_endpoint = \"{meshy}{{account}}/connect/revocation\"\n\
         params = {{ account = \"{}\" }}\n\n\
         [[provider]]\nid = \"hyperid\"\nclient_id = \"{}\"\n\
         logout_endpoint = \"{hyper_base}/logout\"\n\
         introspection_endpoint = \"{hyper_base}/token/introspect\"\n\n\
         [[provider]]\nid = \"matar\"\nlogout_endpoint = \"{matar}api/v1/logout\"\n",
        MESHY_KEY,
        signoff_tests::servers::MESHYDB_ACCOUNT,
        HYPER_CLIENT.0,
    )
}

pub const MESHY_KEY: &str = "pk_bench_public";
pub const HYPER_CLIENT: (&str, &str) = ("signoff-bench", "bench-hyper-secret");

/// What `/usr/bin/time -v` saw of one run.
#[derive(Debug)]
pub struct Timed {
    /// From spawn to exit, measured here.
    pub wall: Duration,
    /// Maximum resident set size, KiB.
    pub rss_kib: u64,
    /// User plus system CPU time.
    pub cpu: Duration,
    pub status: std::process::ExitStatus,
}

/// Runs `program args` under `/usr/bin/time -v` with `stdin` and `stdout`.
pub fn time_v(
    program: &Path,
    args: &[&std::ffi::OsStr],
    stdin: std::process::Stdio,
    stdout: std::process::Stdio,
) -> Timed {
    let log = tempfile::NamedTempFile::new().expect("temp file");
    let started = std::time::Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-v")
        .arg("-o")
        .arg(log.path())
        .arg(program)
        .args(args)
        .stdin(stdin)
        .stdout(stdout)
        .status()
        .expect("run /usr/bin/time");
    let wall = started.elapsed();
    let text = std::fs::read_to_string(log.path()).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name:?} in /usr/bin/time output: {text}"))
    };
    let seconds = |name: &str| {
        Duration::from_secs_f64(
            field(name)
                .parse()
                .unwrap_or_else(|_| panic!("{name:?} is not a number of seconds: {text}")),
        )
    };
    Timed {
        wall,
        rss_kib: field("Maximum resident set size (kbytes):")
            .parse()
            .unwrap_or_else(|_| panic!("max RSS is not a number: {text}")),
        cpu: seconds("User time (seconds):") + seconds("System time (seconds):"),
        status,
    }
}

/// Median of some durations.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
