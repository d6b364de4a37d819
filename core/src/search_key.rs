//! Keys that make resident search an index lookup instead of a scan.
//!
//! * Pinyin initials: 张三 → `zs`, so a worker types `zs` on a phone keyboard and finds 张三.
//!   A name has several initials keys ([`initials_keys`]), because a worker types the name
//!   as they would say it: its first character(s) read as a surname (曾小明 → `zxm`, 曾 as
//!   zēng; 长孙无忌 → `zswj`), every character in its common reading (`cxm`), each later part
//!   of a name written in parts (阿依古丽·买买提 → `mmt`), and, after those, the other readings
//!   of polyphonic characters in the given name (李长江: `lzj` and `lcj`). Latin letters and
//!   digits are kept as they are (full-width ones as ASCII); other characters without a
//!   reading are dropped.
//! * Reversed digits: the last digits of an ID number or phone become a prefix of the reversed
//!   string, which an ordinary B-tree index serves as a range.
//!
//! Readings come from the `pinyin` crate (pinyin-data), then from `extra_initials.txt` for the
//! characters it lacks (see that file for its source); surname readings from `surnames.rs`.

mod surnames;

use std::cmp::Reverse;
use std::sync::OnceLock;

use pinyin::ToPinyinMulti;

/// At most this many keys per name. A name is a handful of characters; this bounds what a
/// pathological one (many dots, many polyphones) writes to the index.
pub const MAX_KEYS: usize = 12;

/// One initials key of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialsKey {
    /// The initials, lower case: `zxm`.
    pub initials: String,
    /// Whether the key uses a reading of a given-name character other than its common one
    /// (李长江 → `lcj`: 长 is zhǎng first in pinyin-data). Pinyin-data lists rare and
    /// literary readings too (王 yù), so such keys are ranked after the others.
    pub variant: bool,
}

/// Every pinyin-initials key of a name, without duplicates, best first: the surname readings
/// of the surnames the name starts with (longest first), the common reading of every
/// character, the common reading of each later part of the name; then the keys that read
/// one given-name character another way, two, and so on. At most [`MAX_KEYS`].
///
/// `曾小明` → `zxm`, `cxm`; `长孙无忌` → `zswj`, `cswj`; `阿依古丽·买买提` → `ayglmmt`,
/// `mmt`; `李长江` → `lzj`, then the variant `lcj`; `李Lily` → `llily`. None for a name
/// with no letters at all.
pub fn initials_keys(name: &str) -> Vec<InitialsKey> {
    let name = name.trim();
    // Each head reads the start of the name one way; the rest is read character by character.
    let mut matches: Vec<&(&str, &[&str])> = surnames::SURNAMES
        .iter()
        .filter(|(surname, _)| name.starts_with(surname))
        .collect();
    matches.sort_by_key(|(surname, _)| Reverse(surname.chars().count()));
    let mut heads: Vec<(String, Vec<Vec<char>>)> = Vec::new();
    for (surname, readings) in matches {
        let rest = readings_of(&name[surname.len()..]);
        for reading in *readings {
            let initials = reading
                .split(' ')
                .filter_map(|s| s.chars().next())
                .collect();
            heads.push((initials, rest.clone()));
        }
    }
    // Read commonly, a surname takes only its common reading: the surname table knows how
    // surnames are said, while pinyin-data's other readings of one (王 yù) are not.
    let mut chars = name.chars();
    let first = chars.next().and_then(common_initial);
    heads.push((first.into_iter().collect(), readings_of(chars.as_str())));

    let mut keys = Keys::default();
    for (head, rest) in &heads {
        keys.variants(head, rest, 0);
    }
    for (i, c) in name.char_indices().filter(|(_, c)| is_part_separator(*c)) {
        let part: String = name[i + c.len_utf8()..]
            .chars()
            .filter_map(common_initial)
            .collect();
        keys.push(part, false);
    }
    let most = heads
        .iter()
        .map(|(_, rest)| rest.iter().filter(|o| o.len() > 1).count())
        .max()
        .unwrap_or(0);
    for deviations in 1..=most {
        for (head, rest) in &heads {
            keys.variants(head, rest, deviations);
        }
    }
    keys.0
}

/// The preferred initials key of a name (the first of [`initials_keys`]): `单丽华` → `slh`.
pub fn pinyin_initials(name: &str) -> String {
    initials_keys(name)
        .into_iter()
        .next()
        .map(|k| k.initials)
        .unwrap_or_default()
}

#[derive(Default)]
struct Keys(Vec<InitialsKey>);

impl Keys {
    fn full(&self) -> bool {
        self.0.len() >= MAX_KEYS
    }

    fn push(&mut self, initials: String, variant: bool) {
        if !initials.is_empty() && !self.full() && !self.0.iter().any(|k| k.initials == initials) {
            self.0.push(InitialsKey { initials, variant });
        }
    }

    /// The keys `head` + one initial per character of `rest` that take a reading other than
    /// the first at exactly `deviations` characters.
    fn variants(&mut self, head: &str, rest: &[Vec<char>], deviations: usize) {
        let mut buf = head.to_owned();
        self.walk(&mut buf, rest, deviations, deviations > 0);
    }

    fn walk(&mut self, buf: &mut String, rest: &[Vec<char>], deviations: usize, variant: bool) {
        if self.full() {
            return;
        }
        let Some((options, tail)) = rest.split_first() else {
            if deviations == 0 {
                self.push(buf.clone(), variant);
            }
            return;
        };
        // Only enter a branch that can still place every deviation, so the walk does work
        // only towards keys it pushes (it stops at MAX_KEYS).
        let room = tail.iter().filter(|o| o.len() > 1).count();
        if deviations <= room {
            buf.push(options[0]);
            self.walk(buf, tail, deviations, variant);
            buf.pop();
        }
        if deviations > 0 && deviations - 1 <= room {
            for &other in &options[1..] {
                buf.push(other);
                self.walk(buf, tail, deviations - 1, variant);
                buf.pop();
            }
        }
    }
}

/// Characters between the parts of a name: the middle dots of transcribed minority and foreign
/// names (U+00B7 is the standard one; people and input methods type the look-alikes), spaces.
fn is_part_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '·' | '•' | '‧' | '・' | '･' | '.' | '．' | '-')
}

/// The initials each character of `s` can have, its common reading first; characters with
/// none (punctuation) are left out.
fn readings_of(s: &str) -> Vec<Vec<char>> {
    s.chars()
        .map(initials_of)
        .filter(|options| !options.is_empty())
        .collect()
}

/// The initial of one character in its common reading.
fn common_initial(c: char) -> Option<char> {
    initials_of(c).first().copied()
}

/// The initials of one character, distinct, its common reading first: a Latin letter or digit
/// as itself (lower case, full-width forms as ASCII), a Han character by the first letter of
/// each of its readings.
fn initials_of(c: char) -> Vec<char> {
    if c.is_ascii_alphanumeric() {
        return vec![c.to_ascii_lowercase()];
    }
    // Full-width digits and Latin letters (FF10–FF19, FF21–FF3A, FF41–FF5A) are ASCII + FEE0.
    if matches!(c, '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}') {
        return char::from_u32(c as u32 - 0xFEE0)
            .map(|a| a.to_ascii_lowercase())
            .into_iter()
            .collect();
    }
    let Some(readings) = c.to_pinyin_multi() else {
        return extra_initial(c).into_iter().collect();
    };
    let mut out = Vec::with_capacity(readings.count());
    for reading in readings {
        // Plain readings are ASCII but for ê (欸), which a keyboard types as e.
        let initial = match reading.first_letter().chars().next() {
            Some(l @ 'a'..='z') => l,
            Some('ê') => 'e',
            _ => continue,
        };
        if !out.contains(&initial) {
            out.push(initial);
        }
    }
    out
}

/// The table of `extra_initials.txt`: characters the `pinyin` crate has no reading for.
const EXTRA_INITIALS: &str = include_str!("search_key/extra_initials.txt");

fn extra_table() -> &'static [(u32, char)] {
    static TABLE: OnceLock<Vec<(u32, char)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        EXTRA_INITIALS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .flat_map(str::split_whitespace)
            .filter_map(|entry| {
                let (code, letter) = entry.split_once(':')?;
                Some((u32::from_str_radix(code, 16).ok()?, letter.chars().next()?))
            })
            .collect()
    })
}

fn extra_initial(c: char) -> Option<char> {
    let table = extra_table();
    table
        .binary_search_by_key(&(c as u32), |&(code, _)| code)
        .ok()
        .map(|i| table[i].1)
}

/// The string reversed, for suffix search through a prefix range.
pub fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

/// The smallest string greater than every string starting with `prefix`, for `>= prefix AND <
/// upper` range scans. `None` when there is none (a prefix of only `char::MAX`).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// What a search query looks like, which decides where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryShape {
    /// Digits (and maybe a final X): the tail of an ID number or phone.
    Digits(String),
    /// Latin letters: pinyin initials.
    Initials(String),
    /// Anything else: a part of a name.
    Name(String),
}

/// Classifies a search query.
///
/// The query passes the rules' one normalisation first ([`crate::rules::text`]), as what was
/// stored did: full-width digits and letters from a Chinese IME become ASCII, invisible
/// characters pasted with a number go, and the spaces and dashes people type between groups of
/// digits (`1380 0138`) are ignored.
pub fn classify(query: &str) -> Option<QueryShape> {
    let folded = crate::rules::text::identifier(query);
    if folded.is_empty() {
        return None;
    }
    let digits: String = folded.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let body = digits.strip_suffix(['x', 'X']).unwrap_or(&digits);
    if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()) {
        return Some(QueryShape::Digits(digits.to_ascii_uppercase()));
    }
    let letters: String = folded.chars().filter(|c| *c != ' ').collect();
    if letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(QueryShape::Initials(letters.to_ascii_lowercase()));
    }
    Some(QueryShape::Name(crate::rules::text::clean(query)))
}

#[cfg(test)]
mod tests;
