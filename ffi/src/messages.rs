//! Messages across the boundary: the core's [`gridwalk_core::messages::Message`] (a stable code
//! with named parameters) with its text in Simplified Chinese, the language of the people who
//! use the apps. An app that wants another language, or its own words, renders from the code
//! and parameters ([`render_message`]).

use std::collections::HashMap;

use gridwalk_core::messages::{Lang, Message as CoreMessage};

/// A message for a person: the stable code, its named parameters, and its text in zh-CN.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Message {
    /// Stable code (`id_number.check_digit`, `finding.dated_in_future`, …).
    pub code: String,
    /// Named parameters as text; personal data in them is masked.
    pub params: HashMap<String, String>,
    /// The text in Simplified Chinese.
    pub text: String,
}

impl From<CoreMessage> for Message {
    fn from(m: CoreMessage) -> Self {
        Message {
            text: m.render(Lang::ZhCn),
            code: m.code,
            params: m.params.into_iter().collect(),
        }
    }
}

/// A language the core's catalogue has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    /// 简体中文.
    ZhCn,
    /// English.
    En,
}

impl From<Language> for Lang {
    fn from(l: Language) -> Self {
        match l {
            Language::ZhCn => Lang::ZhCn,
            Language::En => Lang::En,
        }
    }
}

/// The text of a message's code and parameters in `language`, from the core's catalogue.
#[uniffi::export]
pub fn render_message(code: String, params: HashMap<String, String>, language: Language) -> String {
    CoreMessage {
        code,
        params: params.into_iter().collect(),
    }
    .render(language.into())
}
