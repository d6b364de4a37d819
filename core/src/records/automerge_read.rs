//! Small helpers for reading typed values out of automerge maps, and for telling when two
//! offline edits of one field conflict.

use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, Value};

/// The string at `key`, if there is one (the winning value when edits conflict).
pub fn string(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The integer at `key`.
pub fn int(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<i64> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Int(i) => Some(*i),
            ScalarValue::Uint(u) => i64::try_from(*u).ok(),
            ScalarValue::Timestamp(t) => Some(*t),
            _ => None,
        },
        _ => None,
    }
}

/// The float at `key`.
pub fn float(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<f64> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::F64(f) => Some(*f),
            ScalarValue::Int(i) => Some(*i as f64),
            _ => None,
        },
        _ => None,
    }
}

/// The boolean at `key`.
pub fn boolean(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Option<bool> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Boolean(b) => Some(*b),
            _ => None,
        },
        _ => None,
    }
}

/// The child object at `key` if it is of the expected type.
pub fn object(doc: &impl ReadDoc, obj: &ObjId, key: &str, expected: ObjType) -> Option<ObjId> {
    match doc.get(obj, key).ok()?? {
        (Value::Object(t), id) if t == expected => Some(id),
        _ => None,
    }
}

/// The maps of the list at `key` of `obj`, in list order (a record's visits, reviews, events,
/// finding marks); empty when there is no such list. Items that are not maps are skipped.
pub fn list_of_maps(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Vec<ObjId> {
    let Some(list) = object(doc, obj, key, ObjType::List) else {
        return Vec::new();
    };
    doc.list_range(&list, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Object(ObjType::Map) => Some(item.id()),
            _ => None,
        })
        .collect()
}

/// Every distinct value two or more concurrent edits left at `key`, as display text; empty
/// when there is no conflict. Two replicas writing the same value is agreement, not conflict.
pub fn conflicting_values(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Vec<String> {
    let Ok(all) = doc.get_all(obj, key) else {
        return Vec::new();
    };
    if all.len() < 2 {
        return Vec::new();
    }
    let mut values: Vec<String> = all
        .into_iter()
        .map(|(v, _)| match v {
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(s) => s.to_string(),
                ScalarValue::Null => String::new(),
                other => other.to_string(),
            },
            Value::Object(t) => format!("<{t}>"),
        })
        .collect();
    values.sort();
    values.dedup();
    if values.len() < 2 { Vec::new() } else { values }
}
