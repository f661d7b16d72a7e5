//! The WebAssembly runtime: one async wasmtime [`Engine`] with epoch interruption and the
//! pooling allocator; components compiled once (cached on disk) and pre-linked; a fresh
//! instance per block call, under memory, CPU-time and wall-clock limits.
//!
//! Nothing else in the host touches wasmtime configuration.

pub mod bindings;
mod call_clock;
mod call_scope;
mod capture;
pub mod compile_cache;
mod describe_cache;
mod epoch;
mod failure;
mod guest_threads;
mod hashed_component;
mod host_state;
mod import_time;
mod imports;
mod info;
pub mod limits;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::Semaphore;
use wasmtime::component::{Component, Linker};
use wasmtime::{
    CallHook, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    UpdateDeadline,
};

pub use call_scope::CallScope;
pub use compile_cache::{CacheOutcome, CompileCache};
pub use failure::{BlockFailure, FailureKind, Refused};
pub use guest_threads::{GuestThreads, run_block_calls_in_place};
pub use hashed_component::HashedComponent;
pub use host_state::HostServices;
pub use imports::log::LogLine;
pub use info::{BlockInfo, BlockKind, Capability};
pub use limits::Limits;

use crate::grants::EffectiveGrant;

use bindings::blockforge::block::types as wit;
use bindings::{BlockPre, Version};
pub use call_clock::process_cpu_time;
use call_clock::{TickDecision, thread_cpu_time, within_wall_clock};
use describe_cache::{DescribeCache, Kept};
use failure::{FailureEvidence, LimitExceeded};
use guest_threads::GuestExecutor;
use host_state::HostState;

use crate::grants::{
    CallLimits, Grant, GrantSet, LimitBounds, PluginId, UserDefault, effective::effective,
};
use crate::usage::Usage;

/// Most written linear memory reset in place (not decommitted) when an instance slot is reused.
const KEEP_RESIDENT_BYTES: usize = 1024 * 1024;

/// Runtime settings.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Limits of every call.
    pub limits: Limits,
    /// Directory of the compile cache; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Where block calls run.
    pub guest_threads: GuestThreads,
    /// The `kv` quota of a namespace: the most a plugin's grant may give.
    pub kv_quota: crate::kv::KvQuota,
    /// What a user plugin without a stored grant may do (`PLUGIN_DEFAULT_GRANT`).
    pub user_grant: UserDefault,
}

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly runtime: {0}")]
pub struct RuntimeError(String);

/// Why a component could not be loaded as a block.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {origin}: {message}")]
    Read {
        /// File name.
        origin: String,
        /// The I/O error.
        message: String,
    },
    /// Not WebAssembly at all.
    #[error("{origin} is not a WebAssembly file")]
    NotWasm {
        /// File name or `upload`.
        origin: String,
    },
    /// A core module, not a component.
    #[error(
        "{origin} is a core WebAssembly module, not a component; build it for wasm32-wasip2 (or run `wasm-tools component new`)"
    )]
    CoreModule {
        /// File name.
        origin: String,
    },
    /// wasmtime could not compile it.
    #[error("{origin} could not be compiled: {message}")]
    Compile {
        /// File name.
        origin: String,
        /// wasmtime's message.
        message: String,
    },
    /// It does not export the guest interface of any version.
    #[error(
        "{origin} does not target the blockforge block world: it must export `{expected}` (it exports: {found}); build it with an SDK (Rust: sdk/, Python: sdk/python, JavaScript: sdk/js) or export the `guest` interface of world `blockforge:block/block` from wit/"
    )]
    NotABlock {
        /// File name.
        origin: String,
        /// The expected export.
        expected: String,
        /// What it exports.
        found: String,
    },
    /// It targets another version of the world.
    #[error(
        "{origin} targets `{found}`, but this host runs `{expected}`: rebuild the block against a version this host runs (the WIT in wit/ and the SDKs in sdk/ of this blockforge), or run a blockforge that supports `{found}`"
    )]
    WrongVersion {
        /// File name.
        origin: String,
        /// The export found.
        found: String,
        /// The expected export.
        expected: String,
    },
    /// It imports something the host does not provide.
    #[error("{origin} cannot be linked: {message}{}", link_hint(message))]
    Link {
        /// File name.
        origin: String,
        /// wasmtime's message, naming the import.
        message: String,
    },
    /// `describe()` did not answer: it trapped, ran out of time or memory, or the runtime
    /// was shutting down (on a busy machine the next try may pass).
    #[error("{origin}: describe() failed: {message}")]
    Describe {
        /// File name.
        origin: String,
        /// What went wrong.
        message: String,
    },
    /// `describe()` answered a description the host refuses (a bad type name, a schema that
    /// does not compile, sizes over the limits): the same bytes always answer it.
    #[error("{origin}: describe() returned a description the host refuses: {message}")]
    BadDescription {
        /// File name.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
}

impl LoadError {
    /// Whether loading the same bytes again would fail the same way: a file that is not a
    /// block of this world, or that imports what the host lacks. Reading, compiling and
    /// `describe()` may fail for passing reasons (a busy machine's time limit, memory).
    pub fn always_repeats(&self) -> bool {
        match self {
            LoadError::NotWasm { .. }
            | LoadError::CoreModule { .. }
            | LoadError::NotABlock { .. }
            | LoadError::WrongVersion { .. }
            | LoadError::Link { .. }
            | LoadError::BadDescription { .. } => true,
            LoadError::Read { .. } | LoadError::Compile { .. } | LoadError::Describe { .. } => {
                false
            }
        }
    }
}

/// Refuses `bytes` that are not a WebAssembly component, saying what they are instead.
fn check_header(bytes: &[u8], origin: &str) -> Result<(), LoadError> {
    let origin = origin.to_owned();
    if !bytes.starts_with(b"\0asm") {
        return Err(LoadError::NotWasm { origin });
    }
    if !wasmparser::Parser::is_component(bytes) {
        return Err(LoadError::CoreModule { origin });
    }
    Ok(())
}

/// `describe()` of `origin` did not answer.
fn describe_error(origin: &str, message: String) -> LoadError {
    LoadError::Describe {
        origin: origin.to_owned(),
        message,
    }
}

/// `describe()` of `origin` answered a description the host refuses.
fn bad_description(origin: &str, message: String) -> LoadError {
    LoadError::BadDescription {
        origin: origin.to_owned(),
        message,
    }
}

/// What to do about an import the host does not provide, for the imports newcomers' toolchains
/// add by default.
fn link_hint(message: &str) -> &'static str {
    if message.contains("wasi:http") {
        "; the component imports `wasi:http`, which blocks may not use (they reach models \
         through the `llm` import): rebuild it without HTTP — JavaScript: componentize-js with \
         `--disable http fetch-event` (sdk/js/build_block.mjs does this); Rust: drop the \
         dependency that pulls in wasi-http"
    } else if message.contains("wasi:") {
        "; blocks get WASI 0.2 (cli, clocks, random, io, and filesystem and sockets that reach \
         nothing) and the blockforge imports: rebuild the block without the missing import"
    } else {
        ""
    }
}

/// A block ready to run: its description and its pre-linked component.
pub struct LoadedBlock {
    /// What `describe()` returned.
    pub info: BlockInfo,
    /// SHA-256 of the component's bytes.
    pub content_hash: String,
    /// The plugin it came from, whose grant its calls run under.
    pub plugin: PluginId,
    config_validator: jsonschema::Validator,
    linked: Linked,
}

/// A block's pre-linked component: linked when the block was loaded, or, for a builtin
/// listed from its kept description, on its first call.
struct Linked {
    /// How linking ended. Set once: a failure is kept, and every later call answers with it
    /// instead of compiling again.
    outcome: tokio::sync::OnceCell<Result<FirstLink, LoadError>>,
    /// What to link from on the first call, when not linked at load.
    later: Option<LinkLater>,
}

/// A linked block's component, and what its first link found.
#[derive(Clone)]
struct FirstLink {
    pre: BlockPre<HostState>,
    /// The block as its component described itself at its first link, when that differs
    /// from the kept description it was listed with.
    redescribed: Option<Arc<LoadedBlock>>,
}

/// A builtin component not linked yet, and the kept description it was listed with.
struct LinkLater {
    bytes: &'static [u8],
    origin: String,
    kept: Kept,
}

impl Linked {
    fn now(pre: BlockPre<HostState>) -> Self {
        Linked {
            outcome: tokio::sync::OnceCell::new_with(Some(Ok(FirstLink {
                pre,
                redescribed: None,
            }))),
            later: None,
        }
    }

    fn later(bytes: &'static [u8], origin: &str, kept: Kept) -> Self {
        Linked {
            outcome: tokio::sync::OnceCell::new(),
            later: Some(LinkLater {
                bytes,
                origin: origin.to_owned(),
                kept,
            }),
        }
    }
}

impl LoadedBlock {
    /// Whether its component is compiled (or mapped from the compile cache) and linked: a
    /// builtin listed from its kept description is linked on its first call.
    pub fn is_linked(&self) -> bool {
        matches!(self.linked.outcome.get(), Some(Ok(_)))
    }

    /// Why its first link failed, when it did: every call of the block fails with this.
    pub fn link_error(&self) -> Option<&LoadError> {
        self.linked.outcome.get()?.as_ref().err()
    }

    /// The block as its component described itself at its first link, when that differs from
    /// the kept description it was listed with: the registry lists this one instead, and
    /// calls of this one are checked against its description.
    pub fn redescribed(&self) -> Option<Arc<LoadedBlock>> {
        self.linked
            .outcome
            .get()?
            .as_ref()
            .ok()?
            .redescribed
            .clone()
    }

    /// Errors of `config` against the block's config schema, as `path: message` lines.
    pub fn config_errors(&self, config: &Map<String, Value>) -> Vec<String> {
        let value = Value::Object(config.clone());
        self.config_validator
            .iter_errors(&value)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{path}: {e}")
                }
            })
            .collect()
    }
}

/// A successful call's output.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutput {
    /// A transform's object.
    Object(Map<String, Value>),
    /// A multiplier's seeds.
    Seeds(Vec<Map<String, Value>>),
}

/// Everything one call produced.
#[derive(Debug)]
pub struct CallReport {
    /// The output or the failure.
    pub outcome: Result<CallOutput, BlockFailure>,
    /// Usage of the model calls the block made.
    pub usage: Usage,
    /// The same, per model.
    pub usage_by_model: crate::usage::ModelUsage,
    /// Model calls made.
    pub llm_calls: u32,
    /// The requests those calls sent to models (attempts, waits, failures).
    pub llm_call_log: Vec<crate::llm::journal::LlmCall>,
    /// The `http` requests the block sent (each redirect hop is one).
    pub http_calls: Vec<crate::outbound::HttpCall>,
    /// Log lines written through `log`.
    pub logs: Vec<LogLine>,
    /// Log lines dropped past the per-call limit.
    pub logs_dropped: u32,
    /// Captured stdout.
    pub stdout: String,
    /// Captured stderr.
    pub stderr: String,
    /// Time from acquiring an instance slot to the end of the call.
    pub wall_time: Duration,
    /// Time spent inside host imports.
    pub import_time: Duration,
    /// Guest CPU time charged against the limit (host work for the block included).
    pub cpu_time: Duration,
}

impl CallReport {
    /// The report of a call that failed with `failure` before it could report anything else.
    fn failed(failure: BlockFailure, started: Instant) -> Self {
        CallReport {
            outcome: Err(failure),
            usage: Usage::default(),
            usage_by_model: crate::usage::ModelUsage::default(),
            llm_calls: 0,
            llm_call_log: Vec::new(),
            http_calls: Vec::new(),
            logs: Vec::new(),
            logs_dropped: 0,
            stdout: String::new(),
            stderr: String::new(),
            wall_time: started.elapsed(),
            import_time: Duration::ZERO,
            cpu_time: Duration::ZERO,
        }
    }
}

/// The runtime. Cheap to share behind an `Arc`.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    cache: CompileCache,
    described: DescribeCache,
    limits: Limits,
    bounds: LimitBounds,
    user_grant: UserDefault,
    permits: Arc<Semaphore>,
    services: HostServices,
    guests: GuestExecutor,
    _ticker: epoch::EpochTicker,
}

impl Runtime {
    /// Starts the engine with `config` and the host `services` the imports reach.
    pub fn new(config: RuntimeConfig, services: HostServices) -> Result<Self, RuntimeError> {
        let limits = config.limits;
        let defaults = CallLimits {
            memory_bytes: limits.memory_bytes,
            cpu_time: limits.cpu_time,
            wall_clock: limits.wall_clock,
            output_bytes: limits.output_bytes,
            kv_max_keys: config.kv_quota.max_keys,
            kv_max_bytes: config.kv_quota.max_bytes,
        };
        // A maximum is never below its default, whatever built the limits.
        let bounds = LimitBounds {
            defaults,
            maxima: CallLimits {
                memory_bytes: limits.memory_max_bytes.max(limits.memory_bytes),
                cpu_time: limits.cpu_time_max.max(limits.cpu_time),
                wall_clock: limits.wall_clock_max.max(limits.wall_clock),
                output_bytes: limits.output_max_bytes.max(limits.output_bytes),
                ..defaults
            },
        };
        let instances = limits.max_instances.max(1);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(16))
            .total_memories(instances.saturating_mul(4))
            .total_tables(instances.saturating_mul(8))
            .total_stacks(instances)
            // One component may not take the pool's slots from the others.
            .max_core_instances_per_component(64)
            .max_memories_per_component(8)
            .max_tables_per_component(64)
            // Sized by the most a grant may give: the slot's address space is reserved either
            // way (wasmtime reserves 4 GiB per slot on 64-bit hosts), and only touched pages
            // are resident.
            .max_memory_size(bounds.maxima.memory_bytes)
            // A fresh instance per call would page-fault its stack and heap back in if a reused
            // slot were decommitted; instead reset the pages the last instance wrote (found with
            // Linux's PAGEMAP_SCAN where available, 6.7+) and keep them resident.
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(64 * 1024)
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut wasm = Config::new();
        wasm.epoch_interruption(true)
            .wasm_component_model(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wasm).map_err(|e| RuntimeError(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| RuntimeError(format!("{e:#}")))?;
        HostState::add_to_linker(&mut linker).map_err(|e| RuntimeError(format!("{e:#}")))?;
        let cache = CompileCache::new(config.cache_dir.clone(), &engine);
        let described = DescribeCache::new(config.cache_dir, cache.engine_key());
        let ticker = epoch::EpochTicker::start(engine.clone(), limits::EPOCH_TICK);
        let guests = GuestExecutor::start(config.guest_threads)
            .map_err(|e| RuntimeError(format!("cannot start the block threads: {e}")))?;
        Ok(Runtime {
            guests,
            permits: Arc::new(Semaphore::new(instances as usize)),
            engine,
            linker,
            cache,
            described,
            limits,
            bounds,
            user_grant: config.user_grant,
            services,
            _ticker: ticker,
        })
    }

    /// Compiles (or reads from the cache), links and describes a component of `plugin`.
    /// `origin` names it in errors.
    pub async fn load(
        &self,
        bytes: &[u8],
        origin: &str,
        plugin: PluginId,
    ) -> Result<LoadedBlock, LoadError> {
        self.load_hashed(HashedComponent::new(bytes.to_vec()), origin, plugin)
            .await
    }

    /// [`Runtime::load`] of bytes the caller owns and has already hashed (the plugins
    /// folder's scan does, to tell changed files): neither hashed nor copied again, which for
    /// an 18 MB Python component was a third of the CPU time of its warm load in a debug
    /// build. The hash keys the compile cache; [`HashedComponent`] can only be made by
    /// hashing, so it is the bytes' own.
    pub async fn load_hashed(
        &self,
        component: HashedComponent,
        origin: &str,
        plugin: PluginId,
    ) -> Result<LoadedBlock, LoadError> {
        let (bytes, content_hash) = component.into_parts();
        let started = Instant::now();
        check_header(&bytes, origin)?;
        let size = bytes.len();
        let (_, pre) = self.link(bytes, &content_hash, origin).await?;
        let linked = started.elapsed();
        let raw = self.describe(&pre, origin, &plugin).await?;
        let (info, config_validator) =
            BlockInfo::from_wit(raw).map_err(|message| bad_description(origin, message))?;
        // Where a load's time goes (`RUST_LOG=blockforge=debug`): the figures of docs/design.md.
        tracing::debug!(
            %origin,
            bytes = size,
            compile_or_read_and_link_ms = linked.as_secs_f64() * 1e3,
            describe_ms = (started.elapsed() - linked).as_secs_f64() * 1e3,
            "component loaded"
        );
        Ok(LoadedBlock {
            info,
            content_hash,
            plugin,
            config_validator,
            linked: Linked::now(pre),
        })
    }

    /// Loads a builtin component, `bytes` embedded in the binary with their SHA-256
    /// `content_hash`. When the compile cache's folder holds its description (from an earlier
    /// start), the block is listed from that alone and its component is compiled (or mapped
    /// from the compile cache), linked and described on its first call, so builtins that no
    /// pipeline uses take no memory; otherwise it is loaded as [`Runtime::load`] does and its
    /// description kept for the next start. At that first call, a component that describes
    /// itself otherwise than the kept file says is listed again with its own description
    /// ([`LoadedBlock::redescribed`]) and the file replaced; a component that cannot be linked
    /// fails that call and every later one with the same error, logged once.
    pub async fn load_builtin(
        &self,
        bytes: &'static [u8],
        content_hash: &str,
        origin: &str,
        plugin: PluginId,
    ) -> Result<LoadedBlock, LoadError> {
        if let Some(kept) = self.described.read(content_hash) {
            match BlockInfo::from_wit(kept.info.clone()) {
                Ok((info, config_validator)) => {
                    return Ok(LoadedBlock {
                        info,
                        content_hash: content_hash.to_owned(),
                        plugin,
                        config_validator,
                        linked: Linked::later(bytes, origin, kept),
                    });
                }
                Err(message) => {
                    tracing::warn!(%origin, %message, "describing again: the kept description no longer passes the checks")
                }
            }
        }
        check_header(bytes, origin)?;
        let (version, pre) = self.link(bytes, content_hash, origin).await?;
        let raw = self.describe(&pre, origin, &plugin).await?;
        let (info, config_validator) =
            BlockInfo::from_wit(raw.clone()).map_err(|message| bad_description(origin, message))?;
        self.described.write(content_hash, version, &raw);
        Ok(LoadedBlock {
            info,
            content_hash: content_hash.to_owned(),
            plugin,
            config_validator,
            linked: Linked::now(pre),
        })
    }

    /// Compiles `bytes` (or maps their compiled form from the cache), checks which contract
    /// version they target and links them.
    async fn link(
        &self,
        bytes: impl AsRef<[u8]> + Send + 'static,
        content_hash: &str,
        origin: &str,
    ) -> Result<(Version, BlockPre<HostState>), LoadError> {
        let compile_error = |message: String| LoadError::Compile {
            origin: origin.to_owned(),
            message,
        };
        let (component, cache_outcome) = {
            let engine = self.engine.clone();
            let cache = self.cache.clone();
            let hash = content_hash.to_owned();
            // Compilation takes up to seconds: keep it off the async workers.
            tokio::task::spawn_blocking(move || cache.load(&engine, bytes.as_ref(), &hash))
                .await
                .map_err(|e| compile_error(e.to_string()))?
                .map_err(|e| compile_error(format!("{e:#}")))?
        };
        tracing::debug!(%origin, cache = ?cache_outcome, "component ready");
        let version = self.check_world(&component, origin)?;
        let instance_pre =
            self.linker
                .instantiate_pre(&component)
                .map_err(|e| LoadError::Link {
                    origin: origin.to_owned(),
                    message: format!("{e:#}"),
                })?;
        let pre = BlockPre::new(version, instance_pre).map_err(|e| LoadError::NotABlock {
            origin: origin.to_owned(),
            expected: version.guest_export().to_owned(),
            found: format!("incompatible signatures ({e:#})"),
        })?;
        Ok((version, pre))
    }

    /// `block`'s pre-linked component (and the block as it described itself, when that
    /// differs from its listing), linking it first when it was listed from its kept
    /// description. Concurrent first calls link once. A failure the same bytes always give
    /// (not a component, another world, an import the host lacks) is kept and answered again;
    /// one that may pass (compiling or `describe()` cut short on a busy machine) is not, so
    /// the next call tries again.
    async fn pre_of(&self, block: &LoadedBlock) -> Result<FirstLink, LoadError> {
        let kept = block
            .linked
            .outcome
            .get_or_try_init(|| async {
                match self.first_link(block).await {
                    Err(error) if !error.always_repeats() => Err(error),
                    linked => {
                        if let Err(error) = &linked {
                            tracing::error!(block = %block.info.type_name, %error, "a builtin block cannot be linked: every call of it fails with this error until the host restarts");
                        }
                        Ok(linked)
                    }
                }
            })
            .await;
        match kept {
            Ok(outcome) => outcome.clone(),
            Err(error) => {
                tracing::warn!(block = %block.info.type_name, %error, "a builtin block could not be linked at its first call: the next call tries again");
                Err(error)
            }
        }
    }

    /// Compiles (or maps), links and describes a builtin listed from its kept description,
    /// and compares the description: on a difference the kept file is replaced with the
    /// component's own answer (or dropped, when the host refuses that answer) and the block
    /// described again is returned with the link.
    async fn first_link(&self, block: &LoadedBlock) -> Result<FirstLink, LoadError> {
        let later = block.linked.later.as_ref().ok_or_else(|| LoadError::Link {
            origin: block.info.type_name.clone(),
            message: "the block has no component to link".to_owned(),
        })?;
        let origin = later.origin.as_str();
        let (version, pre) = self.link(later.bytes, &block.content_hash, origin).await?;
        let described = Kept {
            version,
            info: self.describe(&pre, origin, &block.plugin).await?,
        };
        let differences = describe_cache::differences(&later.kept, &described);
        if differences.is_empty() {
            return Ok(FirstLink {
                pre,
                redescribed: None,
            });
        }
        tracing::warn!(
            %origin,
            differences = %differences.join(", "),
            "the kept description of a builtin block differs from what its component describes: it is listed again with the component's own"
        );
        let (info, config_validator) = match BlockInfo::from_wit(described.info.clone()) {
            Ok(checked) => checked,
            Err(message) => {
                self.described.remove(&block.content_hash);
                return Err(bad_description(origin, message));
            }
        };
        self.described
            .write(&block.content_hash, version, &described.info);
        let redescribed = LoadedBlock {
            info,
            content_hash: block.content_hash.clone(),
            plugin: block.plugin.clone(),
            config_validator,
            linked: Linked::now(pre.clone()),
        };
        Ok(FirstLink {
            pre,
            redescribed: Some(Arc::new(redescribed)),
        })
    }

    /// Reads the component's export names to tell which contract version a block targets,
    /// from a block of a version this host does not run or from something else entirely.
    fn check_world(&self, component: &Component, origin: &str) -> Result<Version, LoadError> {
        let component_type = component.component_type();
        let exports: Vec<String> = component_type
            .exports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        if let Some(version) = Version::of_exports(exports.iter().map(String::as_str)) {
            return Ok(version);
        }
        if let Some(other) = exports
            .iter()
            .find(|name| name.starts_with(bindings::GUEST_EXPORT_PREFIX))
        {
            return Err(LoadError::WrongVersion {
                origin: origin.to_owned(),
                found: other.clone(),
                expected: Version::expected(),
            });
        }
        Err(LoadError::NotABlock {
            origin: origin.to_owned(),
            expected: Version::expected(),
            found: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            },
        })
    }

    fn new_store(&self, state: HostState) -> Store<HostState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(1);
        // Every host call (ours and WASI's) is timed, so that waiting in one is not charged
        // as guest CPU time while the host's work for the guest is.
        store.call_hook(|mut ctx, hook| {
            match hook {
                CallHook::CallingHost => ctx.data_mut().time.clock.entering_host(Instant::now()),
                CallHook::ReturningFromHost => {
                    ctx.data_mut().time.clock.leaving_host(Instant::now())
                }
                CallHook::CallingWasm => ctx
                    .data_mut()
                    .time
                    .clock
                    .entering_guest(Instant::now(), thread_cpu_time()),
                CallHook::ReturningFromWasm => {}
            }
            Ok(())
        });
        // At each tick: charge the guest's CPU time, check both limits, and yield so other
        // calls, the API and the wall-clock timeout progress while it computes.
        store.epoch_deadline_callback(move |mut ctx| {
            let state = ctx.data_mut();
            let now = Instant::now();
            let queued = state.models.queue.queued(now);
            let clock = &mut state.time.clock;
            clock.exclude_from_wall_clock(queued);
            match clock.tick(now, thread_cpu_time()) {
                TickDecision::Stop(exceeded) => Err(wasmtime::Error::new(LimitExceeded(exceeded))),
                TickDecision::Continue => Ok(UpdateDeadline::Continue(1)),
                TickDecision::Yield => {
                    let resume = clock.resume_handle();
                    Ok(UpdateDeadline::YieldCustom(
                        1,
                        Box::pin(async move {
                            tokio::task::yield_now().await;
                            resume.resumed();
                        }),
                    ))
                }
            }
        });
        store
    }

    fn evidence(&self, store: &Store<HostState>) -> FailureEvidence {
        let state = store.data();
        FailureEvidence {
            block_type: state.scope.block_type.clone(),
            step: state.scope.step,
            stderr: state.stderr.text(),
            refused_growth: state.limiter.refused,
            memory_limit: state.limiter.limit(),
        }
    }

    fn host_state(&self, scope: CallScope, wall_clock: Duration) -> HostState {
        HostState::new(self.services.clone(), scope, &self.limits, wall_clock)
    }

    /// What a call gets when its plugin's grant sets no limit, and the most a grant may give.
    pub fn limit_bounds(&self) -> &LimitBounds {
        &self.bounds
    }

    /// Whether loading the component `bytes` reads its compiled form from the compile cache
    /// instead of compiling it.
    pub fn is_compiled(&self, bytes: &[u8]) -> bool {
        self.cache.is_compiled(&CompileCache::content_hash(bytes))
    }

    /// What a user plugin without a stored grant may do.
    pub fn user_grant(&self) -> UserDefault {
        self.user_grant
    }

    /// The effective grant of `block`'s calls under `grants`: what it declared ∩ what its
    /// plugin is granted, its limits within the server's.
    pub fn effective_grant(&self, block: &LoadedBlock, grants: &GrantSet) -> Arc<EffectiveGrant> {
        let declared: Vec<_> = block
            .info
            .capabilities
            .iter()
            .map(|c| c.granted_as())
            .collect();
        Arc::new(effective(
            &block.plugin,
            &block.info.type_name,
            &declared,
            &grants.grant(&block.plugin),
            &self.bounds,
        ))
    }

    /// The grant `describe()` runs under: every capability (it declares none yet, so only
    /// `log` is reachable), the default time limits, and memory at the most a grant may give.
    /// A load is shared by every grant set (the server's table, a `--grants` file), so the
    /// plugin's own grant is not known here; a component whose initial memory or `describe()`
    /// needs more than `BLOCK_MEMORY_MB` still loads, and its calls then run under its grant.
    fn describe_grant(&self, plugin: &PluginId, origin: &str) -> EffectiveGrant {
        let mut grant = effective(plugin, origin, &[], &Grant::all(), &self.bounds);
        grant.limits.memory_bytes = self.bounds.maxima.memory_bytes;
        grant
    }

    async fn describe(
        &self,
        pre: &BlockPre<HostState>,
        origin: &str,
        plugin: &PluginId,
    ) -> Result<wit::BlockInfo, LoadError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| LoadError::Describe {
                origin: origin.to_owned(),
                message: "the runtime is shutting down".to_owned(),
            })?;
        let scope = CallScope {
            trace_id: "describe".to_owned(),
            step: 0,
            block_type: origin.to_owned(),
            job_kv: crate::kv::KvNamespace::Job(String::new()),
            pipeline_kv: crate::kv::KvNamespace::Pipeline(String::new()),
            // describe() answers from the block alone: its model calls are never kept.
            cache: crate::llm::CacheMode::Off,
            budget: None,
            run_deadline: None,
            lease: None,
            // describe() declares nothing yet: it may only log (the template slice's
            // `describe_only` refuses renders).
            grant: Arc::new(self.describe_grant(plugin, origin)),
            http_requests: Arc::default(),
        };
        let timeout = self.limits.wall_clock.min(self.limits.describe_time);
        let mut state = self.host_state(scope, timeout);
        state.template.describe_only = true;
        let mut store = self.new_store(state);
        let pre = pre.clone();
        let call = async move {
            let result = tokio::time::timeout(timeout, async {
                let started = Instant::now();
                let instance = pre.instantiate_async(&mut store).await?;
                let instantiated = started.elapsed();
                let info = instance.describe(&mut store).await;
                tracing::debug!(
                    instantiate_ms = instantiated.as_secs_f64() * 1e3,
                    call_ms = (started.elapsed() - instantiated).as_secs_f64() * 1e3,
                    "describe() called"
                );
                info
            })
            .await;
            (result, store)
        };
        let describe_error = |message: String| describe_error(origin, message);
        let (result, store) = self
            .guests
            .run(call)
            .await
            .map_err(|e| describe_error(e.to_string()))?;
        match result {
            Err(_) => Err(describe_error(
                self.evidence(&store).wall_clock(timeout).message,
            )),
            Ok(Err(e)) => Err(describe_error(self.evidence(&store).classify(&e).message)),
            Ok(Ok(info)) => Ok(info),
        }
    }

    /// Runs `block` once on `state` with `config`, in a fresh instance.
    ///
    /// The call is in a `block` span (block type and step; a run's span around it carries
    /// the trace id), followed into the threads block calls run on, and ends with a DEBUG
    /// line saying how it went.
    pub async fn execute(
        &self,
        block: &LoadedBlock,
        state: &Map<String, Value>,
        config: &Map<String, Value>,
        scope: CallScope,
    ) -> CallReport {
        use tracing::Instrument as _;
        let span = tracing::error_span!("block", block = %scope.block_type, step = scope.step);
        async {
            let report = self.execute_call(block, state, config, scope).await;
            let failure = report.outcome.as_ref().err();
            tracing::debug!(
                wall_ms = report.wall_time.as_secs_f64() * 1000.0,
                llm_calls = report.llm_calls,
                failure = failure.map(|f| f.kind.name()),
                "block call finished"
            );
            report
        }
        .instrument(span)
        .await
    }

    /// [`Self::execute`] inside its span.
    async fn execute_call(
        &self,
        block: &LoadedBlock,
        state: &Map<String, Value>,
        config: &Map<String, Value>,
        scope: CallScope,
    ) -> CallReport {
        // A builtin listed from its kept description is linked here, on its first call,
        // before the call's clocks start: linking never counts against its limits.
        let linked = self.pre_of(block).await;
        let permit = self.permits.acquire().await;
        let started = Instant::now();
        let context = wit::Context {
            state: serde_json::to_string(state).unwrap_or_else(|_| "{}".to_owned()),
            config: serde_json::to_string(config).unwrap_or_else(|_| "{}".to_owned()),
            trace_id: scope.trace_id.clone(),
            step: scope.step,
        };
        let granted = scope.grant.limits;
        let caller = FailureEvidence {
            block_type: scope.block_type.clone(),
            step: scope.step,
            stderr: String::new(),
            refused_growth: None,
            memory_limit: granted.memory_bytes,
        };
        let FirstLink { pre, redescribed } = match linked {
            Ok(linked) => linked,
            Err(e) => return CallReport::failed(caller.not_loaded(&e), started),
        };
        // Output is checked against what the component describes, when that differs from
        // what the block was listed with.
        let info = redescribed
            .as_ref()
            .map_or(&block.info, |block| &block.info);
        let mut store = self.new_store(self.host_state(scope, granted.wall_clock));
        let outcome = match &permit {
            Err(_) => Err(self.evidence(&store).shutting_down()),
            Ok(_) => {
                let wall_clock = granted.wall_clock;
                let queue = store.data().models.queue.clone();
                let call = async move {
                    let excluded = |now| queue.queued(now);
                    let within = within_wall_clock(Instant::now(), wall_clock, excluded, async {
                        let instance = match pre.instantiate_async(&mut store).await {
                            Ok(instance) => instance,
                            Err(e) => return Err((true, e)),
                        };
                        instance
                            .execute(&mut store, &context)
                            .await
                            .map_err(|e| (false, e))
                    })
                    .await;
                    (within.ok_or(()), store)
                };
                let (result, returned) = match self
                    .guests
                    .run(tracing::Instrument::in_current_span(call))
                    .await
                {
                    Ok(done) => done,
                    Err(e) => {
                        // The store went with the task: only the failure is left to report.
                        return CallReport::failed(caller.host_failure(&e), started);
                    }
                };
                store = returned;
                let evidence = self.evidence(&store);
                match result {
                    Err(_) => Err(evidence.wall_clock(granted.wall_clock)),
                    Ok(Err((true, e))) => Err(evidence.instantiation(&e)),
                    Ok(Err((false, e))) => Err(evidence.classify(&e)),
                    Ok(Ok(Err(e))) => {
                        let detail = e.detail.as_deref().map(|d| {
                            serde_json::from_str(d).unwrap_or_else(|_| Value::String(d.to_owned()))
                        });
                        Err(evidence.block_error(error_code_name(e.code), &e.message, detail))
                    }
                    Ok(Ok(Ok(output))) => self
                        .check_output(info, output, granted.output_bytes)
                        .map_err(|refused| match refused {
                            OutputRefused::Invalid(what) => evidence.invalid_output(what),
                            OutputRefused::FanOut { children, limit } => {
                                evidence.fan_out(children, limit)
                            }
                        }),
                }
            }
        };
        let state = store.into_data();
        // The permit goes only now that the store (and with it the instance's pool slot) is
        // gone: released before, it let a waiting call on another thread instantiate while
        // this slot was still taken, and fail at the pool's limit ("maximum concurrent limit
        // ... for component instances reached") with more runs in flight than instances.
        drop(permit);
        CallReport {
            outcome,
            usage: state.models.usage,
            usage_by_model: state.models.usage_by_model,
            llm_calls: state.models.llm_calls,
            llm_call_log: state.models.journal.take(),
            http_calls: state.http.calls,
            logs: state.log.lines,
            logs_dropped: state.log.dropped,
            stdout: state.stdout.text(),
            stderr: state.stderr.text(),
            wall_time: started.elapsed(),
            import_time: state.time.in_imports,
            cpu_time: state.time.clock.cpu_time(),
        }
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks and parses a block's output; the error is what the block did wrong. A
    /// multiplier's number of children is checked first, before any child is parsed.
    fn check_output(
        &self,
        info: &BlockInfo,
        output: wit::BlockOutput,
        limit: usize,
    ) -> Result<CallOutput, OutputRefused> {
        if let wit::BlockOutput::Seeds(seeds) = &output
            && seeds.len() > self.limits.max_children
        {
            return Err(OutputRefused::FanOut {
                children: seeds.len(),
                limit: self.limits.max_children,
            });
        }
        let size = match &output {
            wit::BlockOutput::Object(text) => text.len(),
            wit::BlockOutput::Seeds(seeds) => seeds.iter().map(String::len).sum(),
        };
        if size > limit {
            return Err(OutputRefused::Invalid(format!(
                "returned {} of output, above the limit of {}",
                limits::format_bytes(size as u64),
                limits::format_bytes(limit as u64)
            )));
        }
        let parse = |text: &str| -> Result<Map<String, Value>, String> {
            let object = match serde_json::from_str(text) {
                Ok(Value::Object(object)) => object,
                Ok(other) => {
                    return Err(format!(
                        "returned {} where a JSON object is required",
                        crate::json::json_type(&other)
                    ));
                }
                Err(e) => return Err(format!("returned output that is not JSON: {e}")),
            };
            let undeclared: Vec<&str> = object
                .keys()
                .filter(|k| !info.allows_output(k))
                .map(String::as_str)
                .collect();
            if !undeclared.is_empty() {
                return Err(format!(
                    "returned undeclared output keys [{}]; declared outputs are [{}]",
                    undeclared.join(", "),
                    info.outputs.join(", ")
                ));
            }
            Ok(object)
        };
        let checked = match (output, info.kind) {
            (wit::BlockOutput::Object(text), BlockKind::Transform) => {
                parse(&text).map(CallOutput::Object)
            }
            (wit::BlockOutput::Seeds(seeds), BlockKind::Multiplier) => seeds
                .iter()
                .map(|s| parse(s))
                .collect::<Result<_, _>>()
                .map(CallOutput::Seeds),
            (wit::BlockOutput::Object(_), BlockKind::Multiplier) => {
                Err("is a multiplier but returned one object instead of seeds".to_owned())
            }
            (wit::BlockOutput::Seeds(_), BlockKind::Transform) => {
                Err("is a transform but returned seeds; only multipliers may".to_owned())
            }
        };
        checked.map_err(OutputRefused::Invalid)
    }
}

/// Why a call's output was refused.
enum OutputRefused {
    /// Too large, not JSON objects, undeclared keys, or the wrong shape for the block's kind.
    Invalid(String),
    /// A multiplier returned more children than one seed may have.
    FanOut {
        /// Children returned.
        children: usize,
        /// The limit.
        limit: usize,
    },
}

fn error_code_name(code: wit::ErrorCode) -> &'static str {
    match code {
        wit::ErrorCode::InvalidConfig => "invalid config",
        wit::ErrorCode::InvalidInput => "invalid input",
        wit::ErrorCode::HostCallFailed => "host call failed",
        wit::ErrorCode::Rejected => "rejected",
        wit::ErrorCode::Internal => "internal error",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::grants::GrantSet;

    /// A component's header followed by bytes that are no section: wasmtime cannot compile it.
    static UNCOMPILABLE: &[u8] = b"\0asm\x0d\0\x01\0\xff\xff\xff\xff";
    /// The smallest component, a header alone: it compiles, and exports nothing.
    static EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    /// A runtime caching in `dir`, whose model endpoint no call of these tests reaches.
    fn runtime(dir: &std::path::Path) -> Runtime {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let endpoint = crate::llm::client::EndpointConfig::new("http://127.0.0.1:9/v1");
        let router =
            crate::llm::routing::ModelRouter::new(endpoint.clone(), endpoint, &BTreeMap::new())
                .expect("a model router");
        let services = HostServices {
            llm: Arc::new(router),
            kv: Arc::new(crate::kv::MemoryKv::new(crate::kv::KvQuota::default())),
            structured_output_repairs: 0,
            outbound: Arc::new(crate::outbound::Outbound::new().expect("the http capability")),
        };
        let config = RuntimeConfig {
            limits: Limits {
                max_instances: 4,
                ..Limits::default()
            },
            cache_dir: Some(dir.to_owned()),
            ..RuntimeConfig::default()
        };
        Runtime::new(config, services).expect("a runtime")
    }

    fn private_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        dir
    }

    fn described() -> wit::BlockInfo {
        wit::BlockInfo {
            type_name: "Broken".to_owned(),
            name: "Broken".to_owned(),
            description: "cannot be linked".to_owned(),
            category: "testing".to_owned(),
            inputs: Vec::new(),
            outputs: vec!["ok".to_owned()],
            config_schema: r#"{"type":"object"}"#.to_owned(),
            capabilities: Vec::new(),
            kind: wit::BlockKind::Transform,
        }
    }

    /// A builtin of `bytes` listed from a kept description under `content_hash`.
    async fn listed(runtime: &Runtime, bytes: &'static [u8], content_hash: &str) -> LoadedBlock {
        runtime
            .described
            .write(content_hash, Version::V0_2_0, &described());
        runtime
            .load_builtin(
                bytes,
                content_hash,
                "builtin:broken",
                PluginId::builtin("broken"),
            )
            .await
            .expect("listed from its kept description")
    }

    /// How one call of `block` failed.
    async fn failure(runtime: &Runtime, block: &LoadedBlock) -> BlockFailure {
        let scope = CallScope {
            trace_id: "trace".to_owned(),
            step: 0,
            block_type: block.info.type_name.clone(),
            job_kv: crate::kv::KvNamespace::Job(String::new()),
            pipeline_kv: crate::kv::KvNamespace::Pipeline(String::new()),
            cache: crate::llm::CacheMode::Off,
            budget: None,
            run_deadline: None,
            lease: None,
            grant: runtime.effective_grant(block, &GrantSet::default()),
            http_requests: Arc::default(),
        };
        runtime
            .execute(block, &Map::new(), &Map::new(), scope)
            .await
            .outcome
            .expect_err("the call fails")
    }

    #[test]
    fn a_refused_description_always_repeats_and_a_describe_that_did_not_answer_may_pass() {
        let origin = "b.wasm";
        let refused = bad_description(origin, "describe() returned the type name \"a b\"".into());
        assert!(refused.always_repeats());
        assert!(
            refused
                .to_string()
                .contains("a description the host refuses")
        );
        let timed_out = describe_error(origin, "exceeded its wall-clock limit".into());
        assert!(!timed_out.always_repeats());
    }

    #[tokio::test]
    async fn a_first_link_failure_that_may_pass_is_tried_again_and_one_that_always_repeats_is_kept()
    {
        let dir = private_dir();
        let runtime = runtime(dir.path());
        let hash = "a-builtin-that-cannot-be-compiled";
        let block = listed(&runtime, UNCOMPILABLE, hash).await;
        assert!(!block.is_linked() && block.link_error().is_none());

        // Compiling fails: that may pass (a busy machine, memory), so nothing is kept.
        let first = failure(&runtime, &block).await;
        assert_eq!(first.kind, FailureKind::Instantiation, "{first:?}");
        assert!(
            first.message.contains("could not be compiled"),
            "{}",
            first.message
        );
        assert!(block.link_error().is_none());

        // The next call links again: it now maps a compiled component from the cache (one
        // exporting nothing), a failure the same bytes always give, which is kept.
        let compiled = Component::new(&runtime.engine, EMPTY_COMPONENT)
            .and_then(|component| component.serialize())
            .expect("the empty component compiles");
        let path = runtime.cache.path_for(hash).expect("a cache folder");
        std::fs::write(&path, compiled).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let second = failure(&runtime, &block).await;
        assert!(
            second
                .message
                .contains("does not target the blockforge block world"),
            "{}",
            second.message
        );
        assert!(block.link_error().is_some());

        // Without the cached component a new link would fail to compile again; the block
        // answers with its kept failure, without linking again.
        std::fs::remove_file(&path).expect("remove the cached component");
        for _ in 0..2 {
            assert_eq!(failure(&runtime, &block).await.message, second.message);
        }
        assert!(!block.is_linked());
    }
}
