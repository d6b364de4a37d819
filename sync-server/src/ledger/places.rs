//! A row's places by code or by name: 书香苑社区 / 第1网格 / 盈北苑1期小区 / 1号楼 match the
//! reference data by display name (full or half width, spaces, 第一 or 第1, 1号楼 = 1栋 = 1幢 =
//! 1# = 1号), or by code. A name the reference data lacks is a place to create, with a
//! generated code, inside the importer's area; a code it lacks is a typo and refused. A file
//! without 社区 and 网格 columns is placed by its compound, when the compound's name (with its
//! building) decides one community and grid in the importer's area. Every message names places
//! by their display names (书香苑社区, 1号楼 1单元 101), never by their codes.

use std::collections::{HashMap, HashSet};

use gridwalk_core::messages::Message;
use gridwalk_core::records::household::Address;
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::rules::text;

/// The importer's area: `None` for an administrator (everything, and may create communities and
/// grids), or the grids a supervisor keeps.
pub type Area<'a> = Option<&'a [String]>;

/// The reference data indexed for matching, and the places the ledger creates.
pub struct Places {
    codes: HashSet<(ReferenceKind, String)>,
    by_name: HashMap<(ReferenceKind, String, String), String>,
    compound_grid: HashMap<String, Option<String>>,
    /// Every place by kind and code: its display name, parent and grid.
    items: HashMap<(ReferenceKind, String), ReferenceItem>,
    /// Compounds by normalised name: their codes.
    compounds_by_name: HashMap<String, Vec<String>>,
    /// Places to create on commit, in the order they were first named.
    pub created: Vec<ReferenceItem>,
}

const LEVELS: [(ReferenceKind, &str); 4] = [
    (ReferenceKind::Community, "community"),
    (ReferenceKind::Grid, "grid"),
    (ReferenceKind::Compound, "compound"),
    (ReferenceKind::Building, "building"),
];

/// A Chinese numeral up to 99 as digits (一 → 1, 十二 → 12, 二十 → 20); other text unchanged.
fn chinese_numerals(s: &str) -> String {
    let digit = |c: char| "零一二三四五六七八九".chars().position(|d| d == c);
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && (digit(chars[i]).is_some() || chars[i] == '十') {
            i += 1;
        }
        if i == start {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = &chars[start..i];
        let value = match run.iter().position(|c| *c == '十') {
            Some(p) if run.iter().filter(|c| **c == '十').count() == 1 => {
                let tens = if p == 0 {
                    1
                } else {
                    digit(run[0]).unwrap_or(1)
                };
                let ones = run.get(p + 1).and_then(|c| digit(*c)).unwrap_or(0);
                (p <= 1 && run.len() <= p + 2).then_some(tens * 10 + ones)
            }
            Some(_) => None,
            None if run.len() == 1 => digit(run[0]),
            None => None,
        };
        match value {
            Some(v) => out.push_str(&v.to_string()),
            None => out.extend(run),
        }
    }
    out
}

/// A place name as compared: NFKC, no spaces, ASCII lower case, Chinese numerals as digits;
/// for a building, its number alone (1号楼, 1栋, 1幢, 1#, 1号, 1# 楼 → 1).
pub fn normalise_name(kind: ReferenceKind, name: &str) -> String {
    let s: String = text::identifier(name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let mut s = chinese_numerals(&s);
    if kind == ReferenceKind::Building {
        loop {
            let t = ["号楼", "栋", "幢", "#", "号", "楼", "座"]
                .iter()
                .find_map(|suffix| s.strip_suffix(suffix))
                .map(str::to_owned);
            match t {
                Some(t) if !t.is_empty() => s = t,
                _ => break,
            }
        }
        // 01号楼 is 1号楼.
        s = without_padding(&s);
    }
    s
}

/// Digits without the zeros offices pad with (01 → 1, 0401 → 401); anything else unchanged.
fn without_padding(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        let t = s.trim_start_matches('0');
        if t.is_empty() { "0".into() } else { t.into() }
    } else {
        s.to_owned()
    }
}

/// A unit as compared and stored: 1单元, 一单元, 01, ０１ → 1. A unit that is not a number
/// (东, A) is kept as written.
pub fn normalise_unit(unit: &str) -> String {
    let s: String = text::identifier(unit)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let s = chinese_numerals(&s);
    let s = s.strip_suffix("单元").unwrap_or(&s);
    without_padding(s)
}

/// A room as compared and stored: 301室, 301号, 0301 → 301; 2-301 in unit 2 → 301 (offices
/// write the unit into the room). Other rooms (B101, 地下室) are kept as written.
pub fn normalise_room(unit: &str, room: &str) -> String {
    let s: String = text::identifier(room)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut s = ["室", "号", "房"]
        .iter()
        .find_map(|suffix| {
            // Only after a number (301室), never inside a word (地下室).
            s.strip_suffix(suffix).filter(|t| {
                !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        })
        .unwrap_or(&s)
        .to_owned();
    if let Some((u, r)) = s.split_once('-')
        && !r.is_empty()
        && normalise_unit(u) == normalise_unit(unit)
    {
        s = r.to_owned();
    }
    without_padding(&s)
}

/// Whether a value is shaped like one of our codes (B9, C01-G01): a code the reference data
/// lacks is refused as unknown rather than created.
fn looks_like_code(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Places {
    /// Indexes the reference data.
    pub fn new(items: &[ReferenceItem]) -> Places {
        let mut places = Places {
            codes: HashSet::new(),
            by_name: HashMap::new(),
            compound_grid: HashMap::new(),
            items: HashMap::new(),
            compounds_by_name: HashMap::new(),
            created: Vec::new(),
        };
        for item in items {
            places.index(item);
        }
        places
    }

    fn index(&mut self, item: &ReferenceItem) {
        self.codes.insert((item.kind, item.id.clone()));
        let parent = item.parent_id.clone().unwrap_or_default();
        self.by_name
            .entry((item.kind, parent, normalise_name(item.kind, &item.name)))
            .or_insert_with(|| item.id.clone());
        if item.kind == ReferenceKind::Compound {
            self.compound_grid
                .insert(item.id.clone(), item.grid_id.clone());
            self.compounds_by_name
                .entry(normalise_name(item.kind, &item.name))
                .or_default()
                .push(item.id.clone());
        }
        self.items
            .insert((item.kind, item.id.clone()), item.clone());
    }

    /// The display name of a place (its code when there is no such place).
    pub fn name(&self, kind: ReferenceKind, code: &str) -> String {
        self.items
            .get(&(kind, code.to_owned()))
            .map_or_else(|| code.to_owned(), |i| i.name.clone())
    }

    /// An address as people read it: 书香苑社区 盈北苑1期小区 1号楼 1单元 101.
    pub fn label(&self, a: &Address) -> String {
        let unit = if a.unit.chars().all(|c| c.is_ascii_digit()) && !a.unit.is_empty() {
            format!("{}单元", a.unit)
        } else {
            a.unit.clone()
        };
        [
            self.name(ReferenceKind::Community, &a.community),
            self.name(ReferenceKind::Compound, &a.compound),
            self.name(ReferenceKind::Building, &a.building),
            unit,
            a.room.clone(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// A message with the place codes among its parameters (`grid`, and the `code` and
    /// `parent` of a place rule's refusal) replaced by the places' display names.
    pub fn named(&self, mut message: Message) -> Message {
        let kind_of = |level: Option<&String>| {
            LEVELS
                .iter()
                .find(|(_, part)| Some(*part) == level.map(String::as_str))
                .map(|(kind, _)| *kind)
        };
        let renames = [
            ("grid", Some(ReferenceKind::Grid)),
            ("code", kind_of(message.params.get("level"))),
            ("parent", kind_of(message.params.get("parent_level"))),
        ];
        for (param, kind) in renames {
            if let (Some(kind), Some(value)) = (kind, message.params.get_mut(param)) {
                *value = self.name(kind, value);
            }
        }
        message
    }

    /// The community and grid of a row that names neither (or only one), from its compound:
    /// the compounds of that name (or code) in the importer's area, each in its grid (or, for
    /// a compound over several grids, the grid of the row's building). One place: its codes;
    /// none or several: why the row cannot be placed.
    pub fn infer(
        &self,
        [community, grid, compound, building]: [&str; 4],
        area: Area<'_>,
    ) -> Result<(String, String), Message> {
        let code = text::identifier(compound);
        let mut candidates: Vec<&String> = self
            .compounds_by_name
            .get(&normalise_name(ReferenceKind::Compound, compound))
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        if let Some(item) = self.items.get(&(ReferenceKind::Compound, code.clone())) {
            candidates.push(&item.id);
        }
        let matches = |kind: ReferenceKind, value: &str, code: &str| {
            value.is_empty()
                || text::identifier(value) == code
                || normalise_name(kind, value) == normalise_name(kind, &self.name(kind, code))
        };
        let mut found: Vec<(String, String)> = Vec::new();
        for c in candidates {
            let Some(item) = self.items.get(&(ReferenceKind::Compound, c.clone())) else {
                continue;
            };
            let place_community = item.parent_id.clone().unwrap_or_default();
            let place_grid = item.grid_id.clone().or_else(|| {
                let b = self.find(ReferenceKind::Building, c, building)?;
                self.items
                    .get(&(ReferenceKind::Building, b))
                    .and_then(|b| b.grid_id.clone())
            });
            let Some(place_grid) = place_grid else {
                continue;
            };
            let pair = (place_community, place_grid);
            if area.is_some_and(|a| !a.contains(&pair.1))
                || !matches(ReferenceKind::Community, community, &pair.0)
                || !matches(ReferenceKind::Grid, grid, &pair.1)
                || found.contains(&pair)
            {
                continue;
            }
            found.push(pair);
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(Message::new("ledger.place_not_inferred").with("compound", compound)),
            n => Err(Message::new("ledger.place_ambiguous")
                .with("compound", compound)
                .with("count", n)),
        }
    }

    fn find(&self, kind: ReferenceKind, parent: &str, value: &str) -> Option<String> {
        let code = text::identifier(value);
        if self.codes.contains(&(kind, code.clone())) {
            return Some(code);
        }
        self.by_name
            .get(&(kind, parent.to_owned(), normalise_name(kind, value)))
            .cloned()
    }

    fn new_code(&self, kind: ReferenceKind, prefix: &str, hint: Option<&str>) -> String {
        if let Some(hint) = hint {
            let code = format!("{prefix}{hint}");
            if !self.codes.contains(&(kind, code.clone())) {
                return code;
            }
        }
        (1..)
            .map(|n| format!("{prefix}{n:02}"))
            .find(|c| !self.codes.contains(&(kind, c.clone())))
            .expect("a free code")
    }

    /// The codes of a row's community, grid, compound and building, planning the places it
    /// names that do not exist yet; or why the row cannot be placed.
    pub fn resolve(&mut self, names: [&str; 4], area: Area<'_>) -> Result<[String; 4], Message> {
        let mut codes: [String; 4] = Default::default();
        for (level, (kind, part)) in LEVELS.into_iter().enumerate() {
            let value = names[level];
            // Grids are named within their community, compounds too, buildings within their
            // compound; codes anywhere.
            let parent = match kind {
                ReferenceKind::Building => codes[2].clone(),
                ReferenceKind::Community => String::new(),
                _ => codes[0].clone(),
            };
            if let Some(code) = self.find(kind, &parent, value) {
                if kind == ReferenceKind::Grid && area.is_some_and(|a| !a.contains(&code)) {
                    return Err(
                        Message::new("ledger.outside_area").with("grid", self.name(kind, &code))
                    );
                }
                codes[level] = code;
                continue;
            }
            let code = text::identifier(value);
            if looks_like_code(&code) {
                if kind == ReferenceKind::Grid && area.is_some_and(|a| !a.contains(&code)) {
                    return Err(Message::new("ledger.outside_area").with("grid", &code));
                }
                return Err(Message::new("place.unknown")
                    .with("level", part)
                    .with("code", &code));
            }
            if area.is_some() && matches!(kind, ReferenceKind::Community | ReferenceKind::Grid) {
                return Err(Message::new("ledger.create_outside_area")
                    .with("level", part)
                    .with("name", value));
            }
            let name = text::clean(value);
            let item = match kind {
                ReferenceKind::Community => {
                    ReferenceItem::new(kind, &self.new_code(kind, "C", None), None, &name)
                }
                ReferenceKind::Grid => ReferenceItem::new(
                    kind,
                    &self.new_code(kind, &format!("{}-G", codes[0]), None),
                    Some(&codes[0]),
                    &name,
                ),
                ReferenceKind::Compound => ReferenceItem::new(
                    kind,
                    &self.new_code(kind, &format!("{}-Q", codes[0]), None),
                    Some(&codes[0]),
                    &name,
                )
                .in_grid(&codes[1]),
                _ => {
                    let number = normalise_name(kind, value);
                    let hint = number.chars().all(|c| c.is_ascii_digit()).then_some(number);
                    let item = ReferenceItem::new(
                        kind,
                        &self.new_code(kind, &format!("{}-B", codes[2]), hint.as_deref()),
                        Some(&codes[2]),
                        &name,
                    );
                    let compound_grid = self.compound_grid.get(&codes[2]).cloned().flatten();
                    if compound_grid.as_deref() == Some(codes[1].as_str()) {
                        item
                    } else {
                        item.in_grid(&codes[1])
                    }
                }
            };
            codes[level] = item.id.clone();
            self.index(&item);
            self.created.push(item);
        }
        Ok(codes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_and_room_spellings_are_one_address() {
        for unit in ["2", "2单元", "二单元", "02", "０２", " 2 "] {
            assert_eq!(normalise_unit(unit), "2", "{unit}");
        }
        assert_eq!(normalise_unit("东"), "东");
        for room in ["302", "302室", "302号", "0302", "2-302", "２－３０２"] {
            assert_eq!(normalise_room("2单元", room), "302", "{room}");
        }
        assert_eq!(
            normalise_room("1", "2-302"),
            "2-302",
            "another unit's prefix is kept"
        );
        assert_eq!(normalise_room("1", "B101"), "B101");
        assert_eq!(normalise_room("1", "地下室"), "地下室");
        assert_eq!(normalise_name(ReferenceKind::Building, "01号楼"), "1");
    }

    #[test]
    fn building_spellings_are_one_number() {
        for s in [
            "1号楼",
            "1栋",
            "1幢",
            "1#",
            "1号",
            "１号楼",
            " 1 # ",
            "一号楼",
        ] {
            assert_eq!(normalise_name(ReferenceKind::Building, s), "1", "{s}");
        }
        assert_eq!(normalise_name(ReferenceKind::Grid, "第一网格"), "第1网格");
        assert_eq!(
            normalise_name(ReferenceKind::Grid, "第十二网格"),
            "第12网格"
        );
        assert_eq!(
            normalise_name(ReferenceKind::Compound, "盈北苑 1期"),
            "盈北苑1期"
        );
    }
}
