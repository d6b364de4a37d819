//! Keys that make resident search an index lookup instead of a scan.
//!
//! * Pinyin initials: 张三 → `zs`, so a worker types `zs` on a phone keyboard and finds 张三.
//!   Latin letters in a name are kept as they are; other characters are dropped.
//! * Reversed digits: the last digits of an ID number or phone become a prefix of the reversed
//!   string, which an ordinary B-tree index serves as a range.

use pinyin::ToPinyin;

/// Pinyin initials of a name, lower case: `张三` → `zs`, `欧阳娜娜` → `oynn`.
///
/// Characters with several readings take their most common one; a surname read differently
/// (单 as shàn) is found by typing its name instead.
pub fn pinyin_initials(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => out.push_str(p.first_letter()),
            None if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            None => {}
        }
    }
    out
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
pub fn classify(query: &str) -> Option<QueryShape> {
    let q = query.trim();
    if q.is_empty() {
        return None;
    }
    let body = q.strip_suffix(['x', 'X']).unwrap_or(q);
    if !body.is_empty() && body.chars().all(|c| c.is_ascii_digit()) {
        return Some(QueryShape::Digits(q.to_ascii_uppercase()));
    }
    if q.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(QueryShape::Initials(q.to_ascii_lowercase()));
    }
    Some(QueryShape::Name(q.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_chinese_names() {
        assert_eq!(pinyin_initials("张三"), "zs");
        assert_eq!(pinyin_initials("欧阳娜娜"), "oynn");
        assert_eq!(pinyin_initials("李Lily"), "llily");
    }

    #[test]
    fn queries_are_classified_by_shape() {
        assert_eq!(classify(" 0021 "), Some(QueryShape::Digits("0021".into())));
        assert_eq!(classify("002x"), Some(QueryShape::Digits("002X".into())));
        assert_eq!(classify("ZS"), Some(QueryShape::Initials("zs".into())));
        assert_eq!(classify("张"), Some(QueryShape::Name("张".into())));
        assert_eq!(classify("x"), Some(QueryShape::Initials("x".into())));
        assert_eq!(classify(""), None);
    }

    #[test]
    fn upper_bound_follows_every_prefixed_string() {
        assert_eq!(prefix_upper_bound("zs").as_deref(), Some("zt"));
        assert!("zsz" < "zt");
    }
}
