//! One normalisation of everything a person types, before it is judged, stored, compared or
//! searched (DESIGN.md, "Rules"): on the device, on the server, in the ledger import and in
//! search queries alike, so two replicas never hold one value in two forms.
//!
//! What people's input really carries (seen in field tools' bug reports): invisible format
//! characters from a phone's contacts (U+202D … U+202C around a number, U+2068/U+2069,
//! U+200B, U+FEFF), full-width digits and letters from a Chinese IME (６４０１…, Ｌｉｌｙ), the
//! ideographic space U+3000 and no-break spaces from documents, and spaces around everything.
//!
//! Two strengths:
//! * [`clean`] for names and free text: format and control characters removed, full-width
//!   forms folded to their ASCII (only the Halfwidth and Fullwidth Forms block and U+3000 —
//!   full NFKC would also turn ㎡ into m2 and ① into 1 in a worker's notes), every other
//!   character composed (NFC), all kinds of space made a plain space, ends trimmed.
//! * [`identifier`] for ID numbers, phones, codes and search queries: full NFKC, then the same,
//!   since there any compatibility form is only another way of typing the same digit.
//!
//! Empty after cleaning means absent ([`field`]): an ID number of three invisible characters is
//! no ID number.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::decompose_compatible;

/// Characters that carry no visible text: bidi controls and isolates, zero-width characters,
/// the byte-order mark, the soft hyphen, tags (Unicode general category Cf, plus the
/// controls a paste can carry).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E0FFF}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// A name or free text as it is stored: see the module comment. Line breaks are kept (notes
/// have them); other whitespace becomes a plain space.
pub fn clean(input: &str) -> String {
    let mut folded = String::with_capacity(input.len());
    for c in input.chars() {
        if is_invisible(c) {
            continue;
        }
        match c {
            '\u{3000}' => folded.push(' '),
            '\u{FF01}'..='\u{FFEF}' => decompose_compatible(c, |d| folded.push(d)),
            c if c.is_whitespace() && c != '\n' && c != '\t' => folded.push(' '),
            c => folded.push(c),
        }
    }
    let composed: String = folded.nfc().collect();
    composed.trim().to_owned()
}

/// An ID number, phone, code or search query: full NFKC (any compatibility form is just
/// another way of typing the same character), invisible characters removed, trimmed.
pub fn identifier(input: &str) -> String {
    let without: String = input.chars().filter(|&c| !is_invisible(c)).collect();
    let nfkc: String = without.nfkc().collect();
    clean(&nfkc)
}

/// A typed value that may be absent: [`clean`], and `None` when nothing is left.
pub fn field(input: &str) -> Option<String> {
    Some(clean(input)).filter(|s| !s.is_empty())
}

/// [`identifier`], and `None` when nothing is left.
pub fn identifier_field(input: &str) -> Option<String> {
    Some(identifier(input)).filter(|s| !s.is_empty())
}

/// Whether `value` is already in the form [`clean`] stores; the server refuses a new value that
/// is not, so every replica holds one form.
pub fn is_clean(value: &str) -> bool {
    clean(value) == value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_wrap_numbers_in_invisible_characters() {
        for pasted in [
            "\u{202D}13800138000\u{202C}",
            "\u{2068}13800138000\u{2069}",
            "\u{FEFF}13800138000",
            "138\u{200B}0013\u{200B}8000",
            " 13800138000\u{00A0}",
            "\u{200E}13800138000\u{200F}",
        ] {
            assert_eq!(identifier(pasted), "13800138000", "{pasted:?}");
        }
    }

    #[test]
    fn full_width_input_becomes_ascii() {
        assert_eq!(
            identifier("６４０１０２１９９００１０１００２Ｘ"),
            "64010219900101002X"
        );
        assert_eq!(clean("李Ｌｉｌｙ"), "李Lily");
        assert_eq!(clean("\u{3000}张三\u{3000}"), "张三");
        assert_eq!(identifier("１３８－００１３－８０００"), "138-0013-8000");
    }

    #[test]
    fn notes_keep_their_symbols_and_lines() {
        assert_eq!(clean("面积 50㎡\n① 漏水"), "面积 50㎡\n① 漏水");
    }

    #[test]
    fn nothing_visible_is_absent() {
        assert_eq!(field("\u{200B}\u{FEFF} \u{3000}"), None);
        assert_eq!(identifier_field(""), None);
        assert_eq!(field(" 王芳 "), Some("王芳".into()));
    }

    #[test]
    fn decomposed_text_is_composed() {
        assert_eq!(clean("Zoe\u{0301}"), "Zoé");
        assert!(is_clean("Zoé"));
        assert!(!is_clean("王\u{200B}芳"));
    }
}
