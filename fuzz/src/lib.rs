//! Fuzzing: the inputs Gridwalk takes from outside (a sync request from a phone, the automerge
//! changes in it, a ledger from a spreadsheet program, a photo from a camera) mutated from
//! real examples, for a bounded time, by the ordinary test command.
//!
//! Each target in `tests/` is a bolero check over a [`Plan`]: which committed example to start
//! from (`corpus/<target>/`) and which mutations to make to it. Structure-aware mutations of
//! real inputs reach far deeper on the stable toolchain than random bytes would (a random
//! byte string is never a JPEG); under `cargo bolero test` on nightly, libFuzzer's coverage
//! feedback drives the same plans.
//!
//! A run's time per target is `GRIDWALK_FUZZ_SECS` (10 s by default; the test command sets it).
//! An input that made a target fail is reported with bolero's seed; save the mutated bytes
//! (the failure prints them) under `regressions/<target>/`, where every test run replays them
//! first, and fix the fault.

use std::path::PathBuf;
use std::time::Duration;

use bolero::generator::TypeGenerator;

/// One change to an input's bytes.
#[derive(Debug, Clone, TypeGenerator)]
pub enum Mutation {
    /// Flip one bit.
    Flip {
        /// Where, modulo the length.
        at: u32,
        /// Which bit.
        bit: u8,
    },
    /// Overwrite a byte.
    Set {
        /// Where, modulo the length.
        at: u32,
        /// The new byte.
        byte: u8,
    },
    /// Overwrite with a value parsers treat specially (0, 0xFF…, lengths near a power of two),
    /// as one, two, four or eight bytes, big- or little-endian.
    Interesting {
        /// Where, modulo the length.
        at: u32,
        /// Which value (see [`INTERESTING`]).
        which: u8,
        /// 1, 2, 4 or 8 bytes.
        width: u8,
        /// Little-endian rather than big-endian.
        little: bool,
    },
    /// Insert bytes.
    Insert {
        /// Where, modulo the length + 1.
        at: u32,
        /// What.
        bytes: Vec<u8>,
    },
    /// Remove up to `len` bytes.
    Remove {
        /// Where, modulo the length.
        at: u32,
        /// How many at most.
        len: u16,
    },
    /// Copy a run of the input to another place (repeated structures, lengths that lie).
    Duplicate {
        /// From where.
        from: u32,
        /// How many bytes at most.
        len: u16,
        /// To where.
        to: u32,
    },
    /// Cut the input short.
    Truncate {
        /// The new length, modulo the length.
        at: u32,
    },
}

/// Values that sit on the edges parsers check: zero, one, signed and unsigned limits,
/// powers of two around buffer sizes.
pub const INTERESTING: [u64; 16] = [
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x1_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0x1_0000_0000,
    i64::MAX as u64,
    u64::MAX,
];

/// Which example to start from, and what to do to it.
#[derive(Debug, Clone, TypeGenerator)]
pub struct Plan {
    /// The example, modulo the number of examples.
    pub example: u16,
    /// A second example to splice in (half of one, half of the other), or none.
    pub splice: Option<u16>,
    /// The mutations, in order.
    pub mutations: Vec<Mutation>,
}

impl Plan {
    /// The mutated input: the chosen example with the plan applied.
    pub fn apply(&self, examples: &[Vec<u8>]) -> Vec<u8> {
        assert!(!examples.is_empty(), "a target needs examples");
        let mut out = examples[self.example as usize % examples.len()].clone();
        if let Some(other) = self.splice {
            let other = &examples[other as usize % examples.len()];
            out.truncate(out.len() / 2);
            out.extend_from_slice(&other[other.len() / 2..]);
        }
        for m in &self.mutations {
            mutate(&mut out, m);
        }
        out
    }
}

fn mutate(out: &mut Vec<u8>, m: &Mutation) {
    let len = out.len();
    let at = |i: u32| if len == 0 { 0 } else { i as usize % len };
    match *m {
        Mutation::Flip { at: i, bit } if len > 0 => out[at(i)] ^= 1 << (bit % 8),
        Mutation::Set { at: i, byte } if len > 0 => out[at(i)] = byte,
        Mutation::Interesting {
            at: i,
            which,
            width,
            little,
        } if len > 0 => {
            let value = INTERESTING[which as usize % INTERESTING.len()];
            let width = [1usize, 2, 4, 8][width as usize % 4];
            let bytes = if little {
                value.to_le_bytes()
            } else {
                value.to_be_bytes()
            };
            let bytes = if little {
                &bytes[..width]
            } else {
                &bytes[8 - width..]
            };
            let start = at(i);
            for (k, b) in bytes.iter().enumerate() {
                if let Some(slot) = out.get_mut(start + k) {
                    *slot = *b;
                }
            }
        }
        Mutation::Insert { at: i, ref bytes } => {
            let pos = i as usize % (len + 1);
            out.splice(pos..pos, bytes.iter().copied());
        }
        Mutation::Remove { at: i, len: n } if len > 0 => {
            let start = at(i);
            let end = (start + n as usize).min(len);
            out.drain(start..end);
        }
        Mutation::Duplicate { from, len: n, to } if len > 0 => {
            let start = at(from);
            let end = (start + n as usize).min(len);
            let run = out[start..end].to_vec();
            let pos = to as usize % (len + 1);
            out.splice(pos..pos, run);
        }
        Mutation::Truncate { at: i } if len > 0 => out.truncate(at(i)),
        _ => {}
    }
}

/// The folder of this crate.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed examples of `target` (`corpus/<target>/*`), in name order.
pub fn corpus(target: &str) -> Vec<Vec<u8>> {
    files(&crate_dir().join("corpus").join(target))
}

/// The inputs that once made `target` fail (`regressions/<target>/*`): replayed by every run.
pub fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = crate_dir().join("regressions").join(target);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("a regression input is readable");
            (p.display().to_string(), bytes)
        })
        .collect()
}

fn files(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("the corpus {} is missing: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.file_name().is_none_or(|n| n != "README.md"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read(p).expect("a corpus file is readable"))
        .collect()
}

/// How long each target runs: `GRIDWALK_FUZZ_SECS`, 10 s by default.
pub fn budget() -> Duration {
    let secs = std::env::var("GRIDWALK_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    Duration::from_secs(secs)
}

/// Runs `target` over every regression input, then over mutated examples for [`budget`],
/// counting the inputs tried (printed, so a run that tried nothing is visible).
pub fn run(name: &str, target: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    for (file, bytes) in regressions(name) {
        eprintln!("{name}: replaying {file}");
        target(&bytes);
    }
    let examples = corpus(name);
    let tried = std::sync::atomic::AtomicUsize::new(0);
    let started = std::time::Instant::now();
    bolero::check!()
        .with_type::<Plan>()
        .with_test_time(budget())
        .for_each(|plan| {
            tried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let input = plan.apply(&examples);
            if let Err(panic) = std::panic::catch_unwind(|| target(&input)) {
                keep_failure(name, &input);
                std::panic::resume_unwind(panic);
            }
        });
    let tried = tried.into_inner();
    eprintln!(
        "{name}: {tried} inputs from {} examples in {:.1} s",
        examples.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        tried > 0 || budget().is_zero(),
        "{name}: no input was tried"
    );
}

/// Writes an input that made `target` fail to `target/fuzz-failures/<target>/<hash>`, to be
/// moved to `regressions/<target>/` with its fix.
fn keep_failure(target: &str, input: &[u8]) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    let dir = crate_dir().join("../target/fuzz-failures").join(target);
    let path = dir.join(format!("{:016x}", h.finish()));
    if std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&path, input))
        .is_ok()
    {
        eprintln!("{target}: the failing input is in {}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_in_bounds_on_any_input() {
        let examples = vec![vec![], vec![1, 2, 3]];
        bolero::check!()
            .with_type::<Plan>()
            .with_iterations(2000)
            .for_each(|plan| {
                let out = plan.apply(&examples);
                assert!(out.len() < 1 << 24);
            });
    }
}
