//! [`SchemaSummary`]: the fields of a version's rows and the JSON types seen in each, counted
//! row by row as the rows stream past.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Row;

/// The fields of a set of rows, in the order they were first seen, with how many rows held
/// each JSON type in them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SchemaSummary {
    /// Every field, in first-seen order.
    pub fields: Vec<FieldSummary>,
}

/// What one field held.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldSummary {
    /// The field's name.
    pub name: String,
    /// JSON type (`string`, `integer`, `number`, `boolean`, `object`, `array`, `null`) → rows
    /// that held it.
    pub types: BTreeMap<String, u64>,
}

impl FieldSummary {
    /// The one non-null type the field held, if it held only one (nulls aside).
    pub fn single_type(&self) -> Option<&str> {
        let mut types = self.types.keys().filter(|t| t.as_str() != "null");
        let first = types.next()?;
        types.next().is_none().then_some(first.as_str())
    }
}

/// The type name of `value` in a summary: integers are told apart from other numbers, since
/// Parquet and the Hub's card need them apart.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl SchemaSummary {
    /// Counts one row.
    pub fn add(&mut self, row: &Row) {
        for (name, value) in row {
            // Rows have a handful of fields: a scan beats a map here.
            let index = match self.fields.iter().position(|f| &f.name == name) {
                Some(index) => index,
                None => {
                    self.fields.push(FieldSummary {
                        name: name.clone(),
                        types: BTreeMap::new(),
                    });
                    self.fields.len() - 1
                }
            };
            *self.fields[index]
                .types
                .entry(type_name(value).to_owned())
                .or_insert(0) += 1;
        }
    }

    /// Uncounts one row counted before (an edited row's old value).
    pub fn remove(&mut self, row: &Row) {
        for (name, value) in row {
            if let Some(field) = self.fields.iter_mut().find(|f| &f.name == name)
                && let Some(count) = field.types.get_mut(type_name(value))
            {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    field.types.remove(type_name(value));
                }
            }
        }
        self.fields.retain(|f| !f.types.is_empty());
    }

    /// The summary of one field.
    pub fn field(&self, name: &str) -> Option<&FieldSummary> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_keep_their_order_and_count_each_type() {
        let mut summary = SchemaSummary::default();
        for row in [
            json!({"b": 1, "a": "x"}),
            json!({"b": 1.5, "a": null}),
            json!({"c": [1]}),
        ] {
            summary.add(row.as_object().unwrap());
        }
        let names: Vec<&str> = summary.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "c"]);
        let b = summary.field("b").unwrap();
        assert_eq!(b.types["integer"], 1);
        assert_eq!(b.types["number"], 1);
        assert_eq!(b.single_type(), None);
        assert_eq!(summary.field("a").unwrap().single_type(), Some("string"));
        summary.remove(json!({"c": [1], "b": 1}).as_object().unwrap());
        assert!(summary.field("c").is_none());
        assert_eq!(summary.field("b").unwrap().single_type(), Some("number"));
    }
}
