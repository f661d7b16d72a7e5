//! Process-wide counters and limits per model config, behind `GET /api/metrics`.
//!
//! A model config (a registered model, a provider prefix route, or the environment's
//! endpoints) has one [`ModelState`]: its concurrency limiter, its rate buckets and its
//! counters. States are kept by kind and name across rereads of the registry, so the limits
//! stay shared by every job and block, and the numbers keep counting, when the routes are
//! rebuilt.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::LlmErrorKind;
use super::limiter::{ConcurrencyLimiter, LimiterSnapshot};
use super::rate::TokenBucket;

/// The limits of one model config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelLimits {
    /// Requests in flight at once (the adaptive limit's maximum).
    pub max_concurrency: usize,
    /// Requests per minute, if limited.
    pub rpm: Option<u64>,
    /// Tokens (input + output) per minute, if limited.
    pub tpm: Option<u64>,
}

/// The failure kinds counted, in the order the metrics list them.
const FAILURE_KINDS: [LlmErrorKind; 6] = [
    LlmErrorKind::BadRequest,
    LlmErrorKind::RateLimited,
    LlmErrorKind::Unavailable,
    LlmErrorKind::Timeout,
    LlmErrorKind::InvalidResponse,
    LlmErrorKind::Denied,
];

fn kind_index(kind: LlmErrorKind) -> usize {
    FAILURE_KINDS.iter().position(|k| *k == kind).unwrap_or(0)
}

/// The rate buckets of a config (replaced whole when its limits change).
#[derive(Default)]
pub struct RateBuckets {
    /// Requests per minute.
    pub requests: Option<Arc<TokenBucket>>,
    /// Tokens per minute.
    pub tokens: Option<Arc<TokenBucket>>,
}

/// The limits and counters of one model config.
pub struct ModelState {
    kind: String,
    name: String,
    provider: Mutex<String>,
    /// Requests in flight.
    pub limiter: ConcurrencyLimiter,
    rates: RwLock<Arc<RateBuckets>>,
    requests: AtomicU64,
    attempts: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    wait_us: AtomicU64,
    failures: [AtomicU64; FAILURE_KINDS.len()],
}

impl ModelState {
    /// A state with `limits`, counted under `kind`/`name`.
    pub fn new(kind: &str, name: &str, provider: &str, limits: ModelLimits) -> Self {
        let state = ModelState {
            kind: kind.to_owned(),
            name: name.to_owned(),
            provider: Mutex::new(provider.to_owned()),
            limiter: ConcurrencyLimiter::new(limits.max_concurrency),
            rates: RwLock::new(Arc::new(RateBuckets::default())),
            requests: AtomicU64::new(0),
            attempts: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            wait_us: AtomicU64::new(0),
            failures: Default::default(),
        };
        state.configure(provider, limits);
        state
    }

    /// Applies a (possibly changed) config: its provider and limits. Unchanged limits keep
    /// their state (in flight, adaptive limit, bucket levels).
    pub fn configure(&self, provider: &str, limits: ModelLimits) {
        *self.provider.lock().unwrap_or_else(|p| p.into_inner()) = provider.to_owned();
        self.limiter.set_max(limits.max_concurrency);
        let current = self.rates();
        let same = |bucket: &Option<Arc<TokenBucket>>, wanted: Option<u64>| {
            bucket.as_ref().map(|b| b.rate()) == wanted
        };
        if same(&current.requests, limits.rpm) && same(&current.tokens, limits.tpm) {
            return;
        }
        let bucket = |rate: Option<u64>| rate.map(|r| Arc::new(TokenBucket::per_minute(r)));
        *self.rates.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(RateBuckets {
            requests: bucket(limits.rpm),
            tokens: bucket(limits.tpm),
        });
    }

    /// The rate buckets in force.
    pub fn rates(&self) -> Arc<RateBuckets> {
        self.rates.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// One more request (a call of a block).
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// One more HTTP attempt; `retry` when it is not the request's first.
    pub fn count_attempt(&self, retry: bool) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if retry {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One more 429 answer.
    pub fn count_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Time spent waiting (slots, rate limits, backoff).
    pub fn count_wait(&self, waited: Duration) {
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.wait_us.fetch_add(micros, Ordering::Relaxed);
    }

    /// A request that failed for good.
    pub fn count_failure(&self, kind: LlmErrorKind) {
        self.failures[kind_index(kind)].fetch_add(1, Ordering::Relaxed);
    }

    /// The config's name (a registered name, `env`, or `env:<provider>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The counters and limits now, as `GET /api/metrics` shows them.
    pub fn snapshot(&self) -> ModelMetrics {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let mut failures = Map::new();
        for (kind, count) in FAILURE_KINDS.iter().zip(&self.failures) {
            failures.insert(
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                json!(load(count)),
            );
        }
        let rates = self.rates();
        ModelMetrics {
            kind: self.kind.clone(),
            name: self.name.clone(),
            provider: self
                .provider
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            requests: load(&self.requests),
            attempts: load(&self.attempts),
            retries: load(&self.retries),
            rate_limited: load(&self.rate_limited),
            failures: Value::Object(failures),
            wait_ms_total: load(&self.wait_us) / 1000,
            rpm: rates.requests.as_ref().map(|b| b.rate()),
            tpm: rates.tokens.as_ref().map(|b| b.rate()),
            limiter: self.limiter.snapshot(),
        }
    }
}

/// One model config's numbers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelMetrics {
    /// `llm` or `embedding`.
    pub kind: String,
    /// The config's name (a registered name, `env`, or `env:<provider>` for a prefix route).
    pub name: String,
    /// Its provider.
    pub provider: String,
    /// Calls made (one per block request, whatever its attempts).
    pub requests: u64,
    /// HTTP requests sent.
    pub attempts: u64,
    /// Attempts after a call's first.
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Calls that failed for good, by kind.
    #[schema(value_type = std::collections::BTreeMap<String, u64>)]
    pub failures: Value,
    /// Time calls spent waiting for slots, rate limits and backoff, in ms.
    pub wait_ms_total: u64,
    /// Requests per minute allowed (null: unlimited).
    pub rpm: Option<u64>,
    /// Tokens per minute allowed (null: unlimited).
    pub tpm: Option<u64>,
    /// Concurrency now.
    #[serde(flatten)]
    pub limiter: LimiterSnapshot,
}

/// Every model config's state, by kind and name.
#[derive(Default)]
pub struct Metrics {
    models: Mutex<BTreeMap<(String, String), Arc<ModelState>>>,
}

impl Metrics {
    /// The state of `kind`/`name`, created or reconfigured with `provider` and `limits`.
    pub fn model(
        &self,
        kind: &str,
        name: &str,
        provider: &str,
        limits: ModelLimits,
    ) -> Arc<ModelState> {
        let mut models = self.models.lock().unwrap_or_else(|p| p.into_inner());
        let key = (kind.to_owned(), name.to_owned());
        if let Some(state) = models.get(&key) {
            state.configure(provider, limits);
            return state.clone();
        }
        let state = Arc::new(ModelState::new(kind, name, provider, limits));
        models.insert(key, state.clone());
        state
    }

    /// Every config's numbers, by kind and name.
    pub fn snapshot(&self) -> Vec<ModelMetrics> {
        let models = self.models.lock().unwrap_or_else(|p| p.into_inner());
        models.values().map(|state| state.snapshot()).collect()
    }
}
