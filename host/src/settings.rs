//! Configuration from the environment, with DataGenFlow's variable names where they exist.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LLM_ENDPOINT` | `http://localhost:11434/v1` | OpenAI-compatible base URL |
//! | `LLM_API_KEY` | none | bearer token |
//! | `LLM_MODEL` | none | model used when a block names none; with `LLM_ENDPOINT`/`LLM_API_KEY` it seeds the model registry's `default` |
//! | `EMBEDDING_ENDPOINT`, `EMBEDDING_API_KEY` | the LLM ones | embeddings endpoint |
//! | `EMBEDDING_MODEL` | none | default embedding model |
//! | `LLM_MAX_CONCURRENCY` | 32 | requests in flight per model in this process (a registered model's own `max_concurrency` wins); with N workers, the provider's limit ÷ N |
//! | `LLM_RPM`, `LLM_TPM` | none | requests and tokens per minute per model in this process, unless the model sets its own; with N workers, divide by N |
//! | `OLLAMA_API_BASE`, `ANTHROPIC_API_KEY`, `<PROVIDER>_API_BASE`/`_API_KEY` | none | where `<provider>/<model>` names go when no model of that provider is registered |
//! | `LLM_TIMEOUT_SECS` | 120 | time allowed per attempt (a hanging request is abandoned and retried) |
//! | `LLM_MAX_RETRIES` | 6 | retries after 5xx, attempt timeouts, connection errors, non-JSON answers (429s and 503s with `Retry-After` are retried until `LLM_RUN_DEADLINE_SECS`); 0: no retry at all |
//! | `LLM_RUN_DEADLINE_SECS` | 1800 | how long a run may wait for model providers (slots, rate limits, pauses), from its start; that waiting is left out of `BLOCK_TIMEOUT_SECS` |
//! | `PLUGINS_DIR` | `plugins` | folder of user `.wasm` blocks |
//! | `PLUGIN_OVERRIDES` | none | comma-separated builtin block types a plugin may replace (`*` is refused) |
//! | `MAX_CHILDREN_PER_SEED` | 10000 | runs one multiplier call may return for one seed |
//! | `MAX_RUNS_PER_JOB` | 1000000 | runs one job (or `blockforge run`) may plan, multiplier children included |
//! | `MAX_PIPELINE_BLOCKS` | 256 | blocks one pipeline may have (checked at save, `/execute`, `/api/generate`, `accumulated_state_schema`) |
//! | `MAX_STATE_BYTES` | 4194304 (4 MiB) | largest state of one run: a seed, `/execute`'s body, the state after any block |
//! | `MAX_RUN_STATE_BYTES` | 268435456 (256 MiB) | state one run may carry over its steps (the sum of each step's input state, which its trace keeps) |
//! | `MAX_JOB_STATE_BYTES` | 1073741824 (1 GiB) | initial state one job may plan: each seed's state × its repetitions, summed |
//! | `BLOCKFORGE_CACHE_DIR` | `~/.cache/blockforge/components` | compiled components |
//! | `BLOCK_MEMORY_MB` | 256 | linear memory per block call (1 to 4096) unless the plugin's grant says otherwise |
//! | `BLOCK_MEMORY_MAX_MB` | 4 × `BLOCK_MEMORY_MB` (at most 4096) | the most memory a grant may give a call (`BLOCK_MEMORY_MB` to 4096); sizes the instance pool's memory slots; `describe()` runs with it |
//! | `BLOCK_CPU_SECS` | 10 | guest CPU time per block call unless the grant says otherwise |
//! | `BLOCK_CPU_MAX_SECS` | 4 × `BLOCK_CPU_SECS` | the most CPU time a grant may give a call (at least `BLOCK_CPU_SECS`, at most a year) |
//! | `BLOCK_TIMEOUT_SECS` | 300 | wall-clock time per block call, LLM calls included (time queued for a provider left out), unless the grant says otherwise |
//! | `BLOCK_TIMEOUT_MAX_SECS` | 4 × `BLOCK_TIMEOUT_SECS` | the most wall-clock time a grant may give a call (at least `BLOCK_TIMEOUT_SECS`, at most a year) |
//! | `BLOCK_OUTPUT_MB` | 16 | largest output (JSON text) of a block call (1 to 4096) unless the grant says otherwise |
//! | `BLOCK_OUTPUT_MAX_MB` | 4 × `BLOCK_OUTPUT_MB` (at most 4096) | the largest output a grant may allow |
//! | `BLOCK_DESCRIBE_SECS` | 10 | wall-clock time a block's `describe()` may take at load |
//! | `BLOCK_MAX_INSTANCES` | 256 | block instances alive at once |
//! | `HOST`, `PORT` | `127.0.0.1`, 8000 | where `blockforge serve` listens |
//! | `ALLOWED_HOSTS` | none | comma-separated host names the server answers to beside `localhost`, `127.0.0.1`, `[::1]` and `HOST` (`*`: any); other `Host` headers get 421 |
//! | `ALLOWED_ORIGINS` | none | comma-separated origins (`https://ui.example.com`) whose pages may send `POST`/`PUT`/`PATCH`/`DELETE` beside the server's own (`*`: any); other browser origins get 403 |
//! | `HEADER_READ_TIMEOUT_SECS` | 10 | time a client has to send a request's line and headers; then the connection is closed |
//! | `BODY_READ_TIMEOUT_SECS` | 30 | longest pause while a request body is read; then 408 |
//! | `MAX_CONNECTIONS` | 2048 | connections open at once; more wait to be accepted |
//! | `DATABASE_URL` | `sqlite://data/blockforge.db` | SQLite file or `postgres://...` |
//! | `JOB_LEASE_SECS` | 30 | how long a worker holds a run without renewing it |
//! | `JOB_POLL_SECS` | 2 | how often a worker (or a server running jobs) looks for running jobs it does not run yet; new jobs are announced at once, so this only covers a missed announcement and a job a dead worker left |
//! | `API_KEY` | none | when set (or once a named key is made under `/api/settings/api-keys`), `/api` and `/metrics` requests need `Authorization: Bearer <key>` |
//! | `RATE_LIMIT_PER_KEY` | none | requests per API key (`API_KEY` and each named key): `N` per minute, or `N/s`, `N/min`, `N/h`; a burst of N, then one per period ÷ N; over it: 429 with `Retry-After` |
//! | `RATE_LIMIT_PER_ADDRESS` | none | the same per client address, whatever the key (checked before the key) |
//! | `RUN_JOBS` | `true` | `false`: `blockforge serve` only serves the API; `blockforge worker` processes run the jobs |
//! | `MODELS_RELOAD_SECS` | 30 | how often a server or worker rereads the model registry (changes made elsewhere) |
//! | `KV_MAX_KEYS_PER_NAMESPACE` | 1000000 | keys one `kv` namespace (a job's, a pipeline's) may hold |
//! | `KV_MAX_BYTES_PER_NAMESPACE` | 268435456 (256 MiB) | bytes of keys and values one `kv` namespace may hold |
//! | `MAX_DATASET_UPLOAD_BYTES` | 2147483648 (2 GiB) | largest dataset file `POST /api/datasets/{name}/import` and `/api/datasets/preview` take (spooled to a temporary file, never held in memory) |
//! | `MAX_SEED_UPLOAD_BYTES` | 4294967296 (4 GiB) | largest seed file `POST /api/generate` takes (spooled to a temporary file and read seed by seed, never held in memory) |
//! | `PRICES_FILE` | the built-in `host/prices.yaml` | price table (YAML or JSON, USD per million tokens) replacing the built-in one |

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::api::{BrowserPolicy, ConnectionLimits, HttpSettings, Rate, RateLimits};
use crate::kv::{KvQuota, KvStore, MemoryKv};
use crate::llm::LlmGateway;
use crate::llm::cache::{CachingGateway, MemoryResponses, ResponseStore};
use crate::llm::client::EndpointConfig;
use crate::llm::priced::PricedGateway;
use crate::llm::prices::{PriceError, PriceTable};
use crate::llm::providers::PROVIDER_NAMES;
use crate::llm::routing::{ModelRouter, ProviderEnv};
use crate::registry::{OverridesError, PLUGIN_OVERRIDES, PluginOverrides, Registry};
use crate::runtime::limits::GRANT_HEADROOM;
use crate::runtime::{GuestThreads, HostServices, Limits, Runtime, RuntimeConfig};
use crate::store::Store;
use crate::store::model_seeds::SeedModel;
use crate::store::models::ModelKind;

/// A setting could not be read or the services could not start.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A variable holds a value of the wrong form.
    #[error("environment variable {name}={value:?} is not valid: {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A service failed to start.
    #[error("{0}")]
    Startup(String),
    /// `PRICES_FILE` could not be read or is not a price table.
    #[error("PRICES_FILE: {0}")]
    Prices(#[from] PriceError),
    /// `PLUGIN_OVERRIDES` is not a list of block type names.
    #[error("{0}")]
    Overrides(#[from] OverridesError),
}

/// Every setting.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The chat endpoint.
    pub chat: EndpointConfig,
    /// The embeddings endpoint.
    pub embeddings: EndpointConfig,
    /// Per provider name, its endpoint and key from `<PROVIDER>_API_BASE`/`<PROVIDER>_API_KEY`.
    pub providers: std::collections::BTreeMap<String, ProviderEnv>,
    /// The plugins folder.
    pub plugins_dir: PathBuf,
    /// Builtin block types a plugin may replace (`PLUGIN_OVERRIDES`).
    pub plugin_overrides: PluginOverrides,
    /// Where the web UI's files are read from at each request (`WEB_DIR`; debug builds default
    /// to `web/dist` of the working directory); `None`: the build embedded in the binary.
    pub web_dir: Option<PathBuf>,
    /// The compile cache folder.
    pub cache_dir: Option<PathBuf>,
    /// Block call limits.
    pub limits: Limits,
    /// Where the server listens.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The database: `sqlite://file.db` (default `data/blockforge.db`) or `postgres://...`.
    pub database_url: String,
    /// How long a worker holds a run without renewing its lease.
    pub job_lease: Duration,
    /// How often a worker or a server running jobs looks for running jobs it does not run yet
    /// (new jobs are announced at once; this covers the announcements missed).
    pub job_poll: Duration,
    /// When set, the API requires `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Whether `blockforge serve` runs jobs itself (else only `blockforge worker`s do).
    pub run_jobs: bool,
    /// How often a server or worker rereads the model registry; a server's own changes apply
    /// at once.
    pub models_reload: Duration,
    /// Prices of model calls (`PRICES_FILE`, else the built-in table).
    pub prices: Arc<PriceTable>,
    /// How much one `kv` namespace may hold.
    pub kv_quota: KvQuota,
    /// What a user plugin without a stored grant may do (`PLUGIN_DEFAULT_GRANT`).
    pub user_grant: crate::grants::UserDefault,
    /// Accepted host names and origins, read timeouts, the connection bound.
    pub http: HttpSettings,
    /// The largest dataset file an upload may send (`MAX_DATASET_UPLOAD_BYTES`).
    pub max_dataset_upload_bytes: u64,
    /// The largest seed file `POST /api/generate` takes (`MAX_SEED_UPLOAD_BYTES`).
    pub max_seed_upload_bytes: u64,
    /// The Hugging Face Hub that dataset pushes go to (`HF_ENDPOINT`, `HF_TOKEN`).
    pub hub: crate::hub::HubSettings,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where settings are read from: [`var`] (the environment), or a table in unit tests.
type Source<'a> = &'a dyn Fn(&str) -> Option<String>;

fn number<T: std::str::FromStr>(
    name: &'static str,
    default: T,
    expected: &'static str,
) -> Result<T, SettingsError> {
    number_in(&var, name, default, expected)
}

/// [`number`] read from `source`.
fn number_in<T: std::str::FromStr>(
    source: Source,
    name: &'static str,
    default: T,
    expected: &'static str,
) -> Result<T, SettingsError> {
    match source(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| SettingsError::Invalid {
            name,
            value,
            expected,
        }),
    }
}

/// A yes/no variable: `true`/`false`, `1`/`0`, `yes`/`no`.
fn flag(name: &'static str, default: bool) -> Result<bool, SettingsError> {
    match var(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(SettingsError::Invalid {
            name,
            value: other.to_owned(),
            expected: "true or false",
        }),
    }
}

/// A duration in seconds from `name`: finite, positive, at most a year.
fn seconds(name: &'static str, default: f64) -> Result<Duration, SettingsError> {
    seconds_in(&var, name, default)
}

/// [`seconds`] read from `source`.
fn seconds_in(source: Source, name: &'static str, default: f64) -> Result<Duration, SettingsError> {
    let secs = number_in(source, name, default, "a number of seconds")?;
    if !secs.is_finite() || secs <= 0.0 || secs > YEAR_SECS {
        return Err(SettingsError::Invalid {
            name,
            value: secs.to_string(),
            expected: "a positive number of seconds, at most a year",
        });
    }
    Ok(Duration::from_secs_f64(secs))
}

const MIB: usize = 1024 * 1024;

/// Most linear memory a block call may have, MiB (a 32-bit memory's whole range).
const MEMORY_CAP_MIB: usize = 4096;

/// Largest output a block call may return, MiB (a string's `u32` length in the guest).
const OUTPUT_CAP_MIB: usize = 4096;

/// Longest time limit a setting may hold.
const YEAR_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// The limits a grant may set, each as `(default, maximum)`.
#[derive(Debug, PartialEq)]
struct GrantableLimits {
    memory_mib: (usize, usize),
    cpu_time: (Duration, Duration),
    wall_clock: (Duration, Duration),
    output_mib: (usize, usize),
}

/// Refuses `value` of `name` outside `low..=high`, saying `expected` (which names the range).
fn within<T: PartialOrd>(
    source: Source,
    name: &'static str,
    value: T,
    (low, high): (T, T),
    expected: &'static str,
) -> Result<T, SettingsError> {
    if value < low || value > high {
        return Err(SettingsError::Invalid {
            name,
            value: source(name).unwrap_or_default(),
            expected,
        });
    }
    Ok(value)
}

/// A size setting and its maximum, in MiB: `names.0` (default `default`, refused outside 1 to
/// `cap`) and `names.1` (default [`GRANT_HEADROOM`] times it, at most `cap`; refused below
/// it or above `cap`). `expected` says each one's range.
fn mib_pair(
    source: Source,
    names: (&'static str, &'static str),
    default: usize,
    cap: usize,
    expected: (&'static str, &'static str),
) -> Result<(usize, usize), SettingsError> {
    let value = number_in(source, names.0, default, expected.0)?;
    let value = within(source, names.0, value, (1, cap), expected.0)?;
    let headroom = value.saturating_mul(GRANT_HEADROOM as usize).min(cap);
    let maximum = number_in(source, names.1, headroom, expected.1)?;
    let maximum = within(source, names.1, maximum, (value, cap), expected.1)?;
    Ok((value, maximum))
}

/// A time limit and its maximum, as [`mib_pair`] does for sizes (each at most a year).
fn seconds_pair(
    source: Source,
    names: (&'static str, &'static str),
    default: f64,
    expected: &'static str,
) -> Result<(Duration, Duration), SettingsError> {
    let value = seconds_in(source, names.0, default)?;
    let headroom = (value.as_secs_f64() * f64::from(GRANT_HEADROOM)).min(YEAR_SECS);
    let maximum = seconds_in(source, names.1, headroom)?;
    let maximum = within(
        source,
        names.1,
        maximum,
        (value, Duration::from_secs_f64(YEAR_SECS)),
        expected,
    )?;
    Ok((value, maximum))
}

/// `BLOCK_MEMORY_MB`, `BLOCK_CPU_SECS`, `BLOCK_TIMEOUT_SECS`, `BLOCK_OUTPUT_MB` (what a call
/// gets when its plugin's grant sets no limit) and their `_MAX_` settings (the most a grant
/// may give), from `source`. A value out of its range stops the start: it is never clamped.
fn grantable_limits(source: Source) -> Result<GrantableLimits, SettingsError> {
    Ok(GrantableLimits {
        memory_mib: mib_pair(
            source,
            ("BLOCK_MEMORY_MB", "BLOCK_MEMORY_MAX_MB"),
            256,
            MEMORY_CAP_MIB,
            (
                "a number of MiB from 1 to 4096",
                "a number of MiB, at least BLOCK_MEMORY_MB and at most 4096",
            ),
        )?,
        cpu_time: seconds_pair(
            source,
            ("BLOCK_CPU_SECS", "BLOCK_CPU_MAX_SECS"),
            10.0,
            "a number of seconds, at least BLOCK_CPU_SECS and at most a year",
        )?,
        wall_clock: seconds_pair(
            source,
            ("BLOCK_TIMEOUT_SECS", "BLOCK_TIMEOUT_MAX_SECS"),
            300.0,
            "a number of seconds, at least BLOCK_TIMEOUT_SECS and at most a year",
        )?,
        output_mib: mib_pair(
            source,
            ("BLOCK_OUTPUT_MB", "BLOCK_OUTPUT_MAX_MB"),
            16,
            // The JSON text of a call's output is one string: a `u32` length in the guest.
            OUTPUT_CAP_MIB,
            (
                "a number of MiB from 1 to 4096",
                "a number of MiB, at least BLOCK_OUTPUT_MB and at most 4096",
            ),
        )?,
    })
}

/// A positive count from `name`.
fn positive<T: std::str::FromStr + PartialOrd + Default>(
    name: &'static str,
    default: T,
) -> Result<T, SettingsError> {
    let n = number(name, default, "a positive integer")?;
    if n <= T::default() {
        return Err(SettingsError::Invalid {
            name,
            value: var(name).unwrap_or_default(),
            expected: "a positive integer",
        });
    }
    Ok(n)
}

/// A per-minute limit: absent for none, else a positive integer.
fn per_minute(name: &'static str) -> Result<Option<u64>, SettingsError> {
    match var(name) {
        None => Ok(None),
        Some(value) => match value.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(SettingsError::Invalid {
                name,
                value,
                expected: "a positive integer (per minute)",
            }),
        },
    }
}

/// The server's client settings: `ALLOWED_HOSTS`, `ALLOWED_ORIGINS` (with `host`, the
/// address it binds), `HEADER_READ_TIMEOUT_SECS`, `BODY_READ_TIMEOUT_SECS`, `MAX_CONNECTIONS`,
/// `RATE_LIMIT_PER_KEY`, `RATE_LIMIT_PER_ADDRESS`.
fn http_settings(host: &str) -> Result<HttpSettings, SettingsError> {
    let defaults = ConnectionLimits::default();
    Ok(HttpSettings {
        browser: BrowserPolicy::new(
            host,
            &var("ALLOWED_HOSTS").unwrap_or_default(),
            &var("ALLOWED_ORIGINS").unwrap_or_default(),
        ),
        connections: ConnectionLimits {
            header_read_timeout: seconds(
                "HEADER_READ_TIMEOUT_SECS",
                defaults.header_read_timeout.as_secs_f64(),
            )?,
            body_read_timeout: seconds(
                "BODY_READ_TIMEOUT_SECS",
                defaults.body_read_timeout.as_secs_f64(),
            )?,
            max_connections: positive("MAX_CONNECTIONS", defaults.max_connections)?,
        },
        rate_limits: RateLimits {
            per_key: rate("RATE_LIMIT_PER_KEY")?,
            per_address: rate("RATE_LIMIT_PER_ADDRESS")?,
        },
    })
}

/// A rate limit from `name` (`N`, `N/s`, `N/min`, `N/h`); `None` when unset.
fn rate(name: &'static str) -> Result<Option<Rate>, SettingsError> {
    var(name)
        .map(|value| {
            Rate::parse(&value).map_err(|_| SettingsError::Invalid {
                name,
                value,
                expected: "N requests per minute, or N/s, N/min, N/h (N at least 1)",
            })
        })
        .transpose()
}

/// The `kv` namespace quota from `KV_MAX_KEYS_PER_NAMESPACE` and `KV_MAX_BYTES_PER_NAMESPACE`.
fn kv_quota() -> Result<KvQuota, SettingsError> {
    let defaults = KvQuota::default();
    Ok(KvQuota {
        max_keys: number(
            "KV_MAX_KEYS_PER_NAMESPACE",
            defaults.max_keys,
            "a non-negative integer",
        )?,
        max_bytes: number(
            "KV_MAX_BYTES_PER_NAMESPACE",
            defaults.max_bytes,
            "a non-negative number of bytes",
        )?,
    })
}

impl Settings {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        let mut chat = EndpointConfig::new(
            var("LLM_ENDPOINT").unwrap_or_else(|| "http://localhost:11434/v1".to_owned()),
        );
        chat.api_key = var("LLM_API_KEY");
        chat.default_model = var("LLM_MODEL");
        chat.max_concurrency = number("LLM_MAX_CONCURRENCY", 32usize, "a positive integer")?.max(1);
        chat.timeout = seconds("LLM_TIMEOUT_SECS", 120.0)?;
        chat.max_retries = number("LLM_MAX_RETRIES", 6u32, "a non-negative integer")?;
        chat.rpm = per_minute("LLM_RPM")?;
        chat.tpm = per_minute("LLM_TPM")?;
        let mut embeddings = chat.clone();
        if let Some(endpoint) = var("EMBEDDING_ENDPOINT") {
            embeddings.base_url = endpoint;
        }
        embeddings.api_key = var("EMBEDDING_API_KEY").or(chat.api_key.clone());
        embeddings.default_model = var("EMBEDDING_MODEL");
        let defaults = Limits::default();
        let grantable = grantable_limits(&var)?;
        let limits = Limits {
            memory_bytes: grantable.memory_mib.0 * MIB,
            memory_max_bytes: grantable.memory_mib.1 * MIB,
            cpu_time: grantable.cpu_time.0,
            cpu_time_max: grantable.cpu_time.1,
            wall_clock: grantable.wall_clock.0,
            wall_clock_max: grantable.wall_clock.1,
            output_bytes: grantable.output_mib.0 * MIB,
            output_max_bytes: grantable.output_mib.1 * MIB,
            describe_time: seconds("BLOCK_DESCRIBE_SECS", 10.0)?,
            max_instances: number(
                "BLOCK_MAX_INSTANCES",
                defaults.max_instances,
                "a positive integer",
            )?
            .max(1),
            max_children: positive("MAX_CHILDREN_PER_SEED", defaults.max_children)?,
            max_runs_per_job: positive("MAX_RUNS_PER_JOB", defaults.max_runs_per_job)?,
            max_pipeline_blocks: positive("MAX_PIPELINE_BLOCKS", defaults.max_pipeline_blocks)?,
            max_state_bytes: positive("MAX_STATE_BYTES", defaults.max_state_bytes)?,
            max_run_state_bytes: positive("MAX_RUN_STATE_BYTES", defaults.max_run_state_bytes)?,
            max_job_state_bytes: positive("MAX_JOB_STATE_BYTES", defaults.max_job_state_bytes)?,
            llm_run_deadline: seconds("LLM_RUN_DEADLINE_SECS", 1800.0)?,
            ..defaults
        };
        let cache_dir = var("BLOCKFORGE_CACHE_DIR").map(PathBuf::from).or_else(|| {
            var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache")))
                .map(|base| base.join("blockforge").join("components"))
        });
        let providers = PROVIDER_NAMES
            .iter()
            .map(|name| {
                let upper = name.to_ascii_uppercase();
                let env = ProviderEnv {
                    base_url: var(&format!("{upper}_API_BASE")),
                    api_key: var(&format!("{upper}_API_KEY")),
                };
                ((*name).to_owned(), env)
            })
            .collect();
        let host = var("HOST").unwrap_or_else(|| "127.0.0.1".to_owned());
        Ok(Settings {
            chat,
            embeddings,
            providers,
            plugins_dir: var("PLUGINS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("plugins")),
            plugin_overrides: PluginOverrides::parse(&var(PLUGIN_OVERRIDES).unwrap_or_default())?,
            web_dir: var("WEB_DIR")
                .map(PathBuf::from)
                .or_else(|| cfg!(debug_assertions).then(|| PathBuf::from("web/dist"))),
            cache_dir,
            limits,
            http: http_settings(&host)?,
            host,
            port: number("PORT", 8000u16, "a port number")?,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/blockforge.db".to_owned()),
            job_lease: seconds("JOB_LEASE_SECS", 30.0)?,
            job_poll: seconds("JOB_POLL_SECS", 2.0)?,
            api_key: var("API_KEY"),
            run_jobs: flag("RUN_JOBS", true)?,
            models_reload: seconds("MODELS_RELOAD_SECS", 30.0)?,
            prices: Arc::new(PriceTable::load(
                var("PRICES_FILE").map(PathBuf::from).as_deref(),
            )?),
            kv_quota: kv_quota()?,
            max_dataset_upload_bytes: positive("MAX_DATASET_UPLOAD_BYTES", 2u64 << 30)?,
            max_seed_upload_bytes: positive("MAX_SEED_UPLOAD_BYTES", 4u64 << 30)?,
            hub: crate::hub::HubSettings {
                endpoint: var("HF_ENDPOINT")
                    .unwrap_or_else(|| crate::hub::DEFAULT_ENDPOINT.to_owned()),
                token: var("HF_TOKEN").and_then(|t| crate::hub::Token::new(&t)),
            },
            user_grant: number(
                "PLUGIN_DEFAULT_GRANT",
                crate::grants::UserDefault::Conservative,
                "conservative or declared",
            )?,
        })
    }

    /// Starts the gateway and the runtime, and loads the builtin blocks and the plugins folder;
    /// the `kv` import keeps its data in memory (the CLI).
    pub async fn start_registry(&self) -> Result<Arc<Registry>, SettingsError> {
        self.start_registry_with(Arc::new(MemoryKv::new(self.kv_quota)))
            .await
    }

    /// As [`Settings::start_registry`], with the `kv` import's data in `kv` (the database, for
    /// the server and workers).
    pub async fn start_registry_with(
        &self,
        kv: Arc<dyn KvStore>,
    ) -> Result<Arc<Registry>, SettingsError> {
        let responses = Arc::new(MemoryResponses::default());
        self.start_registry_on(
            kv,
            self.gateway(self.model_router()?, responses),
            GuestThreads::Caller,
        )
        .await
    }

    /// The blocks' gateway: `router`'s answers priced with the price table, chat answers kept
    /// in and served from `responses` as each job's cache mode allows.
    pub fn gateway(
        &self,
        router: Arc<ModelRouter>,
        responses: Arc<dyn ResponseStore>,
    ) -> Arc<dyn LlmGateway> {
        let priced = PricedGateway::new(router, self.prices.clone());
        Arc::new(CachingGateway::new(priced, responses))
    }

    /// The model router with the environment's endpoints and limits and no registered model:
    /// until [`ModelRouter::reload`], every call goes to `LLM_*` / `EMBEDDING_*`.
    pub fn model_router(&self) -> Result<Arc<ModelRouter>, SettingsError> {
        // reqwest is built without a default TLS provider; install ring's once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let router = ModelRouter::new(self.chat.clone(), self.embeddings.clone(), &self.providers)
            .map_err(|e| SettingsError::Startup(e.to_string()))?;
        Ok(Arc::new(router))
    }

    /// The models the environment seeds into an empty registry, named `default`: an LLM when
    /// `LLM_MODEL` is set, an embedding model when `EMBEDDING_MODEL` is.
    pub fn seed_models(&self) -> Vec<(ModelKind, SeedModel)> {
        let seed = |config: &EndpointConfig| {
            config.default_model.as_ref().map(|model| SeedModel {
                name: "default".to_owned(),
                provider: "openai".to_owned(),
                endpoint: config.base_url.clone(),
                api_key: config.api_key.clone().unwrap_or_default(),
                model_name: model.clone(),
            })
        };
        [
            (ModelKind::Llm, seed(&self.chat)),
            (ModelKind::Embedding, seed(&self.embeddings)),
        ]
        .into_iter()
        .filter_map(|(kind, model)| Some((kind, model?)))
        .collect()
    }

    /// The model router of a process with a database (server, worker): the environment's
    /// models seeded, the registry read.
    pub async fn start_models(&self, store: &Store) -> Result<Arc<ModelRouter>, SettingsError> {
        let router = self.model_router()?;
        for (kind, model) in self.seed_models() {
            store.seed_model(kind, &model).await.map_err(|e| {
                SettingsError::Startup(format!("cannot seed the default {}: {e}", kind.label()))
            })?;
        }
        router
            .reload(store)
            .await
            .map_err(|e| SettingsError::Startup(format!("cannot read the model registry: {e}")))?;
        Ok(router)
    }

    /// As [`Settings::start_registry_with`], with `llm` as the blocks' gateway (the model
    /// router of [`Settings::start_models`] in [`Settings::gateway`]) and block calls run
    /// where `guest_threads` says.
    pub async fn start_registry_on(
        &self,
        kv: Arc<dyn KvStore>,
        llm: Arc<dyn LlmGateway>,
        guest_threads: GuestThreads,
    ) -> Result<Arc<Registry>, SettingsError> {
        let outbound = crate::outbound::Outbound::new()
            .map_err(|e| SettingsError::Startup(format!("the http capability: {e}")))?;
        let services = HostServices {
            llm,
            kv,
            structured_output_repairs: 2,
            outbound: Arc::new(outbound),
        };
        let runtime = Runtime::new(
            RuntimeConfig {
                limits: self.limits.clone(),
                cache_dir: self.cache_dir.clone(),
                guest_threads,
                kv_quota: self.kv_quota,
                user_grant: self.user_grant,
            },
            services,
        )
        .map_err(|e| SettingsError::Startup(e.to_string()))?;
        let registry = Registry::with_builtins(Arc::new(runtime))
            .await
            .map_err(|e| SettingsError::Startup(e.to_string()))?
            .with_overrides(self.plugin_overrides.clone());
        registry.sync_plugins_dir(&self.plugins_dir).await;
        Ok(Arc::new(registry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grantable limits with the variables of `table` set.
    fn limits_with(table: &[(&str, &str)]) -> Result<GrantableLimits, SettingsError> {
        let source = |name: &str| {
            table
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        };
        grantable_limits(&source)
    }

    /// The variable an `Invalid` error names, and what it says is expected.
    fn refused(table: &[(&str, &str)]) -> (&'static str, &'static str) {
        match limits_with(table) {
            Err(SettingsError::Invalid { name, expected, .. }) => (name, expected),
            other => panic!("{table:?} should be refused: {other:?}"),
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn each_maximum_is_four_times_its_default_unless_set() {
        assert_eq!(
            limits_with(&[]).unwrap(),
            GrantableLimits {
                memory_mib: (256, 1024),
                cpu_time: (secs(10), secs(40)),
                wall_clock: (secs(300), secs(1200)),
                output_mib: (16, 64),
            }
        );
        let set = limits_with(&[
            ("BLOCK_MEMORY_MB", "100"),
            ("BLOCK_CPU_SECS", "2.5"),
            ("BLOCK_TIMEOUT_SECS", "60"),
            ("BLOCK_OUTPUT_MB", "3"),
        ])
        .unwrap();
        assert_eq!(set.memory_mib, (100, 400));
        assert_eq!(set.cpu_time, (Duration::from_millis(2500), secs(10)));
        assert_eq!(set.wall_clock, (secs(60), secs(240)));
        assert_eq!(set.output_mib, (3, 12));
    }

    #[test]
    fn the_default_maximum_stops_at_4096_mib() {
        let set = limits_with(&[("BLOCK_MEMORY_MB", "2048"), ("BLOCK_OUTPUT_MB", "4096")]).unwrap();
        assert_eq!(set.memory_mib, (2048, 4096));
        assert_eq!(set.output_mib, (4096, 4096));
    }

    #[test]
    fn a_maximum_set_explicitly_is_kept() {
        let set = limits_with(&[
            ("BLOCK_MEMORY_MAX_MB", "4096"),
            ("BLOCK_CPU_MAX_SECS", "10"),
            ("BLOCK_TIMEOUT_MAX_SECS", "3600"),
            ("BLOCK_OUTPUT_MAX_MB", "17"),
        ])
        .unwrap();
        assert_eq!(set.memory_mib, (256, 4096));
        assert_eq!(set.cpu_time, (secs(10), secs(10)), "equal to the default");
        assert_eq!(set.wall_clock, (secs(300), secs(3600)));
        assert_eq!(set.output_mib, (16, 17));
    }

    #[test]
    fn out_of_range_sizes_and_maxima_are_refused_not_clamped() {
        // (variables, the one refused)
        let table: &[(&[(&str, &str)], &str)] = &[
            (&[("BLOCK_MEMORY_MAX_MB", "8192")], "BLOCK_MEMORY_MAX_MB"),
            (&[("BLOCK_MEMORY_MAX_MB", "0")], "BLOCK_MEMORY_MAX_MB"),
            (&[("BLOCK_MEMORY_MAX_MB", "255")], "BLOCK_MEMORY_MAX_MB"),
            (&[("BLOCK_MEMORY_MB", "0")], "BLOCK_MEMORY_MB"),
            (&[("BLOCK_MEMORY_MB", "4097")], "BLOCK_MEMORY_MB"),
            (&[("BLOCK_OUTPUT_MB", "0")], "BLOCK_OUTPUT_MB"),
            (&[("BLOCK_OUTPUT_MB", "5000")], "BLOCK_OUTPUT_MB"),
            (&[("BLOCK_OUTPUT_MAX_MB", "4097")], "BLOCK_OUTPUT_MAX_MB"),
            (&[("BLOCK_OUTPUT_MAX_MB", "8")], "BLOCK_OUTPUT_MAX_MB"),
            (&[("BLOCK_CPU_MAX_SECS", "9.5")], "BLOCK_CPU_MAX_SECS"),
            (&[("BLOCK_CPU_SECS", "0")], "BLOCK_CPU_SECS"),
            (
                &[("BLOCK_TIMEOUT_MAX_SECS", "299")],
                "BLOCK_TIMEOUT_MAX_SECS",
            ),
            (
                &[("BLOCK_TIMEOUT_MAX_SECS", "40000000")],
                "BLOCK_TIMEOUT_MAX_SECS",
            ),
            (&[("BLOCK_MEMORY_MB", "lots")], "BLOCK_MEMORY_MB"),
        ];
        for (variables, name) in table {
            let (refused_name, expected) = refused(variables);
            assert_eq!(refused_name, *name, "{variables:?}");
            assert!(!expected.is_empty());
        }
        let (_, expected) = refused(&[("BLOCK_MEMORY_MAX_MB", "8192")]);
        assert!(
            expected.contains("at least BLOCK_MEMORY_MB") && expected.contains("4096"),
            "the range is named: {expected}"
        );
        let (_, expected) = refused(&[("BLOCK_OUTPUT_MB", "0")]);
        assert!(expected.contains("from 1 to 4096"), "{expected}");
    }
}
