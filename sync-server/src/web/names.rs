//! Names where records hold codes: places, property companies and report categories from the
//! reference data, people from the accounts, coded values from the catalogue's terms. A
//! supervisor reads 阳光花园 1号楼 2单元 301室, 王伟, 自住 — never C01-Q01-B01-2-301, wang.wei,
//! owner_occupied.

use std::collections::HashMap;

use gridwalk_core::Timestamp;
use gridwalk_core::messages::{self, Lang, Message};
use gridwalk_core::records::reference::ReferenceKind;

use crate::state::AppState;

/// The names a page needs, read once per request.
pub(crate) struct Names {
    places: HashMap<String, String>,
    categories: HashMap<String, String>,
    people: HashMap<String, String>,
    lang: Lang,
}

/// What a page shows for a value that is not there.
pub(crate) const NOTHING: &str = "—";

impl Names {
    /// Every place and company name, and every user's display name.
    pub(crate) fn load(app: &AppState, lang: Lang) -> Result<Names, String> {
        let mut places = HashMap::new();
        for kind in [
            ReferenceKind::Community,
            ReferenceKind::Grid,
            ReferenceKind::Compound,
            ReferenceKind::Building,
            ReferenceKind::Company,
        ] {
            for item in app
                .store
                .reference_items(kind, None)
                .map_err(|e| e.to_string())?
            {
                places.insert(item.id, item.name);
            }
        }
        let categories = app
            .store
            .reference_items(ReferenceKind::Category, None)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|item| (item.id, item.name))
            .collect();
        let people = app.accounts.display_names().map_err(|e| e.to_string())?;
        Ok(Names {
            places,
            categories,
            people,
            lang,
        })
    }

    /// No names at all: every code shows as itself.
    pub(crate) fn empty(lang: Lang) -> Names {
        Names {
            places: HashMap::new(),
            categories: HashMap::new(),
            people: HashMap::new(),
            lang,
        }
    }

    /// A place's or company's name; its code only when the reference data has none.
    pub(crate) fn place(&self, id: &str) -> String {
        if id.is_empty() {
            return NOTHING.to_owned();
        }
        self.places
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }

    /// A report category's name (消防安全); its code only when the reference data has none.
    pub(crate) fn category(&self, code: &str) -> String {
        if code.is_empty() {
            return NOTHING.to_owned();
        }
        self.categories
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// A person's display name; the user id only for someone the accounts do not know.
    pub(crate) fn person(&self, id: &str) -> String {
        if id.is_empty() {
            return NOTHING.to_owned();
        }
        self.people
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }

    /// The language the names are in.
    pub(crate) fn lang(&self) -> Lang {
        self.lang
    }

    /// Whether `id` is someone the accounts know.
    pub(crate) fn knows_person(&self, id: &str) -> bool {
        self.people.contains_key(id)
    }

    /// An address as people write it: 小区 楼栋 单元 房号.
    pub(crate) fn address(&self, compound: &str, building: &str, unit: &str, room: &str) -> String {
        Message::new("web.address")
            .with("compound", self.place(compound))
            .with("building", self.place(building))
            .with("unit", unit)
            .with("room", room)
            .render(self.lang)
    }

    /// A coded value in words (`house_use`, `owner_occupied` → 自住).
    pub(crate) fn term(&self, prefix: &str, value: &str) -> String {
        if value.is_empty() {
            return NOTHING.to_owned();
        }
        messages::term(prefix, value, self.lang)
    }

    /// A day for a last visit: the date, or 从未走访.
    pub(crate) fn last_visit(&self, at: Option<Timestamp>) -> String {
        match at {
            Some(t) => t.china_date().to_string(),
            None => Message::new("web.never_visited").render(self.lang),
        }
    }
}
