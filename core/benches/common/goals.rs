//! The goals a bench is held to, shared by every bench binary of the workspace (the other
//! crates include this file with `#[path]`).
//!
//! A bench first checks that the work it times was done (hits found, records pulled, a child
//! exited 0) and panics when it was not; then each figure that has a goal in BENCHMARKS.md is
//! measured (median of a few runs, no criterion) and compared with it. [`Goals::finish`] exits
//! with status 1 when any goal was missed, so `scripts/bench-check` (which runs every bench with
//! `GRIDWALK_BENCH_QUICK=1`: the goals only, no criterion statistics) fails loudly.

#![allow(dead_code)] // Each bench uses part of it.

use std::time::{Duration, Instant};

/// The goals met and missed so far in this bench run.
pub struct Goals {
    missed: Vec<String>,
    met: usize,
}

impl Goals {
    /// No goal checked yet.
    pub fn new() -> Goals {
        Goals {
            missed: Vec::new(),
            met: 0,
        }
    }

    /// True when the bench runs for `scripts/bench-check`: goals only, criterion skipped.
    pub fn quick() -> bool {
        std::env::var_os("GRIDWALK_BENCH_QUICK").is_some_and(|v| v != "0")
    }

    /// `what` measured `value` (in `unit`), which must be at most `goal`.
    pub fn at_most(&mut self, what: &str, value: f64, goal: f64, unit: &str) {
        let ok = value <= goal;
        println!(
            "goal {}: {what}: {value:.3} {unit} (goal ≤ {goal} {unit})",
            if ok { "met" } else { "MISSED" }
        );
        if ok {
            self.met += 1;
        } else {
            self.missed
                .push(format!("{what}: {value:.3} {unit}, goal ≤ {goal} {unit}"));
        }
    }

    /// The median time of `f` over `runs` runs, in ms, held to `goal_ms`.
    pub fn time_ms(&mut self, what: &str, runs: usize, goal_ms: f64, mut f: impl FnMut()) {
        let ms = median(runs, &mut f).as_secs_f64() * 1e3;
        self.at_most(what, ms, goal_ms, "ms");
    }

    /// Ends the run: a summary line, and exit status 1 when a goal was missed.
    pub fn finish(self) {
        if self.missed.is_empty() {
            println!("all {} goals met", self.met);
            return;
        }
        eprintln!(
            "{} of {} goals missed:",
            self.missed.len(),
            self.met + self.missed.len()
        );
        for m in &self.missed {
            eprintln!("  {m}");
        }
        std::process::exit(1);
    }
}

/// The median duration of `runs` calls of `f`, after one call to warm caches.
pub fn median(runs: usize, f: &mut impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
