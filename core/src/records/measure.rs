//! Measuring automerge data before it is loaded: how many ops, changes and bytes a change or a
//! saved document holds, read from its chunk headers and the run lengths of its columns.
//!
//! Automerge stores ops in columns, run-length encoded: a million ops that put the same value
//! under the same key take a few bytes, and a deflated chunk or column can inflate a thousand
//! times. Loading such data is what costs memory and time (all of it, under the writer lock),
//! so it is measured first: each chunk's header is read, each deflated part is inflated with a
//! limit, and each column's entries are counted from its runs, never expanded. The work is
//! proportional to the bytes received (at most the inflation limit), not to the ops they
//! claim. The format is automerge's binary format (automerge.org, "Binary Document Format").

use std::io::Read;

/// The first bytes of every automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// What a piece of automerge data holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    /// Operations, as many as loading it would create.
    pub ops: u64,
    /// Changes (a document counts each change of its history).
    pub changes: u64,
    /// Bytes once every deflated part is inflated.
    pub bytes: u64,
    /// The most ops any one change holds (a document's ops count as one).
    pub largest_change_ops: u64,
    /// The most bytes any one change holds, inflated.
    pub largest_change_bytes: u64,
}

impl Measure {
    /// Adds the measure of more data of the same record.
    pub fn add(&mut self, other: Measure) {
        self.ops += other.ops;
        self.changes += other.changes;
        self.bytes += other.bytes;
        self.largest_change_ops = self.largest_change_ops.max(other.largest_change_ops);
        self.largest_change_bytes = self.largest_change_bytes.max(other.largest_change_bytes);
    }
}

/// Why data could not be measured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    /// It is not automerge data this code reads.
    #[error("not automerge data: {0}")]
    Malformed(&'static str),
    /// Inflated, it would exceed the limit it was measured with.
    #[error("inflates beyond {limit} bytes")]
    Inflates {
        /// The limit that was reached.
        limit: u64,
    },
}

/// Measures automerge data: a saved document (possibly followed by change chunks, as
/// `save` + incremental saves are) or a single change. Deflated parts are inflated only up to
/// `max_bytes` in all.
pub fn measure(data: &[u8], max_bytes: u64) -> Result<Measure, MeasureError> {
    let mut out = Measure::default();
    let mut input = Cursor { data, pos: 0 };
    if data.is_empty() {
        return Err(MeasureError::Malformed("empty"));
    }
    while !input.is_empty() {
        if input.take(4)? != MAGIC {
            return Err(MeasureError::Malformed("bad magic bytes"));
        }
        input.take(4)?; // checksum
        let kind = input.take(1)?[0];
        let len = input.uleb()?;
        let body = input.take(usize::try_from(len).map_err(|_| too_long())?)?;
        let budget = max_bytes.saturating_sub(out.bytes);
        let m = match kind {
            0 => document(body, budget)?,
            1 => change(body, budget)?,
            2 => {
                let inflated = inflate(body, budget)?;
                change(&inflated, budget)?
            }
            _ => return Err(MeasureError::Malformed("not a document or a change")),
        };
        out.add(m);
        if out.bytes > max_bytes {
            return Err(MeasureError::Inflates { limit: max_bytes });
        }
    }
    Ok(out)
}

fn too_long() -> MeasureError {
    MeasureError::Malformed("a length beyond the data")
}

/// A change chunk's body (after the chunk header, inflated).
fn change(body: &[u8], budget: u64) -> Result<Measure, MeasureError> {
    let bytes = body.len() as u64;
    if bytes > budget {
        return Err(MeasureError::Inflates { limit: budget });
    }
    let mut i = Cursor { data: body, pos: 0 };
    let deps = i.uleb()?;
    i.skip_n(deps, 32)?;
    i.skip_prefixed()?; // actor
    i.uleb()?; // seq
    i.uleb()?; // start op
    i.uleb()?; // time (signed: the same bytes)
    i.skip_prefixed()?; // message
    let others = i.uleb()?;
    for _ in 0..others {
        i.skip_prefixed()?;
    }
    let columns = i.columns()?;
    let mut ops = 0;
    for (spec, len) in columns {
        if spec.deflated() {
            return Err(MeasureError::Malformed("a deflated column in a change"));
        }
        let col = i.take(len)?;
        if spec.aligned_with_ops() {
            ops = ops.max(count_entries(spec, col)?);
        }
    }
    Ok(Measure {
        ops,
        changes: 1,
        bytes,
        largest_change_ops: ops,
        largest_change_bytes: bytes,
    })
}

/// A document chunk's body: actors, heads, the change and op column layouts, then the columns
/// (each possibly deflated).
fn document(body: &[u8], budget: u64) -> Result<Measure, MeasureError> {
    let mut i = Cursor { data: body, pos: 0 };
    let actors = i.uleb()?;
    for _ in 0..actors {
        i.skip_prefixed()?;
    }
    let heads = i.uleb()?;
    i.skip_n(heads, 32)?;
    let change_cols = i.columns()?;
    let op_cols = i.columns()?;
    let mut bytes = body.len() as u64;
    let mut count = |cols: Vec<(Spec, usize)>, i: &mut Cursor| -> Result<u64, MeasureError> {
        let mut most = 0;
        for (spec, len) in cols {
            let raw = i.take(len)?;
            let inflated;
            let col = if spec.deflated() {
                inflated = inflate(raw, budget.saturating_sub(bytes))?;
                bytes += inflated.len() as u64;
                &inflated[..]
            } else {
                raw
            };
            if spec.aligned_with_ops() {
                most = most.max(count_entries(spec, col)?);
            }
        }
        Ok(most)
    };
    let changes = count(change_cols, &mut i)?;
    let ops = count(op_cols, &mut i)?;
    Ok(Measure {
        ops,
        changes,
        bytes,
        largest_change_ops: ops,
        largest_change_bytes: bytes,
    })
}

/// Inflates DEFLATE data, refusing to produce more than `limit` bytes.
fn inflate(data: &[u8], limit: u64) -> Result<Vec<u8>, MeasureError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| MeasureError::Malformed("bad deflate data"))?;
    if out.len() as u64 > limit {
        return Err(MeasureError::Inflates { limit });
    }
    Ok(out)
}

/// A column specification: id, whether deflated, and the encoding.
#[derive(Debug, Clone, Copy)]
struct Spec(u64);

impl Spec {
    fn deflated(self) -> bool {
        self.0 & 0b1000 != 0
    }

    fn encoding(self) -> u64 {
        self.0 & 0b111
    }

    fn id(self) -> u64 {
        self.0 >> 4
    }

    /// Whether the column has one entry per op (per change, in a document's change columns):
    /// every column but raw values (7) and the actor and counter parts of the grouped `pred`
    /// and `succ` columns (ids 7 and 8), which have one entry per predecessor.
    fn aligned_with_ops(self) -> bool {
        const GROUP: u64 = 0;
        const RAW_VALUE: u64 = 7;
        let enc = self.encoding();
        if enc == RAW_VALUE {
            return false;
        }
        !(matches!(self.id(), 7 | 8) && enc != GROUP)
    }
}

/// Entries in one column, from its runs alone.
fn count_entries(spec: Spec, col: &[u8]) -> Result<u64, MeasureError> {
    const BOOLEAN: u64 = 4;
    const STRING: u64 = 5;
    let mut i = Cursor { data: col, pos: 0 };
    let mut n: u64 = 0;
    let add = |n: u64, k: u64| {
        n.checked_add(k)
            .ok_or(MeasureError::Malformed("a run too long"))
    };
    if spec.encoding() == BOOLEAN {
        // Alternating run lengths of false and true.
        while !i.is_empty() {
            n = add(n, i.uleb()?)?;
        }
        return Ok(n);
    }
    let skip_value = |i: &mut Cursor| -> Result<(), MeasureError> {
        if spec.encoding() == STRING {
            i.skip_prefixed()
        } else {
            i.uleb().map(|_| ())
        }
    };
    while !i.is_empty() {
        let run = i.sleb()?;
        if run > 0 {
            skip_value(&mut i)?;
            n = add(n, run as u64)?;
        } else if run < 0 {
            let literals = run.unsigned_abs();
            for _ in 0..literals {
                skip_value(&mut i)?;
            }
            n = add(n, literals)?;
        } else {
            n = add(n, i.uleb()?)?;
        }
    }
    Ok(n)
}

/// Reading position in a byte slice.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MeasureError> {
        let end = self.pos.checked_add(n).ok_or_else(too_long)?;
        let out = self.data.get(self.pos..end).ok_or_else(too_long)?;
        self.pos = end;
        Ok(out)
    }

    fn skip_n(&mut self, count: u64, size: usize) -> Result<(), MeasureError> {
        let count = usize::try_from(count).map_err(|_| too_long())?;
        self.take(count.checked_mul(size).ok_or_else(too_long)?)
            .map(|_| ())
    }

    fn skip_prefixed(&mut self) -> Result<(), MeasureError> {
        let len = self.uleb()?;
        self.skip_n(len, 1)
    }

    fn uleb(&mut self) -> Result<u64, MeasureError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(MeasureError::Malformed("a number too long"))
    }

    fn sleb(&mut self) -> Result<i64, MeasureError> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let b = self.take(1)?[0];
            if shift >= 64 {
                return Err(MeasureError::Malformed("a number too long"));
            }
            value |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    /// A column layout: how many columns, then a (specification, length) pair for each.
    fn columns(&mut self) -> Result<Vec<(Spec, usize)>, MeasureError> {
        let n = self.uleb()?;
        // Each pair takes at least two bytes, so a claim of more is a lie, refused before it
        // sizes anything.
        if n > (self.data.len() - self.pos) as u64 / 2 {
            return Err(too_long());
        }
        (0..n)
            .map(|_| {
                let spec = Spec(self.uleb()?);
                let len = usize::try_from(self.uleb()?).map_err(|_| too_long())?;
                Ok((spec, len))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};

    fn doc_with_ops(n: usize) -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "kind", "household").unwrap();
        let list = doc.put_object(ROOT, "visits", ObjType::List).unwrap();
        for i in 0..n {
            let v = doc.insert_object(&list, i, ObjType::Map).unwrap();
            doc.put(&v, "id", format!("v{i}")).unwrap();
            doc.put(&v, "at", i as i64).unwrap();
        }
        doc.commit();
        doc
    }

    #[test]
    fn counts_the_ops_of_changes_and_documents_as_automerge_does() {
        let mut doc = doc_with_ops(300);
        let changes = doc.get_changes(&[]);
        for c in &changes {
            let m = measure(c.raw_bytes(), u64::MAX).unwrap();
            assert_eq!(m.ops, c.len() as u64);
            assert_eq!(m.changes, 1);
        }
        let mut c = changes[0].clone();
        let compressed = c.bytes().into_owned();
        assert!(compressed.len() < c.raw_bytes().len(), "compressed");
        assert_eq!(measure(&compressed, u64::MAX).unwrap().ops, c.len() as u64);
        let saved = doc.save();
        let m = measure(&saved, u64::MAX).unwrap();
        assert_eq!(m.ops, doc.stats().num_ops);
        assert_eq!(m.changes, doc.stats().num_changes);
        // A document followed by an incremental save.
        doc.put(ROOT, "notes", "x").unwrap();
        let more = doc.save_incremental();
        let both = [saved, more].concat();
        assert_eq!(measure(&both, u64::MAX).unwrap().ops, doc.stats().num_ops);
    }

    #[test]
    fn a_bomb_is_counted_from_its_runs_in_a_few_bytes() {
        let mut doc = AutoCommit::new();
        let list = doc.put_object(ROOT, "x", ObjType::List).unwrap();
        doc.splice(
            &list,
            0,
            0,
            std::iter::repeat_n(automerge::ScalarValue::Boolean(true), 199_999),
        )
        .unwrap();
        let change = doc.get_changes(&[])[0].clone();
        assert_eq!(change.len(), 200_000);
        assert!(
            change.raw_bytes().len() < 300,
            "{}",
            change.raw_bytes().len()
        );
        assert_eq!(measure(change.raw_bytes(), u64::MAX).unwrap().ops, 200_000);
        let saved = doc.save();
        assert_eq!(measure(&saved, u64::MAX).unwrap().ops, 200_000);
    }

    #[test]
    fn inflation_stops_at_the_limit_and_garbage_is_refused() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "notes", "a".repeat(100_000)).unwrap();
        let mut c = doc.get_changes(&[])[0].clone();
        let compressed = c.bytes().into_owned();
        assert!(compressed.len() < 2_000);
        assert_eq!(
            measure(&compressed, 10_000),
            Err(MeasureError::Inflates { limit: 10_000 })
        );
        assert!(measure(&compressed, 1_000_000).is_ok());
        assert!(matches!(
            measure(&[1, 2, 3], 1000),
            Err(MeasureError::Malformed(_))
        ));
        assert!(matches!(
            measure(&[], 1000),
            Err(MeasureError::Malformed(_))
        ));
        let mut truncated = c.raw_bytes().to_vec();
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(
            measure(&truncated, u64::MAX),
            Err(MeasureError::Malformed(_))
        ));
    }
}
