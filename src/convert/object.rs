//! Small edits on JSON objects that keep the order of keys, so that converted resources read
//! like the user's own.

use serde_json::{Map, Value};

/// The object of `entries`, in order. Unlike `json!`, which copies every `Value` or `Map` it
/// is given through serde, it moves them in.
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect(),
    )
}

/// Inserts `key` right after `after` (or at the end when `after` is missing); replaces the
/// value in place when `key` already exists.
pub fn insert_after(map: &mut Map<String, Value>, after: &str, key: &str, value: Value) {
    if let Some(slot) = map.get_mut(key) {
        *slot = value;
        return;
    }
    match map.keys().position(|k| k == after) {
        Some(position) => {
            map.shift_insert(position + 1, key.to_owned(), value);
        }
        None => {
            map.insert(key.to_owned(), value);
        }
    }
}

/// Inserts `key` as the first entry; replaces the value in place when it already exists.
pub fn insert_first(map: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(slot) = map.get_mut(key) {
        *slot = value;
        return;
    }
    map.shift_insert(0, key.to_owned(), value);
}

/// Removes `key` keeping the order of the other keys.
pub fn remove(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    // Most keys asked for are absent: finding that out needs no hashing on a small object.
    crate::load::field(map, key)?;
    map.shift_remove(key)
}

/// The object at `pointer`, created (as empty objects) where missing.
pub fn object_at<'v>(value: &'v mut Value, keys: &[&str]) -> Option<&'v mut Map<String, Value>> {
    let mut current = value;
    for key in keys {
        let map = current.as_object_mut()?;
        if !map.contains_key(*key) {
            map.insert((*key).to_owned(), Value::Object(Map::new()));
        }
        current = map.get_mut(*key)?;
    }
    current.as_object_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_order() {
        let mut value = json!({"a": 1, "b": 2, "c": 3});
        let map = value.as_object_mut().unwrap();
        insert_after(map, "a", "x", json!(0));
        insert_first(map, "name", json!("n"));
        remove(map, "b");
        let keys: Vec<&String> = map.keys().collect();
        assert_eq!(keys, ["name", "a", "x", "c"]);
    }
}
