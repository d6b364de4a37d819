//! Messages for people: every refusal, finding and error the core produces is a [`Message`],
//! a stable code with named parameters, rendered in the reader's language from one catalogue
//! ([`catalogue`]) shared by the device, the server's pages, the ledger and the bindings.
//!
//! Programs match on the code (`id_number.check_digit`) and may render their own text from
//! the parameters (`{expected: "1", actual: "2"}`); people read [`Message::render`] in zh-CN
//! (the default) or English. A text names a parameter as `{name}`; `{name:prefix}` shows the
//! catalogue's term `prefix.<value>` instead of the raw value (`{role:role}` shows 网格员 for
//! `grid_worker`), so codes such as roles, fields and statuses never reach a page as English;
//! `{name:msg}` renders a parameter that is itself a message ([`Message::with_message`]), and
//! `{name:@kind}` looks `name` up under the prefix the parameter `kind` names.

pub mod catalogue;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A reader's language. Simplified Chinese unless the reader asked for English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// 简体中文 (zh-CN), the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// The language a tag or an `Accept-Language` header asks for: English for `en…` first,
    /// Chinese otherwise (the people who use Gridwalk read Chinese).
    pub fn from_tag(tag: &str) -> Lang {
        let first = tag
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// The short tag (`zh` or `en`) the pages use.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh",
            Lang::En => "en",
        }
    }
}

/// A stable code with named parameters. Equal messages have equal codes and parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Message {
    /// The stable code, dotted by domain: `id_number.check_digit`, `order.already`, …
    pub code: String,
    /// Named parameters, as text. Personal data in them is already masked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Message {
    /// A message with no parameters yet.
    pub fn new(code: &str) -> Message {
        Message {
            code: code.to_owned(),
            params: BTreeMap::new(),
        }
    }

    /// Adds a parameter.
    pub fn with(mut self, name: &str, value: impl fmt::Display) -> Message {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    /// Adds a parameter that is itself a message, rendered in the reader's language where the
    /// text says `{name:msg}`.
    pub fn with_message(self, name: &str, inner: &Message) -> Message {
        self.with(name, inner.to_json())
    }

    /// The text for a person reading `lang`. A code missing from the catalogue (a newer
    /// server's) shows as the code and its parameters rather than nothing.
    pub fn render(&self, lang: Lang) -> String {
        match catalogue::text(&self.code, lang) {
            Some(text) => fill(text, &self.params, lang),
            None => {
                let params: Vec<String> = self
                    .params
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                if params.is_empty() {
                    self.code.clone()
                } else {
                    format!("{} ({})", self.code, params.join(", "))
                }
            }
        }
    }

    /// The message as one line of JSON, for a text column (findings keep their detail so).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a message is plain strings")
    }

    /// Reads [`Message::to_json`]; text that is not such JSON (a row written before messages
    /// had codes) becomes a `text` message that shows it as it is.
    pub fn from_json(s: &str) -> Message {
        serde_json::from_str(s).unwrap_or_else(|_| Message::new("text").with("text", s))
    }
}

/// Messages render in English where a log or a `Display` needs one text.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// The words for a term (`role.grid_worker` → 网格员), or `value` itself when the catalogue has
/// none: what `{name:prefix}` shows.
pub fn term(prefix: &str, value: &str, lang: Lang) -> String {
    catalogue::text(&format!("{prefix}.{value}"), lang)
        .map(str::to_owned)
        .unwrap_or_else(|| value.to_owned())
}

/// Replaces `{name}` and `{name:prefix}` in `text` with the parameters.
fn fill(text: &str, params: &BTreeMap<String, String>, lang: Lang) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = &rest[open + 1..open + close];
        let (name, prefix) = match inner.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (inner, None),
        };
        match (params.get(name), prefix) {
            (Some(v), Some("msg")) => out.push_str(&Message::from_json(v).render(lang)),
            (Some(v), Some(p)) => match p.strip_prefix('@') {
                // `{a:@terms}`: the prefix is itself a parameter (the kind of value a field
                // holds), so one text serves fields whose values are different terms.
                Some(param) => match params.get(param) {
                    Some(prefix) => out.push_str(&term(prefix, v, lang)),
                    None => out.push_str(v),
                },
                None => out.push_str(&term(p, v, lang)),
            },
            (Some(v), None) => out.push_str(v),
            (None, _) => out.push('—'),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The placeholders of a text, `{name}` or `{name:prefix}`, by name.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        out.push(inner.split(':').next().unwrap_or(inner));
        rest = &rest[open + close + 1..];
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_terms_fill_the_text() {
        let m = Message::new("rules.not_permitted")
            .with("role", "grid_worker")
            .with("field", "address");
        let zh = m.render(Lang::ZhCn);
        assert!(zh.contains("网格员"), "{zh}");
        assert!(!zh.contains("grid_worker"), "{zh}");
        let en = m.render(Lang::En);
        assert!(en.contains("grid worker"), "{en}");
    }

    #[test]
    fn an_unknown_code_still_says_something() {
        let m = Message::new("from.a.newer.server").with("n", 3);
        assert_eq!(m.render(Lang::ZhCn), "from.a.newer.server (n=3)");
    }

    #[test]
    fn json_round_trips_and_old_text_survives() {
        let m = Message::new("id_number.check_digit")
            .with("expected", "1")
            .with("actual", "2");
        assert_eq!(Message::from_json(&m.to_json()), m);
        let old = Message::from_json("张三: 110105********002X");
        assert_eq!(old.render(Lang::ZhCn), "张三: 110105********002X");
    }

    #[test]
    fn languages_from_tags() {
        assert_eq!(Lang::from_tag("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_tag("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::from_tag(""), Lang::ZhCn);
    }
}
