//! Phone numbers as workers type them: `+86 138-0013-8000`, `13800138000`, `010 6552 9988`.
//!
//! Anything made of digits and the usual separators is kept, normalised; whether it is a
//! mainland mobile number is a separate question, since an elderly resident's only number is
//! often a landline and the worker must be told to check it, not be stopped from saving it.

use serde::{Deserialize, Serialize};

use crate::messages::Message;

/// What is wrong with a phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PhoneProblem {
    /// It contains something other than digits, spaces, dashes, dots, brackets and a leading +.
    #[error("it contains {0:?}, which is not part of a phone number")]
    BadCharacter(char),
    /// Fewer than 7 or more than 13 digits once the country code is removed.
    #[error("it has {0} digits; phone numbers have 7 to 13")]
    WrongLength(usize),
    /// A number that parses but is not stored as its digits alone (no country code, spaces or
    /// dashes), so the same number would not match itself in searches and duplicate checks.
    #[error("it is not normalised to its digits")]
    NotCanonical,
}

impl PhoneProblem {
    /// The problem as a message about the number `masked` (already masked: personal data).
    pub fn message(&self, masked: &str) -> Message {
        let m = |code| Message::new(code).with("masked", masked);
        match self {
            PhoneProblem::BadCharacter(c) => m("phone.bad_character").with("character", c),
            PhoneProblem::WrongLength(n) => m("phone.length").with("count", n),
            PhoneProblem::NotCanonical => m("phone.not_canonical"),
        }
    }
}

/// A phone number after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phone {
    /// An 11-digit mainland mobile number (1, then 3–9, then 9 digits).
    Mobile(String),
    /// Digits that may be a landline or a mistyped mobile number: worth a check.
    Other(String),
}

impl Phone {
    /// The digits as stored.
    pub fn digits(&self) -> &str {
        match self {
            Phone::Mobile(d) | Phone::Other(d) => d,
        }
    }
}

/// Normalises a phone number: strips separators and a `+86` / `0086` country code, and what
/// pasting from contacts and typing with an IME add (see [`super::text::identifier`]).
pub fn parse(input: &str) -> Result<Phone, PhoneProblem> {
    let cleaned = super::text::identifier(input);
    let trimmed = cleaned.as_str();
    let mut digits = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{3000}' => {}
            '+' if i == 0 => {}
            other => return Err(PhoneProblem::BadCharacter(other)),
        }
    }
    let national = if trimmed.starts_with('+') && digits.starts_with("86") {
        &digits[2..]
    } else if let Some(rest) = digits.strip_prefix("0086") {
        rest
    } else if digits.len() == 13 && digits.starts_with("861") {
        &digits[2..]
    } else {
        &digits[..]
    };
    if !(7..=13).contains(&national.len()) {
        return Err(PhoneProblem::WrongLength(national.len()));
    }
    Ok(if is_mobile(national) {
        Phone::Mobile(national.to_owned())
    } else {
        Phone::Other(national.to_owned())
    })
}

/// Whether digits are a mainland mobile number.
pub fn is_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// Masks a phone number for lists and logs: `138****8000`.
pub fn mask(digits: &str) -> String {
    let n = digits.chars().count();
    if n < 8 {
        return "*".repeat(n);
    }
    let chars: Vec<char> = digits.chars().collect();
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(n - 7));
    out.extend(&chars[n - 4..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_country_code_spaces_and_dashes() {
        for input in [
            "+86 138-0013-8000",
            "13800138000",
            "0086 13800138000",
            "8613800138000",
            "(138) 0013 8000",
        ] {
            assert_eq!(
                parse(input),
                Ok(Phone::Mobile("13800138000".into())),
                "{input}"
            );
        }
    }

    #[test]
    fn keeps_landlines_as_other() {
        assert_eq!(
            parse("010-6552 9988"),
            Ok(Phone::Other("01065529988".into()))
        );
        assert_eq!(parse("12800138000"), Ok(Phone::Other("12800138000".into())));
    }

    #[test]
    fn refuses_what_is_not_a_phone_number() {
        assert_eq!(parse("138abc"), Err(PhoneProblem::BadCharacter('a')));
        assert_eq!(parse("12345"), Err(PhoneProblem::WrongLength(5)));
    }

    #[test]
    fn masks_the_middle() {
        assert_eq!(mask("13800138000"), "138****8000");
    }
}
