//! The pages' words: looked up in the core's one catalogue (`page.<key>` entries of
//! `gridwalk_core::messages`), in Simplified Chinese (the default) or English, so the pages, the
//! apps and the server's messages share one list that its tests check.

use gridwalk_core::messages::{Lang, catalogue};

/// The word for `key` in `lang` (`zh` or `en`); the key itself when the catalogue has none.
pub fn word(lang: &str, key: &str) -> String {
    catalogue::text(&format!("page.{key}"), Lang::from_tag(lang))
        .map(str::to_owned)
        .unwrap_or_else(|| key.to_owned())
}
