//! StructureSampler's config as the sampler needs it: each json-or-template value resolved
//! against the state and checked.

use augment_support::json_or_template::{
    Presence, Render, lists_by_name, positive_integer, resolve, string_list,
};
use augment_support::records::required_list_in;
use blockforge_sdk::BlockError;
use serde_json::{Map, Value};

use crate::sampler::Spec;

/// Most skeletons one call makes: each carries its hints, and each becomes at least one model
/// call downstream; a bigger `target_count` is a mistake to report, not memory to exhaust.
pub const MAX_TARGET_COUNT: u64 = 10_000;

/// The config values as written (json-or-template).
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// `target_count`.
    pub target_count: &'a Value,
    /// `categorical_fields`.
    pub categorical_fields: &'a Value,
    /// `numeric_fields`.
    pub numeric_fields: &'a Value,
    /// `dependencies`.
    pub dependencies: &'a Value,
}

/// The sampling spec and the number of skeletons, read against `state`.
pub fn read(
    written: Written<'_>,
    state: &Map<String, Value>,
    render: &impl Render,
) -> Result<(Spec, usize), BlockError> {
    let required = |value: &Value, field: &str| {
        resolve(value, field, Presence::Required, state, render)?
            .ok_or_else(|| BlockError::invalid_config(format!("{field} is required")))
    };
    let count = positive_integer(
        &required(written.target_count, "target_count")?,
        "target_count",
    )?;
    if count > MAX_TARGET_COUNT {
        return Err(BlockError::invalid_input(format!(
            "target_count is {count}, above the limit of {MAX_TARGET_COUNT} skeletons per call: use more seeds or repetitions"
        )));
    }
    let categorical = string_list(
        &required(written.categorical_fields, "categorical_fields")?,
        "categorical_fields",
    )?;
    let numeric = match resolve(
        written.numeric_fields,
        "numeric_fields",
        Presence::Optional,
        state,
        render,
    )? {
        Some(value) => string_list(&value, "numeric_fields")?,
        None => Vec::new(),
    };
    let dependencies = match resolve(
        written.dependencies,
        "dependencies",
        Presence::Optional,
        state,
        render,
    )? {
        Some(value) => lists_by_name(&value, "dependencies")?,
        None => Vec::new(),
    };
    let spec = Spec {
        categorical,
        numeric,
        dependencies,
    };
    Ok((spec, count as usize))
}

/// The seed's `samples`: a non-empty list of records.
pub fn samples(state: &Map<String, Value>) -> Result<Vec<Map<String, Value>>, BlockError> {
    required_list_in(
        state,
        "samples",
        "add a `samples` list of example records to the seed's metadata",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Renders text without Jinja as it is, and refuses the rest: the templates these tests
    /// use are bare variables, which are read from the state without rendering.
    fn no_render(source: &str, _: &Map<String, Value>) -> Result<String, BlockError> {
        if source.contains("{{") {
            return Err(BlockError::invalid_config(format!("undefined: {source}")));
        }
        Ok(source.to_owned())
    }

    fn state() -> Map<String, Value> {
        json!({
            "target_count": 20, "categorical_fields": ["plan", "role"],
            "numeric_fields": ["storage"], "dependencies": {"role": ["plan"]},
            "samples": [{"plan": "Free"}]
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    #[test]
    fn datagenflow_template_values_read_from_the_state() {
        let t = |s: &str| json!(s);
        let (count, cat, num, dep) = (
            t("{{ target_count }}"),
            t("{{ categorical_fields }}"),
            t("{{ numeric_fields }}"),
            t("{{ dependencies }}"),
        );
        let written = Written {
            target_count: &count,
            categorical_fields: &cat,
            numeric_fields: &num,
            dependencies: &dep,
        };
        let (spec, n) = read(written, &state(), &no_render).unwrap();
        assert_eq!(n, 20);
        assert_eq!(spec.categorical, ["plan", "role"]);
        assert_eq!(spec.numeric, ["storage"]);
        assert_eq!(
            spec.dependencies,
            vec![("role".to_owned(), vec!["plan".to_owned()])]
        );

        // Optional fields the seed leaves out are empty.
        let mut partial = state();
        partial.remove("numeric_fields");
        partial.remove("dependencies");
        let (spec, _) = read(written, &partial, &no_render).unwrap();
        assert!(spec.numeric.is_empty() && spec.dependencies.is_empty());
    }

    #[test]
    fn bad_counts_are_refused_with_the_number() {
        let cat = json!(["plan"]);
        let empty = Value::Null;
        for (count, message) in [
            (json!(0), "positive integer"),
            (json!("twenty"), "target_count must be valid JSON"),
            (json!("2.5"), "positive integer"),
            (json!(10_001), "above the limit of 10000"),
        ] {
            let written = Written {
                target_count: &count,
                categorical_fields: &cat,
                numeric_fields: &empty,
                dependencies: &empty,
            };
            let err = read(written, &state(), &no_render).unwrap_err();
            assert!(err.message.contains(message), "{count}: {}", err.message);
        }
    }

    #[test]
    fn samples_must_be_a_non_empty_list_of_records() {
        assert_eq!(samples(&state()).unwrap().len(), 1);
        for bad in [
            json!({}),
            json!({"samples": []}),
            json!({"samples": "x"}),
            json!({"samples": [1]}),
        ] {
            assert!(samples(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }
}
