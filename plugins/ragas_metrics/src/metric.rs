//! The four RAGAS metrics the block computes, their names and the inputs each needs.

use std::fmt;

/// One RAGAS metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Share of the answer's statements that the contexts support.
    Faithfulness,
    /// How well questions written back from the answer match the question (embeddings).
    AnswerRelevancy,
    /// Average precision of the contexts, each judged useful or not for the reference answer.
    ContextPrecision,
    /// Share of the reference answer's statements that the contexts support.
    ContextRecall,
}

/// Every metric, in the order DataGenFlow lists them.
pub const ALL: [Metric; 4] = [
    Metric::AnswerRelevancy,
    Metric::ContextPrecision,
    Metric::ContextRecall,
    Metric::Faithfulness,
];

/// An input a metric reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The question.
    Question,
    /// The answer being evaluated.
    Answer,
    /// The retrieved passages.
    Contexts,
    /// The expected (reference) answer.
    GroundTruth,
}

impl Input {
    /// Its name in messages (DataGenFlow's).
    pub fn name(self) -> &'static str {
        match self {
            Input::Question => "question",
            Input::Answer => "answer",
            Input::Contexts => "contexts",
            Input::GroundTruth => "ground_truth",
        }
    }
}

impl Metric {
    /// The metric's name in config and output.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Faithfulness => "faithfulness",
            Metric::AnswerRelevancy => "answer_relevancy",
            Metric::ContextPrecision => "context_precision",
            Metric::ContextRecall => "context_recall",
        }
    }

    /// The metric named `name`.
    pub fn from_name(name: &str) -> Option<Metric> {
        ALL.into_iter().find(|m| m.name() == name)
    }

    /// The inputs the metric cannot be computed without (DataGenFlow's requirements).
    pub fn requires(self) -> &'static [Input] {
        match self {
            Metric::AnswerRelevancy => &[Input::Question, Input::Answer],
            Metric::ContextPrecision | Metric::ContextRecall => {
                &[Input::Question, Input::Contexts, Input::GroundTruth]
            }
            Metric::Faithfulness => &[Input::Question, Input::Answer, Input::Contexts],
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The metrics named in `names`, in order, without repeats; an error naming an unknown one.
pub fn parse_list(names: &[String]) -> Result<Vec<Metric>, String> {
    let mut metrics = Vec::new();
    for name in names {
        let metric = Metric::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = ALL.iter().map(|m| m.name()).collect();
            format!("unknown metric {name:?}; available: {}", known.join(", "))
        })?;
        if !metrics.contains(&metric) {
            metrics.push(metric);
        }
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for metric in ALL {
            assert_eq!(Metric::from_name(metric.name()), Some(metric));
        }
        let names = ["faithfulness", "context_recall", "faithfulness"].map(String::from);
        assert_eq!(
            parse_list(&names).unwrap(),
            [Metric::Faithfulness, Metric::ContextRecall]
        );
        let error = parse_list(&["faithfullness".to_owned()]).unwrap_err();
        assert!(
            error.contains("faithfullness") && error.contains("answer_relevancy"),
            "{error}"
        );
    }
}
