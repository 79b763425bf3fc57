//! Benchmark 3, the desktop app (release build, under Xvfb): time from launch to the account
//! list painted, and the PSS of its whole process tree (WebKit's web and network processes
//! included), with 0 and 1,000 accounts.
//!
//! "Painted": the page calls the `ui_ready` command at the start of the second animation frame
//! after it put the first account list in the DOM, i.e. once the frame showing the list has
//! been drawn; the app logs `account list painted` to stderr. The clock runs from just before
//! the process is spawned to the moment that line is read.
//!
//! The baseline is a bare Tauri window (`signoff-bench-bare`, tests/bench/bare-window: one line
//! of text, one command that prints the same line after the same two frames), launched in the
//! same rounds: bare, app with 0 accounts, app with 1,000 accounts, again and again. Goals
//! (issue #19): the app's launch-to-painted ≤ 1.10 × the bare window's, and the PSS of its tree
//! with 1,000 accounts ≤ the bare window's + 30 MiB.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use signoff_tests::procs::{command_name, process_tree};

use crate::{Bench, median, ms};

/// Rounds: the bare window's own launch moves by ±20 ms from one run of the bench to the next,
/// so five rounds left the ratios jumping by as much.
const RUNS: usize = 9;
/// The line the core logs when a scan of this computer starts (`api/found.rs`).
const SCAN_STARTS: &str = "scanning this computer's stores";
/// How long the app is left to settle after painting before its memory is read.
const SETTLE: Duration = Duration::from_secs(3);

/// The three cases, launched in turn within each round (not in blocks: the VM's speed drifts).
const CASES: [&str; 3] = ["bare window", "0 accounts", "1000 accounts"];

pub fn run(bench: &Bench) {
    let empty = bench.home_empty();
    let thousand = bench.home_with_1000_accounts().to_path_buf();
    let bare_home = bench.home_bare();
    // One launch of each first, not counted: WebKit, fontconfig and GTK fill their caches in HOME.
    let _ = launch(&bench.bare, &bare_home);
    let _ = launch(&bench.app, &empty);
    let mut all: [Vec<Measure>; 3] = Default::default();
    for _ in 0..RUNS {
        for (i, m) in all.iter_mut().enumerate() {
            m.push(match i {
                0 => launch(&bench.bare, &bare_home),
                1 => launch(&bench.app, &empty),
                _ => launch(&bench.app, &thousand),
            });
        }
    }
    let mib = |k: u64| format!("{:.1} MiB", k as f64 / 1024.0);
    let mut painted_median = [Duration::ZERO; 3];
    let mut pss_median = [0u64; 3];
    for (i, runs) in all.iter().enumerate() {
        let name = CASES[i];
        let what = if i == 0 {
            "bare Tauri window launch to line painted"
        } else {
            "app launch to account list painted"
        };
        let painted: Vec<Duration> = runs.iter().map(|m| m.painted).collect();
        let in_app: Vec<Duration> = runs.iter().map(|m| m.since_start).collect();
        let mut pss: Vec<u64> = runs.iter().map(|m| m.pss_kib).collect();
        let mut rss: Vec<u64> = runs.iter().map(|m| m.rss_kib).collect();
        let procs = runs.last().map_or(0, |m| m.processes);
        let mut split: Vec<(u64, &Vec<(String, u64)>)> =
            runs.iter().map(|m| (m.pss_kib, &m.per_process)).collect();
        split.sort_unstable_by_key(|(total, _)| *total);
        pss.sort_unstable();
        rss.sort_unstable();
        painted_median[i] = median(painted.clone());
        pss_median[i] = pss[pss.len() / 2];
        let label = if i == 0 {
            String::new()
        } else {
            format!(", {name}")
        };
        bench.result(
            &format!("{what}{label}"),
            format!(
                "median {} (runs: {}); its own clock from main() median {}",
                ms(painted_median[i]),
                painted
                    .iter()
                    .map(|d| ms(*d))
                    .collect::<Vec<_>>()
                    .join(", "),
                ms(median(in_app))
            ),
        );
        let who = if i == 0 { "bare window" } else { "app" };
        bench.result(
            &format!("{who} memory {} s after painting{label}", SETTLE.as_secs()),
            format!(
                "PSS of the process tree ({procs} processes) median {} (runs: {}), RSS sum median {}",
                mib(pss_median[i]),
                pss.iter().map(|k| mib(*k)).collect::<Vec<_>>().join(", "),
                mib(rss[rss.len() / 2])
            ),
        );
        bench.result(
            &format!("{who} memory by process{label} (the median run)"),
            split[split.len() / 2]
                .1
                .iter()
                .map(|(comm, k)| format!("{comm} {}", mib(*k)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    let bare = painted_median[0].as_secs_f64();
    for i in 1..3 {
        let ratio = painted_median[i].as_secs_f64() / bare;
        bench.result(
            &format!("app vs bare window, launch to painted, {}", CASES[i]),
            format!(
                "{ratio:.2}× the bare window ({} / {}; goal ≤ 1.10×: {})",
                ms(painted_median[i]),
                ms(painted_median[0]),
                if ratio <= 1.10 { "met" } else { "NOT met" }
            ),
        );
    }
    let extra = (pss_median[2] as f64 - pss_median[0] as f64) / 1024.0;
    bench.result(
        "app vs bare window, PSS of the tree, 1000 accounts",
        format!(
            "{extra:+.1} MiB over the bare window ({} − {}; goal ≤ +30 MiB: {})",
            mib(pss_median[2]),
            mib(pss_median[0]),
            if extra <= 30.0 { "met" } else { "NOT met" }
        ),
    );
}

struct Measure {
    painted: Duration,
    since_start: Duration,
    pss_kib: u64,
    rss_kib: u64,
    processes: usize,
    /// Each process's command name and PSS.
    per_process: Vec<(String, u64)>,
}

/// Launches `program` (the app or the bare window) with `home` as its data dir and measures it.
fn launch(program: &Path, home: &Path) -> Measure {
    let started = Instant::now();
    let mut child = Command::new(program)
        .env("SIGNOFF_HOME", home)
        .env("SIGNOFF_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains(SCAN_STARTS) {
                let _ = tx.send(Err(line));
            } else if line.contains("account list painted") {
                let _ = tx.send(Ok((started.elapsed(), line)));
            }
        }
    });
    let (painted, line) = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(painted)) => painted,
        // Issue #19, goal 5: scanning this computer never comes before the first paint.
        Ok(Err(scan)) => panic!("a scan started before the first paint: {scan}"),
        Err(_) => panic!("{} painted within 30 s", program.display()),
    };
    let since_start = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("since_start_ms="))
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or_default();
    std::thread::sleep(SETTLE);
    let tree = process_tree(pid);
    let (mut pss, mut rss) = (0, 0);
    let mut per_process = Vec::new();
    for p in &tree {
        let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
        let comm = command_name(*p);
        pss += field_kib(&rollup, "Pss:");
        rss += field_kib(&rollup, "Rss:");
        per_process.push((comm, field_kib(&rollup, "Pss:")));
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    // WebKit's helpers leave when the app's sockets close; wait for them before the next run.
    let deadline = Instant::now() + Duration::from_secs(5);
    while tree
        .iter()
        .any(|p| Path::new(&format!("/proc/{p}")).exists())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    Measure {
        painted,
        since_start,
        pss_kib: pss,
        rss_kib: rss,
        processes: tree.len(),
        per_process,
    }
}

fn field_kib(rollup: &str, name: &str) -> u64 {
    rollup
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
