//! Process-wide counters and histograms for `GET /metrics` (Prometheus text format): HTTP
//! requests, block calls, finished runs, records written, and model tokens and cost.
//!
//! A leaf of the crate: the runtime, the engine, the store and the API count into it, so it
//! uses nothing of theirs and takes its labels as plain strings. What is read at scrape time
//! (jobs by status, the LLM gateway's counters, the database pools) is not kept here: the
//! API reads it from its owners ([`Telemetry::registry`] is the starting point it adds to).
//!
//! One set per process ([`telemetry`]): a server and its block calls share it without every
//! constructor carrying a handle, and a process serves one `/metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Label pairs of one series.
pub type Labels = Vec<(String, String)>;

/// A histogram family whose histograms share one bucket layout.
pub type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// The process's counters and histograms.
pub struct Telemetry {
    http_requests: Family<Labels, Counter>,
    http_duration: Histograms,
    block_calls: Family<Labels, Counter>,
    block_failures: Family<Labels, Counter>,
    block_duration: Histograms,
    runs_finished: Family<Labels, Counter>,
    records_written: Counter,
    llm_tokens: Family<Labels, Counter>,
    llm_cost: Family<Labels, Counter<f64, std::sync::atomic::AtomicU64>>,
}

/// Request latency buckets: 1 ms to about 33 s, doubling.
fn http_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Block call buckets: 0.5 ms to about 4.5 minutes, doubling.
fn block_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 20))
}

/// The process's telemetry.
pub fn telemetry() -> &'static Telemetry {
    static TELEMETRY: OnceLock<Telemetry> = OnceLock::new();
    TELEMETRY.get_or_init(|| Telemetry {
        http_requests: Family::default(),
        http_duration: Family::new_with_constructor(http_buckets),
        block_calls: Family::default(),
        block_failures: Family::default(),
        block_duration: Family::new_with_constructor(block_buckets),
        runs_finished: Family::default(),
        records_written: Counter::default(),
        llm_tokens: Family::default(),
        llm_cost: Family::default(),
    })
}

/// Labels from `(name, value)` pairs.
pub fn labels<const N: usize>(pairs: [(&str, &str); N]) -> Labels {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

impl Telemetry {
    /// One answered HTTP request: its method, the route template it matched (not the path,
    /// so ids do not make a series each), its status and how long it took.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let status = status.to_string();
        self.http_requests
            .get_or_create(&labels([
                ("method", method),
                ("route", route),
                ("status", &status),
            ]))
            .inc();
        self.http_duration
            .get_or_create(&labels([("method", method), ("route", route)]))
            .observe(took.as_secs_f64());
    }

    /// One block call of `block_type` that took `took`; `failure` names its failure kind when
    /// it failed.
    pub fn block_call(&self, block_type: &str, failure: Option<&str>, took: Duration) {
        let block = labels([("block_type", block_type)]);
        self.block_calls.get_or_create(&block).inc();
        self.block_duration
            .get_or_create(&block)
            .observe(took.as_secs_f64());
        if let Some(kind) = failure {
            self.block_failures
                .get_or_create(&labels([("block_type", block_type), ("kind", kind)]))
                .inc();
        }
    }

    /// One run that ended with `status` (`completed` or `failed`).
    pub fn run_finished(&self, status: &str) {
        self.runs_finished
            .get_or_create(&labels([("status", status)]))
            .inc();
    }

    /// `count` more records stored.
    pub fn records_written(&self, count: u64) {
        self.records_written.inc_by(count);
    }

    /// What one model call used: tokens by kind and its priced cost, under the model that
    /// answered.
    pub fn llm_usage(&self, model: &str, input: u64, output: u64, cached: u64, cost_usd: f64) {
        for (kind, tokens) in [("input", input), ("output", output), ("cached", cached)] {
            self.llm_tokens
                .get_or_create(&labels([("model", model), ("kind", kind)]))
                .inc_by(tokens);
        }
        self.llm_cost
            .get_or_create(&labels([("model", model)]))
            .inc_by(cost_usd);
    }

    /// A registry holding this process's series (sharing their values, not copies), with
    /// the `blockforge` prefix; a scrape adds what it reads at that time and encodes it.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::with_prefix("blockforge");
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            self.http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route template",
            self.http_duration.clone(),
        );
        registry.register(
            "block_calls",
            "Block calls made, by block type",
            self.block_calls.clone(),
        );
        registry.register(
            "block_failures",
            "Block calls that failed, by block type and failure kind",
            self.block_failures.clone(),
        );
        registry.register(
            "block_call_duration_seconds",
            "Wall-clock time of block calls, by block type",
            self.block_duration.clone(),
        );
        registry.register(
            "runs_finished",
            "Runs that ended, by status (completed or failed); its rate is runs per second",
            self.runs_finished.clone(),
        );
        registry.register(
            "records_written",
            "Records stored by this process",
            self.records_written.clone(),
        );
        registry.register(
            "llm_tokens",
            "Tokens used by model calls, by model and kind (input, output, cached)",
            self.llm_tokens.clone(),
        );
        registry.register(
            "llm_cost_usd",
            "Priced cost of model calls in US dollars, by model (unpriced calls add nothing)",
            self.llm_cost.clone(),
        );
        registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_counted_under_their_labels_and_shown_with_the_prefix() {
        let telemetry = telemetry();
        telemetry.block_call("UnitTestBlock", Some("panic"), Duration::from_millis(3));
        telemetry.http_request("GET", "/api/jobs/{id}", 200, Duration::from_millis(2));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &telemetry.registry())
            .expect("encodes");
        assert!(
            text.contains(
                r#"blockforge_block_failures_total{block_type="UnitTestBlock",kind="panic"} "#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"blockforge_http_requests_total{method="GET",route="/api/jobs/{id}",status="200"} "#),
            "{text}"
        );
        assert!(text.contains("blockforge_block_call_duration_seconds_bucket{"));
    }
}
