//! Benchmark 4: `signoff --json account list` with 1,000 accounts (and with none, for
//! comparison): time with hyperfine (no shell, warm-up runs first), max RSS with
//! `/usr/bin/time -v`.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{Bench, time_v};

const RUNS: &str = "30";

pub fn run(bench: &Bench) {
    let thousand = bench.home_with_1000_accounts().to_path_buf();
    let empty = bench.home_empty();
    for (name, home) in [
        ("1000 accounts", thousand.as_path()),
        ("0 accounts", &empty),
    ] {
        let out = Command::new(&bench.signoff)
            .arg("--home")
            .arg(home)
            .args(["--json", "account", "list"])
            .output()
            .expect("run signoff");
        assert!(out.status.success());
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let n = doc["accounts"].as_array().unwrap().len();
        assert_eq!(n, if name.starts_with('0') { 0 } else { 1000 });
        let (mean, median, min, stddev) = hyperfine(bench, home, name);
        let mut rss = Vec::new();
        for _ in 0..5 {
            let timed = time_v(
                &bench.signoff,
                &[
                    "--home".as_ref(),
                    home.as_os_str(),
                    "--json".as_ref(),
                    "account".as_ref(),
                    "list".as_ref(),
                ],
                Stdio::null(),
                Stdio::null(),
            );
            assert!(timed.status.success());
            rss.push(timed.rss_kib);
        }
        bench.result(
            &format!("account list --json, {name}"),
            format!(
                "hyperfine ({RUNS} runs): mean {mean:.1} ms ± {stddev:.1}, median {median:.1} ms, min {min:.1} ms; \
                 max RSS {:.1} MiB (largest of 5 runs under /usr/bin/time -v; runs: {})",
                *rss.iter().max().unwrap() as f64 / 1024.0,
                rss.iter()
                    .map(|k| format!("{:.1}", *k as f64 / 1024.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

/// (mean, median, min, stddev) in ms.
fn hyperfine(bench: &Bench, home: &Path, name: &str) -> (f64, f64, f64, f64) {
    let export = bench
        .out
        .join(format!("hyperfine-list-{}.json", name.replace(' ', "-")));
    let command = format!(
        "{} --home {} --json account list",
        bench.signoff.display(),
        home.display()
    );
    let status = Command::new("hyperfine")
        .args(["-N", "--warmup", "3", "--runs", RUNS, "--export-json"])
        .arg(&export)
        .arg(&command)
        .stdout(Stdio::inherit())
        .status()
        .expect("hyperfine is installed (make bench installs it)");
    assert!(status.success());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    let r = &doc["results"][0];
    let ms = |k: &str| r[k].as_f64().unwrap() * 1000.0;
    (ms("mean"), ms("median"), ms("min"), ms("stddev"))
}
