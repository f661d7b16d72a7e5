//! [`Feature`]: the nested type of a field, inferred from rows (the Hub card's `features`, and
//! the columns of a Parquet export). Scalars take the widest type seen (an integer field with
//! one float becomes a float; anything mixed with text becomes text); lists and objects are
//! typed by what they hold.

use serde_json::{Map, Value, json};

use super::Row;

/// A field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    /// Only nulls seen.
    Null,
    /// `true`/`false`.
    Bool,
    /// Whole numbers.
    Int,
    /// Numbers.
    Float,
    /// Text (and anything that mixes types: written as its JSON text).
    Text,
    /// A list of one type.
    List(Box<Feature>),
    /// An object with these fields, in first-seen order.
    Struct(Vec<(String, Feature)>),
}

impl Feature {
    /// The type of one value.
    pub fn of(value: &Value) -> Feature {
        match value {
            Value::Null => Feature::Null,
            Value::Bool(_) => Feature::Bool,
            Value::Number(n) if n.is_i64() => Feature::Int,
            Value::Number(_) => Feature::Float,
            Value::String(_) => Feature::Text,
            Value::Array(items) => Feature::List(Box::new(
                items
                    .iter()
                    .fold(Feature::Null, |acc, item| acc.merge(Feature::of(item))),
            )),
            Value::Object(map) => Feature::Struct(
                map.iter()
                    .map(|(k, v)| (k.clone(), Feature::of(v)))
                    .collect(),
            ),
        }
    }

    /// The type that holds values of both.
    pub fn merge(self, other: Feature) -> Feature {
        use Feature::*;
        match (self, other) {
            (Null, other) | (other, Null) => other,
            (Int, Float) | (Float, Int) => Float,
            (List(a), List(b)) => List(Box::new(a.merge(*b))),
            (Struct(mut fields), Struct(more)) => {
                for (name, feature) in more {
                    match fields.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, existing)) => {
                            *existing = std::mem::replace(existing, Null).merge(feature)
                        }
                        None => fields.push((name, feature)),
                    }
                }
                Struct(fields)
            }
            (a, b) if a == b => a,
            _ => Text,
        }
    }

    /// The Hub's `dtype` of a scalar.
    fn dtype(&self) -> &'static str {
        match self {
            Feature::Null => "null",
            Feature::Bool => "bool",
            Feature::Int => "int64",
            Feature::Float => "float64",
            _ => "string",
        }
    }

    /// The Hub card's description of a field named `name` (`{name, dtype}`,
    /// `{name, sequence}`, `{name, list: [fields]}`, `{name, struct: [fields]}`).
    pub fn hub_field(&self, name: &str) -> Value {
        let mut field = Map::new();
        field.insert("name".to_owned(), json!(name));
        match self {
            Feature::Struct(fields) => {
                field.insert("struct".to_owned(), hub_fields(fields));
            }
            Feature::List(item) => match item.as_ref() {
                Feature::Struct(fields) => {
                    field.insert("list".to_owned(), hub_fields(fields));
                }
                Feature::List(_) => {
                    field.insert(
                        "sequence".to_owned(),
                        json!({"sequence": item.inner_dtype()}),
                    );
                }
                scalar => {
                    field.insert("sequence".to_owned(), json!(scalar.dtype()));
                }
            },
            scalar => {
                field.insert("dtype".to_owned(), json!(scalar.dtype()));
            }
        }
        Value::Object(field)
    }

    fn inner_dtype(&self) -> &'static str {
        match self {
            Feature::List(item) => item.dtype(),
            other => other.dtype(),
        }
    }
}

fn hub_fields(fields: &[(String, Feature)]) -> Value {
    Value::Array(
        fields
            .iter()
            .map(|(name, feature)| feature.hub_field(name))
            .collect(),
    )
}

/// The fields of a set of rows, in first-seen order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features(pub Vec<(String, Feature)>);

impl Features {
    /// Adds one row's fields.
    pub fn add(&mut self, row: &Row) {
        for (name, value) in row {
            let feature = Feature::of(value);
            match self.0.iter_mut().find(|(n, _)| n == name) {
                Some((_, existing)) => {
                    *existing = std::mem::replace(existing, Feature::Null).merge(feature)
                }
                None => self.0.push((name.clone(), feature)),
            }
        }
    }

    /// The card's `features` list.
    pub fn hub(&self) -> Value {
        hub_fields(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_rows_become_a_list_of_structs_and_mixed_scalars_widen() {
        let mut features = Features::default();
        for row in [
            json!({"messages": [{"role": "user", "content": "a"}], "n": 1, "tags": ["x"], "m": 1}),
            json!({"messages": [{"role": "assistant", "content": "b", "name": "bot"}], "n": 1.5, "tags": [], "m": "one"}),
        ] {
            features.add(row.as_object().unwrap());
        }
        assert_eq!(
            features.hub(),
            json!([
                {"name": "messages", "list": [
                    {"name": "role", "dtype": "string"},
                    {"name": "content", "dtype": "string"},
                    {"name": "name", "dtype": "string"}]},
                {"name": "n", "dtype": "float64"},
                {"name": "tags", "sequence": "string"},
                {"name": "m", "dtype": "string"}
            ])
        );
    }
}
