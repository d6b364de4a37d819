//! The photo pipeline against `vipsthumbnail` (libvips), side by side in one run, on the phone
//! photos of `../shared/data/photos/`. Run with `cargo bench -p gridwalk-core --bench photos`.
//!
//! For each photo: median wall time of our pipeline (decode, orient, scale to a 1600 px long
//! edge, encode JPEG q80, plus the 320 px thumbnail) and of `vipsthumbnail --size 1600` with
//! the same quality and metadata stripped (one process per run, as the command is used), the
//! output sizes, and the peak memory of each, measured in child processes.
//!
//! Then every bomb of the photo tests (`tests/photo_make`): how long the pipeline takes to
//! refuse it (median of many runs) and the peak memory of a process that refuses it once.
//!
//! vipsthumbnail must be installed (`scripts/install-test-tools` installs libvips-tools): without
//! it there is no comparison, and the bench fails rather than print figures beside nothing.
//! Goals (BENCHMARKS.md): within 1.5× of vipsthumbnail's time on every photo; every bomb refused
//! in under 50 ms by a process peaking under 100 MB. `GRIDWALK_BENCH_QUICK=1` runs fewer rounds.

#[path = "common/goals.rs"]
mod goals;
#[path = "../tests/photo_make/mod.rs"]
mod photo_make;

use goals::Goals;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::photos::pipeline::process;

const PHOTOS: [&str; 3] = [
    "phone_nokia_8.3_gps.jpg",
    "phone_iphone6_gps.jpg",
    "phone_jolla.jpg",
];
/// Runs per photo (5 in quick mode).
fn runs() -> usize {
    if Goals::quick() { 5 } else { 15 }
}
/// Refusing a bomb takes microseconds: many runs for a stable median.
const BOMB_RUNS: usize = 201;

fn photos_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/photos")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak resident memory of a child run, from /proc (VmHWM), in MB.
fn peak_of(mut cmd: Command) -> f64 {
    let out = cmd.output().expect("child runs");
    assert!(
        out.status.success(),
        "the measuring child failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM_kB="))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn vips_peak(path: &Path, out: &Path) -> f64 {
    // GNU time's %M is the peak resident set in KB.
    let res = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg("vipsthumbnail")
        .arg(path)
        .args(["--size", "1600"])
        .arg("-o")
        .arg(format!("{}[Q=80,strip]", out.display()))
        .output();
    match res {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stderr)
            .lines()
            .last()
            .and_then(|l| l.trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN),
        Ok(o) => panic!(
            "/usr/bin/time vipsthumbnail failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("/usr/bin/time could not run (Debian package time): {e}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one" || a == "--bomb") {
        // Child: process one photo (or refuse one bomb) once and report peak memory.
        if args[i] == "--bomb" {
            let (_, bytes, _) = photo_make::bombs().swap_remove(args[i + 1].parse().unwrap());
            let refused = process(&bytes, &PhotoOptions::default()).unwrap_err();
            std::hint::black_box(refused);
        } else {
            let bytes = std::fs::read(&args[i + 1]).unwrap();
            let p = process(&bytes, &PhotoOptions::default()).unwrap();
            std::hint::black_box(p);
        }
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("0");
        println!("VmHWM_kB={hwm}");
        return;
    }
    let vips = Command::new("vipsthumbnail")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        vips,
        "vipsthumbnail is not installed (Debian package libvips-tools; scripts/install-test-tools \
         installs it): the bench compares against it and has nothing to say without it"
    );
    let mut goals = Goals::new();
    #[allow(non_snake_case)]
    let RUNS = runs();
    let out_dir = tempfile::tempdir().unwrap();
    // A 12-megapixel photo (4000×3000, the top of the range phones take), made from a real one.
    let twelve = out_dir.path().join("synthetic_12mp.jpg");
    {
        let src = image::open(photos_dir().join("phone_jolla.jpg")).unwrap();
        let big = src
            .resize_exact(4000, 3000, image::imageops::FilterType::Triangle)
            .to_rgb8();
        let mut f = std::io::BufWriter::new(std::fs::File::create(&twelve).unwrap());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut f, 92)
            .encode_image(&big)
            .unwrap();
    }
    println!("photo pipeline vs vipsthumbnail, long edge 1600, JPEG Q80, median of {RUNS} runs");
    println!(
        "| photo | pixels | gridwalk time | vipsthumbnail time | ratio | gridwalk size | vips size | gridwalk peak MB | vips peak MB |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut paths: Vec<PathBuf> = PHOTOS.iter().map(|n| photos_dir().join(n)).collect();
    paths.push(twelve.clone());
    let mut ratios = Vec::new();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let dims = image::ImageReader::open(&path)
            .unwrap()
            .into_dimensions()
            .unwrap();
        let mut ours = Vec::new();
        let mut out = None;
        let mut theirs = Vec::new();
        let vips_out = out_dir.path().join(format!("{name}.jpg"));
        // Ours and vips's runs alternate, so a neighbour's burst of work on this shared
        // machine slows both sides alike instead of one block of runs.
        for _ in 0..RUNS {
            let t = Instant::now();
            let p = process(&bytes, &PhotoOptions::default()).unwrap();
            ours.push(t.elapsed());
            out = Some(p);
            if vips {
                let t = Instant::now();
                let status = Command::new("vipsthumbnail")
                    .arg(&path)
                    .args(["--size", "1600"])
                    .arg("-o")
                    .arg(format!("{}[Q=80,strip]", vips_out.display()))
                    .status()
                    .unwrap();
                assert!(status.success());
                theirs.push(t.elapsed());
            }
        }
        let out = out.unwrap();
        let ours_t = median(ours);
        let (theirs_t, vips_size) = if vips {
            (
                Some(median(theirs)),
                std::fs::metadata(&vips_out).map(|m| m.len()).unwrap_or(0),
            )
        } else {
            (None, 0)
        };
        if let Some(t) = theirs_t {
            ratios.push((name.clone(), ours_t.as_secs_f64() / t.as_secs_f64()));
        }
        let mut child = Command::new(std::env::current_exe().unwrap());
        child.args(["--one", path.to_str().unwrap()]);
        let our_peak = peak_of(child);
        let vips_peak = if vips {
            vips_peak(&path, &vips_out)
        } else {
            f64::NAN
        };
        println!(
            "| {name} | {}×{} | {:.1} ms | {} | {} | {} KB ({}×{}) + thumb {} KB | {} KB | {our_peak:.1} | {vips_peak:.1} |",
            dims.0,
            dims.1,
            ours_t.as_secs_f64() * 1000.0,
            theirs_t.map_or("n/a".into(), |t| format!(
                "{:.1} ms",
                t.as_secs_f64() * 1000.0
            )),
            theirs_t.map_or("n/a".into(), |t| format!(
                "{:.2}×",
                ours_t.as_secs_f64() / t.as_secs_f64()
            )),
            out.full.len() / 1024,
            out.size.0,
            out.size.1,
            out.thumb.len() / 1024,
            vips_size / 1024,
        );
    }
    for (name, ratio) in &ratios {
        goals.at_most(
            &format!("{name}: time against vipsthumbnail"),
            *ratio,
            1.5,
            "×",
        );
    }
    bombs(&mut goals);
    goals.finish();
}

/// How fast, and at what memory, each bomb is refused.
fn bombs(goals: &mut Goals) {
    println!();
    println!(
        "bombs: refused by the pipeline, median of {BOMB_RUNS} runs; peak of a process refusing one"
    );
    println!("| bomb | bytes | refused as | time | peak MB |");
    println!("| --- | --- | --- | --- | --- |");
    for (index, (name, bytes, _)) in photo_make::bombs().into_iter().enumerate() {
        let mut times = Vec::with_capacity(BOMB_RUNS);
        let mut code = "";
        for _ in 0..BOMB_RUNS {
            let t = Instant::now();
            let refused = process(&bytes, &PhotoOptions::default());
            times.push(t.elapsed());
            code = refused.err().map_or("accepted", |e| e.code());
        }
        assert_ne!(code, "accepted", "{name}: a bomb was accepted");
        let mut child = Command::new(std::env::current_exe().unwrap());
        child.args(["--bomb", &index.to_string()]);
        let peak = peak_of(child);
        let time = median(times);
        println!(
            "| {name} | {} | `{code}` | {:.1} µs | {peak:.1} |",
            bytes.len(),
            time.as_secs_f64() * 1e6
        );
        goals.at_most(
            &format!("{name}: refused in"),
            time.as_secs_f64() * 1e3,
            50.0,
            "ms",
        );
        goals.at_most(&format!("{name}: process peak"), peak, 100.0, "MB");
    }
}
