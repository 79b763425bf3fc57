//! Benchmark 3, the desktop app (release build, under Xvfb): time from launch to the account
//! list painted, and the PSS of its whole process tree (WebKit's web and network processes
//! included), with 0 and 1,000 accounts.
//!
//! "Painted": the page calls the `ui_ready` command at the start of the second animation frame
//! after it put the first account list in the DOM, i.e. once the frame showing the list has
//! been drawn; the app logs `account list painted` to stderr. The clock runs from just before
//! the process is spawned to the moment that line is read.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use signoff_tests::procs::{command_name, process_tree};

use crate::{Bench, median, ms};

const RUNS: usize = 5;
/// How long the app is left to settle after painting before its memory is read.
const SETTLE: Duration = Duration::from_secs(3);

pub fn run(bench: &Bench) {
    let empty = bench.home_empty();
    let thousand = bench.home_with_1000_accounts().to_path_buf();
    // One launch first, not counted: WebKit, fontconfig and GTK fill their caches in HOME.
    let _ = launch(bench, &empty);
    for (name, home) in [
        ("0 accounts", empty.as_path()),
        ("1000 accounts", &thousand),
    ] {
        let mut painted = Vec::new();
        let mut in_app = Vec::new();
        let mut pss = Vec::new();
        let mut rss = Vec::new();
        let mut procs = 0;
        let mut split = Vec::new();
        for _ in 0..RUNS {
            let m = launch(bench, home);
            painted.push(m.painted);
            in_app.push(m.since_start);
            pss.push(m.pss_kib);
            rss.push(m.rss_kib);
            procs = m.processes;
            split.push((m.pss_kib, m.per_process));
        }
        split.sort_unstable_by_key(|(total, _)| *total);
        pss.sort_unstable();
        rss.sort_unstable();
        let mib = |k: u64| format!("{:.1} MiB", k as f64 / 1024.0);
        bench.result(
            &format!("app launch to account list painted, {name}"),
            format!(
                "median {} (runs: {}); the app's own clock from main() median {}",
                ms(median(painted.clone())),
                painted
                    .iter()
                    .map(|d| ms(*d))
                    .collect::<Vec<_>>()
                    .join(", "),
                ms(median(in_app))
            ),
        );
        bench.result(
            &format!("app memory {} s after painting, {name}", SETTLE.as_secs()),
            format!(
                "PSS of the process tree ({procs} processes) median {} (runs: {}), RSS sum median {}",
                mib(pss[pss.len() / 2]),
                pss.iter().map(|k| mib(*k)).collect::<Vec<_>>().join(", "),
                mib(rss[rss.len() / 2])
            ),
        );
        bench.result(
            &format!("app memory by process, {name} (the median run)"),
            split[split.len() / 2]
                .1
                .iter()
                .map(|(comm, k)| format!("{comm} {}", mib(*k)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
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

fn launch(bench: &Bench, home: &Path) -> Measure {
    let started = Instant::now();
    let mut child = Command::new(&bench.app)
        .env("SIGNOFF_HOME", home)
        .env("SIGNOFF_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start signoff-app");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("account list painted") {
                let _ = tx.send((started.elapsed(), line));
            }
        }
    });
    let (painted, line) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the app painted its account list within 30 s");
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
