//! Resident ID numbers (居民身份证号码) as GB 11643-1999 defines them: 6 digits of area code,
//! an 8-digit birth date, a 3-digit sequence whose last digit is odd for men and even for
//! women, and a check digit (0-9 or X) computed with ISO 7064 MOD 11-2.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::messages::Message;

/// Weights of the first 17 characters in the MOD 11-2 checksum.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder 0..=10.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Sex as the ID number encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// Odd sequence digit.
    Male,
    /// Even sequence digit.
    Female,
}

/// What is wrong with an ID number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum IdNumberProblem {
    /// Not 18 characters long.
    #[error("it has {0} characters, an ID number has 18")]
    WrongLength(usize),
    /// A character that is not a digit (or X in the last place).
    #[error("character {0} is not a digit")]
    BadCharacter(usize),
    /// Characters 7 to 14 are not a real date.
    #[error("{0} is not a real birth date")]
    BadBirthDate(String),
    /// Characters 7 to 14 are a date after today: nobody is born in the future. The date is
    /// left out of the message, since a plausible one is personal data.
    #[error("its birth date is in the future")]
    FutureBirthDate,
    /// Valid, but not written the one way records hold it (18 characters, upper-case X, no
    /// spaces), so equal numbers would not compare equal.
    #[error("it is not written in canonical form (18 characters, upper-case X)")]
    NotCanonical,
    /// The last character does not match the checksum of the first 17.
    #[error("the check digit is {found} but should be {expected}")]
    BadCheckDigit {
        /// The check character the first 17 digits call for.
        expected: char,
        /// The one written.
        found: char,
    },
}

impl IdNumberProblem {
    /// The problem as a message about the number `masked` (already masked: personal data).
    pub fn message(&self, masked: &str) -> Message {
        let m = |code| Message::new(code).with("masked", masked);
        match self {
            IdNumberProblem::WrongLength(n) => m("id_number.length").with("count", n),
            IdNumberProblem::BadCharacter(i) => m("id_number.bad_character").with("position", i),
            IdNumberProblem::BadBirthDate(_) => m("id_number.bad_birth_date"),
            IdNumberProblem::FutureBirthDate => m("id_number.future_birth_date"),
            IdNumberProblem::NotCanonical => m("id_number.not_canonical"),
            IdNumberProblem::BadCheckDigit { expected, found } => m("id_number.check_digit")
                .with("expected", expected)
                .with("actual", found),
        }
    }
}

/// A valid ID number and what it tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    /// The number in canonical form: 18 characters, upper-case X.
    pub number: String,
    /// Birth date from characters 7 to 14.
    pub birth_date: time::Date,
    /// Sex from the parity of character 17.
    pub sex: Sex,
}

impl IdNumber {
    /// Age in whole years on the given date.
    pub fn age_on(&self, date: time::Date) -> i32 {
        age_on(self.birth_date, date)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask(&self.number))
    }
}

/// Age in whole years of someone born on `birth` on the date `on`.
pub fn age_on(birth: time::Date, on: time::Date) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

/// The check character GB 11643 calls for after these 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Parses and checks an ID number. What typing and pasting add is accepted: full-width
/// digits, invisible characters, spaces or dashes between the groups, a lower-case `x` (see
/// [`super::text::identifier`]).
pub fn parse(input: &str) -> Result<IdNumber, IdNumberProblem> {
    let number: String = super::text::identifier(input)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let chars = number.chars().count();
    if chars != 18 {
        return Err(IdNumberProblem::WrongLength(chars));
    }
    let bytes = number.as_bytes();
    if let Some(pos) = bytes[..17].iter().position(|b| !b.is_ascii_digit()) {
        return Err(IdNumberProblem::BadCharacter(pos + 1));
    }
    let last = bytes[17];
    if !(last.is_ascii_digit() || last == b'X') {
        return Err(IdNumberProblem::BadCharacter(18));
    }
    let birth_date = birth_date_of(&number[6..14])
        .ok_or_else(|| IdNumberProblem::BadBirthDate(number[6..14].to_owned()))?;
    let expected = check_char(&bytes[..17]);
    if expected != last as char {
        return Err(IdNumberProblem::BadCheckDigit {
            expected,
            found: last as char,
        });
    }
    let sex = if (bytes[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(IdNumber {
        number,
        birth_date,
        sex,
    })
}

/// Parses and checks an ID number like [`parse`], and also refuses a birth date after `today`.
///
/// [`parse`] itself has no notion of today, so that findings and projections computed from a
/// record stay the same whenever they are computed; the check of new input uses this.
pub fn parse_on(input: &str, today: time::Date) -> Result<IdNumber, IdNumberProblem> {
    let id = parse(input)?;
    if id.birth_date > today {
        return Err(IdNumberProblem::FutureBirthDate);
    }
    Ok(id)
}

fn birth_date_of(yyyymmdd: &str) -> Option<time::Date> {
    let year: i32 = yyyymmdd[0..4].parse().ok()?;
    let month: u8 = yyyymmdd[4..6].parse().ok()?;
    let day: u8 = yyyymmdd[6..8].parse().ok()?;
    if year < 1880 {
        return None;
    }
    time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// Masks an ID number for lists, logs and error messages: the area code and the last four
/// characters stay, the birth date and sequence do not (`110101********123X`).
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.trim().chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let keep_tail = 4;
    let keep_head = 6.min(chars.len() - keep_tail);
    let mut out: String = chars[..keep_head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - keep_head - keep_tail));
    out.extend(&chars[chars.len() - keep_tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_valid_number_and_derives_birth_date_and_sex() {
        // The example from GB 11643-1999.
        let id = parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date.to_string(), "1949-12-31");
        assert_eq!(id.sex, Sex::Female);
        assert_eq!(
            parse("11010519491231002x").unwrap().number,
            "11010519491231002X"
        );
        let id = parse("440524188001010014").unwrap();
        assert_eq!(id.sex, Sex::Male);
        assert_eq!(id.birth_date.year(), 1880);
    }

    #[test]
    fn refuses_a_wrong_check_digit_and_says_which_is_right() {
        assert_eq!(
            parse("110105194912310021"),
            Err(IdNumberProblem::BadCheckDigit {
                expected: 'X',
                found: '1'
            })
        );
    }

    #[test]
    fn refuses_impossible_dates_lengths_and_letters() {
        assert_eq!(
            parse("110105194902300021"),
            Err(IdNumberProblem::BadBirthDate("19490230".into()))
        );
        assert_eq!(
            parse("1101051949123100"),
            Err(IdNumberProblem::WrongLength(16))
        );
        assert_eq!(
            parse("11010519491231X02X"),
            Err(IdNumberProblem::BadCharacter(15))
        );
        assert_eq!(
            parse("11010519491231002Y"),
            Err(IdNumberProblem::BadCharacter(18))
        );
        assert_eq!(parse("张三"), Err(IdNumberProblem::WrongLength(2)));
    }

    #[test]
    fn refuses_a_birth_date_after_today() {
        let today = time::macros::date!(2026 - 11 - 24);
        let born_today = "11010520261124001";
        let born_today = format!("{born_today}{}", check_char(born_today.as_bytes()));
        assert!(parse_on(&born_today, today).is_ok());
        let tomorrow = "11010520261125001";
        let tomorrow = format!("{tomorrow}{}", check_char(tomorrow.as_bytes()));
        assert!(parse(&tomorrow).is_ok());
        assert_eq!(
            parse_on(&tomorrow, today),
            Err(IdNumberProblem::FutureBirthDate)
        );
    }

    #[test]
    fn masks_birth_date_and_sequence() {
        assert_eq!(mask("11010519491231002X"), "110105********002X");
        assert_eq!(mask("123"), "***");
    }

    #[test]
    fn age_counts_whole_years() {
        let birth = time::macros::date!(1960 - 06 - 15);
        assert_eq!(age_on(birth, time::macros::date!(2020 - 06 - 14)), 59);
        assert_eq!(age_on(birth, time::macros::date!(2020 - 06 - 15)), 60);
    }
}
