//! Optional minimum and maximum per readability figure.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::metrics::Figures;

/// Inclusive bounds of one figure; either may be left out.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Lowest value allowed.
    pub min: Option<f64>,
    /// Highest value allowed.
    pub max: Option<f64>,
}

/// Bounds per figure; a figure left out is not checked.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Bounds {
    /// Flesch reading ease (higher is easier).
    pub flesch_reading_ease: Option<Range>,
    /// Flesch–Kincaid grade (a US school grade).
    pub flesch_kincaid_grade: Option<Range>,
    /// Gunning fog index (years of schooling).
    pub gunning_fog: Option<Range>,
    /// SMOG index (0 for texts under three sentences).
    pub smog_index: Option<Range>,
    /// Coleman–Liau index (a US school grade).
    pub coleman_liau_index: Option<Range>,
}

impl Bounds {
    /// The figures whose `min` is above their `max` (no text could pass them), described;
    /// `Ok` when every range can be met.
    pub fn check(&self) -> Result<(), String> {
        let named = [
            ("flesch_reading_ease", self.flesch_reading_ease),
            ("flesch_kincaid_grade", self.flesch_kincaid_grade),
            ("gunning_fog", self.gunning_fog),
            ("smog_index", self.smog_index),
            ("coleman_liau_index", self.coleman_liau_index),
        ];
        let empty: Vec<String> = named
            .into_iter()
            .filter_map(|(name, range)| match range? {
                Range {
                    min: Some(min),
                    max: Some(max),
                } if min > max => Some(format!("{name}: min {min} is above max {max}")),
                _ => None,
            })
            .collect();
        if empty.is_empty() {
            Ok(())
        } else {
            Err(format!("thresholds no text can meet: {}", empty.join("; ")))
        }
    }

    /// The bounds each figure breaks, described (`"gunning_fog 14.2 above max 12"`); empty when
    /// every figure is within its bounds.
    pub fn failures(&self, figures: &Figures) -> Vec<String> {
        let ranges = [
            self.flesch_reading_ease,
            self.flesch_kincaid_grade,
            self.gunning_fog,
            self.smog_index,
            self.coleman_liau_index,
        ];
        let mut failures = Vec::new();
        for ((name, value), range) in figures.named().into_iter().zip(ranges) {
            let Some(range) = range else { continue };
            if let Some(min) = range.min.filter(|&min| value < min) {
                failures.push(format!("{name} {value:.2} below min {min}"));
            }
            if let Some(max) = range.max.filter(|&max| value > max) {
                failures.push(format!("{name} {value:.2} above max {max}"));
            }
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Figures {
        Figures {
            flesch_reading_ease: 65.0,
            flesch_kincaid_grade: 8.0,
            gunning_fog: 10.0,
            smog_index: 9.0,
            coleman_liau_index: 7.5,
        }
    }

    #[test]
    fn a_min_above_its_max_is_refused() {
        let bounds: Bounds = serde_json::from_value(serde_json::json!({
            "gunning_fog": {"min": 12, "max": 8},
            "smog_index": {"min": 5, "max": 5},
            "flesch_reading_ease": {"min": 90}
        }))
        .unwrap();
        assert_eq!(
            bounds.check(),
            Err("thresholds no text can meet: gunning_fog: min 12 is above max 8".to_owned())
        );
        assert_eq!(Bounds::default().check(), Ok(()));
    }

    #[test]
    fn no_bounds_pass_everything() {
        assert!(Bounds::default().failures(&figures()).is_empty());
    }

    #[test]
    fn each_bound_is_checked_inclusively() {
        let bounds: Bounds = serde_json::from_value(serde_json::json!({
            "flesch_reading_ease": {"min": 65},
            "flesch_kincaid_grade": {"max": 7},
            "coleman_liau_index": {"min": 8, "max": 12}
        }))
        .expect("bounds");
        assert_eq!(
            bounds.failures(&figures()),
            [
                "flesch_kincaid_grade 8.00 above max 7",
                "coleman_liau_index 7.50 below min 8"
            ]
        );
    }

    #[test]
    fn an_unknown_figure_is_refused() {
        let error = serde_json::from_value::<Bounds>(serde_json::json!({"fog": {"max": 1}}))
            .expect_err("unknown key");
        assert!(error.to_string().contains("unknown field `fog`"), "{error}");
    }
}
