//! A generator of realistic communities: for the demo server, tests and benchmarks.
//!
//! The data looks like a real ledger, including its faults: about 2% of ID numbers have a
//! wrong check digit, about 1% of people are registered in two households, about 2% of phones
//! are landlines, and some elderly residents live alone. Generation is deterministic for a
//! given seed.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;

use crate::records::household::{
    Address, HouseUse, NewHousehold, NewResident, Registration, Relation, SpecialGroup,
};
use crate::records::reference::{ReferenceItem, ReferenceKind};
use crate::rules::id_number::check_char;

/// The shape of a generated community.
#[derive(Debug, Clone)]
pub struct CommunitySpec {
    /// Community code, also the prefix of every other code.
    pub code: String,
    /// Display name of the community.
    pub name: String,
    /// Number of households.
    pub households: usize,
    /// Number of grids the compounds are shared among.
    pub grids: usize,
    /// Households per building.
    pub households_per_building: usize,
    /// Buildings per compound.
    pub buildings_per_compound: usize,
    /// Random seed.
    pub seed: u64,
}

impl CommunitySpec {
    /// A community of the size DESIGN.md plans a device for: 5,000 households, about 15,000
    /// residents, in 10 compounds of 10 buildings, shared among 8 grids.
    pub fn device_scale(seed: u64) -> Self {
        CommunitySpec {
            code: "C01".into(),
            name: "阳光社区".into(),
            households: 5000,
            grids: 8,
            households_per_building: 50,
            buildings_per_compound: 10,
            seed,
        }
    }
}

/// A generated community: reference data and the households to create.
#[derive(Debug, Clone)]
pub struct Community {
    /// Community, grids, compounds and buildings.
    pub reference: Vec<ReferenceItem>,
    /// The households with their residents.
    pub households: Vec<NewHousehold>,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "玉兰", "志强", "晓东",
    "子涵", "浩然", "一诺", "欣怡", "梓萱", "宇轩", "雨桐", "三", "四", "红梅", "海燕", "文博",
];
const COMPOUND_NAMES: &[&str] = &[
    "阳光花园",
    "锦绣家园",
    "翠苑",
    "东方明珠苑",
    "和平里",
    "幸福小区",
    "金桥新村",
    "绿洲城",
    "春晓苑",
    "枫林湾",
];

/// Generates a community from its spec.
pub fn community(spec: &CommunitySpec) -> Community {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut reference = vec![ReferenceItem::new(
        ReferenceKind::Community,
        &spec.code,
        None,
        &spec.name,
    )];
    for g in 0..spec.grids {
        reference.push(ReferenceItem::new(
            ReferenceKind::Grid,
            &grid_code(spec, g),
            Some(&spec.code),
            &format!("第{}网格", g + 1),
        ));
    }
    let per_compound = spec.households_per_building * spec.buildings_per_compound;
    let compounds = spec.households.div_ceil(per_compound.max(1));
    let mut households = Vec::with_capacity(spec.households);
    let mut issued_ids: Vec<String> = Vec::new();
    'outer: for c in 0..compounds {
        let compound = format!("{}-Q{:02}", spec.code, c + 1);
        let grid = grid_code(spec, c % spec.grids.max(1));
        let name = COMPOUND_NAMES[c % COMPOUND_NAMES.len()].to_owned()
            + &if c >= COMPOUND_NAMES.len() {
                format!("{}期", c / COMPOUND_NAMES.len() + 1)
            } else {
                String::new()
            };
        reference.push(
            ReferenceItem::new(ReferenceKind::Compound, &compound, Some(&spec.code), &name)
                .in_grid(&grid),
        );
        for b in 0..spec.buildings_per_compound {
            let building = format!("{compound}-B{:02}", b + 1);
            reference.push(ReferenceItem::new(
                ReferenceKind::Building,
                &building,
                Some(&compound),
                &format!("{}号楼", b + 1),
            ));
            for n in 0..spec.households_per_building {
                if households.len() == spec.households {
                    break 'outer;
                }
                // Two units per building, two rooms per floor.
                let unit = (n % 2 + 1).to_string();
                let floor = n / 4 + 1;
                let room = format!("{}{:02}", floor, (n / 2) % 2 + 1);
                let address = Address {
                    community: spec.code.clone(),
                    grid: grid.clone(),
                    compound: compound.clone(),
                    building: building.clone(),
                    unit,
                    room,
                };
                households.push(household(&mut rng, address, &mut issued_ids));
            }
        }
    }
    Community {
        reference,
        households,
    }
}

fn grid_code(spec: &CommunitySpec, g: usize) -> String {
    format!("{}-G{:02}", spec.code, g + 1)
}

fn household(rng: &mut StdRng, address: Address, issued: &mut Vec<String>) -> NewHousehold {
    let house_use = match rng.random_range(0..20) {
        0..=13 => HouseUse::OwnerOccupied,
        14..=17 => HouseUse::Rented,
        18 => HouseUse::Vacant,
        _ => HouseUse::Business,
    };
    let elderly_alone = rng.random_bool(0.05);
    let count = match (&house_use, elderly_alone) {
        (HouseUse::Vacant, _) => 0,
        (_, true) => 1,
        _ => *[2, 2, 3, 3, 3, 4, 4, 4, 5]
            .get(rng.random_range(0..9))
            .unwrap_or(&3),
    };
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let mut residents = Vec::with_capacity(count);
    for i in 0..count {
        let relation = match i {
            0 if house_use == HouseUse::Rented => Relation::Tenant,
            0 => Relation::Head,
            1 => Relation::Spouse,
            _ => Relation::Child,
        };
        let family_name = if relation == Relation::Spouse {
            SURNAMES[rng.random_range(0..SURNAMES.len())]
        } else {
            surname
        };
        let name = format!("{family_name}{}", GIVEN[rng.random_range(0..GIVEN.len())]);
        let birth_year = if elderly_alone {
            rng.random_range(1935..1960)
        } else if relation == Relation::Child {
            rng.random_range(1985..2022)
        } else {
            rng.random_range(1950..1995)
        };
        let id_number = if !issued.is_empty() && rng.random_bool(0.01) {
            // Registered twice: the same person in another household too.
            issued[rng.random_range(0..issued.len())].clone()
        } else {
            let mut id = id_number_for(rng, birth_year);
            if rng.random_bool(0.02) {
                id = with_wrong_check_digit(&id);
            }
            issued.push(id.clone());
            id
        };
        let phone = match rng.random_range(0..50) {
            0 => Some(format!("010-{}", rng.random_range(60_000_000..69_999_999))),
            1..=5 => None,
            _ => Some(format!(
                "1{}{:09}",
                rng.random_range(3..10),
                rng.random_range(0..1_000_000_000u64)
            )),
        };
        let mut tags = BTreeSet::new();
        if elderly_alone {
            tags.insert(SpecialGroup::ElderlyAlone);
        } else if rng.random_bool(0.03) {
            tags.insert(SpecialGroup::Disabled);
        } else if rng.random_bool(0.03) {
            tags.insert(SpecialGroup::LowIncome);
        }
        residents.push(NewResident {
            name,
            id_number: Some(id_number),
            phone,
            relation,
            registration: if house_use == HouseUse::Rented {
                Registration::Migrant
            } else {
                Registration::Local
            },
            tags,
        });
    }
    NewHousehold {
        address,
        house_use,
        notes: String::new(),
        residents,
    }
}

/// A valid ID number of someone born in `year`, in a Beijing area code.
pub fn id_number_for(rng: &mut impl Rng, year: i32) -> String {
    let area = ["110101", "110102", "110105", "110106", "110108"][rng.random_range(0..5)];
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let seq = rng.random_range(0..1000);
    let first17 = format!("{area}{year:04}{month:02}{day:02}{seq:03}");
    let check = check_char(first17.as_bytes());
    format!("{first17}{check}")
}

/// The same number with a check digit that does not match.
pub fn with_wrong_check_digit(id: &str) -> String {
    let right = id.chars().last().unwrap_or('0');
    let wrong = if right == '1' { '2' } else { '1' };
    format!("{}{wrong}", &id[..17])
}
