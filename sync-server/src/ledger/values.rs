//! Coded values as offices write them (独居 for 独居老人, 儿子 for 子女, 外地 for 流动, 商铺 for
//! 经营), and as exports write them (the Chinese term). An unknown value is refused with the
//! values allowed, never stored as an unknown code.

use std::collections::BTreeSet;

use gridwalk_core::messages::Message;
use gridwalk_core::records::household::{
    HouseUse, Registration, Relation, SpecialGroup, VisitPurpose,
};
use gridwalk_core::rules::text;

/// A value with no meaning in its column: the message names the column, the value and what is
/// allowed.
fn unknown(column: &str, value: &str, allowed: &[&str]) -> Message {
    Message::new("ledger.unknown_value")
        .with("column", column)
        .with("value", value)
        .with("allowed", allowed.join("、"))
}

fn key(s: &str) -> String {
    text::identifier(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The words exports write for 房屋用途 (and the template's drop-down offers).
pub const HOUSE_USES: [&str; 4] = ["自住", "出租", "空置", "经营"];
/// The words for 与户主关系.
pub const RELATIONS: [&str; 7] = ["户主", "配偶", "子女", "父母", "孙辈", "租户", "其他亲属"];
/// The words for 户籍类型.
pub const REGISTRATIONS: [&str; 3] = ["户籍", "流动", "境外"];
/// The words for 特殊人群 (one each; several are joined by 、).
pub const SPECIAL_GROUPS: [&str; 5] = ["独居老人", "残疾人", "低保户", "退役军人", "留守儿童"];

/// 房屋用途. Empty is 自住.
pub fn house_use(s: &str) -> Result<HouseUse, Message> {
    Ok(match key(s).as_str() {
        "" | "自住" | "自用" | "自有" | "居住" | "自居" | "owner_occupied" => {
            HouseUse::OwnerOccupied
        }
        "出租" | "租住" | "租赁" | "出租房" | "出租屋" | "rented" => HouseUse::Rented,
        "空置" | "空房" | "闲置" | "无人居住" | "空置房" | "vacant" => {
            HouseUse::Vacant
        }
        "经营" | "商铺" | "商用" | "门面" | "店铺" | "办公" | "商业" | "经营性" | "business" => {
            HouseUse::Business
        }
        _ => return Err(unknown("house_use", s, &HOUSE_USES)),
    })
}

/// 与户主关系. Empty is 其他亲属.
pub fn relation(s: &str) -> Result<Relation, Message> {
    Ok(match key(s).as_str() {
        "户主" | "本人" | "户主本人" | "head" => Relation::Head,
        "配偶" | "妻" | "妻子" | "丈夫" | "夫" | "夫妻" | "spouse" => Relation::Spouse,
        "子女" | "子" | "女" | "儿子" | "女儿" | "长子" | "次子" | "长女" | "次女" | "独子"
        | "之子" | "之女" | "养子" | "养女" | "继子" | "继女" | "独女" | "child" => {
            Relation::Child
        }
        "父母" | "父亲" | "母亲" | "父" | "母" | "parent" => Relation::Parent,
        "孙辈" | "孙子" | "孙女" | "外孙" | "外孙女" | "grandchild" => {
            Relation::Grandchild
        }
        "租户" | "租客" | "承租人" | "tenant" => Relation::Tenant,
        "" | "其他" | "其他亲属" | "亲属" | "兄弟" | "姐妹" | "兄" | "弟" | "姐" | "妹"
        | "儿媳" | "女婿" | "岳父" | "岳母" | "公公" | "婆婆" | "祖父" | "祖母" | "外祖父"
        | "外祖母" | "relative" => Relation::Relative,
        _ => {
            return Err(unknown("relation", s, &RELATIONS));
        }
    })
}

/// 户籍类型. Empty is 户籍.
pub fn registration(s: &str) -> Result<Registration, Message> {
    Ok(match key(s).as_str() {
        "" | "户籍" | "本地" | "常住" | "户籍人口" | "本地户籍" | "常住人口" | "本地人口"
        | "农业户口" | "非农业户口" | "城镇户口" | "居民户口" | "local" => {
            Registration::Local
        }
        "流动" | "外地" | "外来" | "流动人口" | "暂住" | "外来人口" | "暂住人口" | "migrant" => {
            Registration::Migrant
        }
        "境外" | "外籍" | "境外人员" | "外国人" | "外籍人员" | "foreign" => {
            Registration::Foreign
        }
        _ => {
            return Err(unknown("registration", s, &REGISTRATIONS));
        }
    })
}

/// Whether a 姓名 (or 房屋用途) cell says the dwelling is empty rather than naming a person:
/// offices merge 无人居住 or 空置 across a vacant house's person columns.
pub fn is_vacancy(s: &str) -> bool {
    matches!(
        key(s).as_str(),
        "无人居住"
            | "无人"
            | "暂无人居住"
            | "无人住"
            | "空置"
            | "空房"
            | "空置房"
            | "空户"
            | "闲置"
            | "房屋空置"
            | "空置户"
            | "无住户"
    )
}

/// 特殊人群: several, separated by 、 , ， ; ； / or spaces. 无 and — are none.
///
/// The words map onto the core's special groups and nothing else: the source of this table is
/// `SpecialGroup` in `core/src/records/household.rs` with its terms in the message catalogue
/// (`special_group.*`: 独居老人, 残疾人, 低保户, 退役军人, 留守儿童). A word is mapped only when
/// it means exactly one of those groups:
///
/// | word | group | why |
/// | --- | --- | --- |
/// | 独居, 独居老人, 空巢独居, 孤寡老人 | 独居老人 | an elderly person who lives alone |
/// | 空巢老人, 空巢 | none: unknown | 空巢 is elderly whose children left; most live with a spouse, and 独居老人 would raise the elderly-living-alone finding for them |
/// | 留守儿童, 农村留守儿童 | 留守儿童 | |
/// | 留守, 留守人员 | none: unknown | could be a child, an elderly person or a woman |
/// | 留守老人, 留守妇女 | none: unknown | the core has no such group |
///
/// An unknown word is a field problem: the person is imported, this field is left as it was.
pub fn tags(s: &str) -> Result<BTreeSet<SpecialGroup>, Message> {
    let mut out = BTreeSet::new();
    for t in s.split(['、', ',', '，', ';', '；', '/', ' ', '　']) {
        let tag = match key(t).as_str() {
            "" | "无" | "-" | "—" | "否" => continue,
            "独居老人" | "独居" | "空巢独居" | "独居老年人" | "孤寡老人" | "elderly_alone" => {
                SpecialGroup::ElderlyAlone
            }
            "残疾人" | "残疾" | "残障" | "disabled" => SpecialGroup::Disabled,
            "低保户" | "低保" | "低保对象" | "low_income" => SpecialGroup::LowIncome,
            "退役军人" | "退伍军人" | "军人" | "veteran" => SpecialGroup::Veteran,
            "留守儿童" | "农村留守儿童" | "left_behind_child" => {
                SpecialGroup::LeftBehindChild
            }
            _ => {
                return Err(unknown("tags", t, &SPECIAL_GROUPS));
            }
        };
        out.insert(tag);
    }
    Ok(out)
}

/// 走访目的 (visit purpose). Empty is 日常走访.
pub fn visit_purpose(s: &str) -> Result<VisitPurpose, Message> {
    Ok(match key(s).as_str() {
        "" | "日常走访" | "日常" | "走访" | "routine" => VisitPurpose::Routine,
        "信息核实" | "核实" | "核查" | "verification" => VisitPurpose::Verification,
        "关怀" | "慰问" | "关爱" | "care" => VisitPurpose::Care,
        "矛盾调解" | "调解" | "mediation" => VisitPurpose::Mediation,
        _ => {
            return Err(unknown(
                "visit_purpose",
                s,
                &["日常走访", "信息核实", "关怀", "矛盾调解"],
            ));
        }
    })
}

/// The Chinese words exports write for a visit purpose (what [`visit_purpose`] reads back).
pub fn visit_purpose_zh(v: &VisitPurpose) -> String {
    match v {
        VisitPurpose::Routine => "日常走访".into(),
        VisitPurpose::Verification => "信息核实".into(),
        VisitPurpose::Care => "关怀".into(),
        VisitPurpose::Mediation => "矛盾调解".into(),
        VisitPurpose::Other(code) => code.clone(),
    }
}

/// The Chinese word exports write for a house use (what [`house_use`] reads back).
pub fn house_use_zh(v: &HouseUse) -> String {
    zh("house_use", v.as_str())
}

/// The Chinese word exports write for a relation.
pub fn relation_zh(v: &Relation) -> String {
    zh("relation", v.as_str())
}

/// The Chinese word exports write for a registration.
pub fn registration_zh(v: &Registration) -> String {
    zh("registration", v.as_str())
}

/// The Chinese words exports write for special groups, joined by 、.
pub fn tags_zh(v: &BTreeSet<SpecialGroup>) -> String {
    v.iter()
        .map(|t| zh("special_group", t.as_str()))
        .collect::<Vec<_>>()
        .join("、")
}

fn zh(prefix: &str, code: &str) -> String {
    gridwalk_core::messages::term(prefix, code, gridwalk_core::messages::Lang::ZhCn)
}
