//! What the store of one block call holds: the WASI context (which grants nothing), the host
//! services the imports reach, and what the call accumulates (usage, logs, time in imports).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::call_clock::CallClock;
use super::capture::BoundedCapture;
use super::limits::Limits;
use crate::grants::{Capability, EffectiveGrant};
use crate::kv::{KvNamespace, KvStore};
use crate::llm::queue_time::QueueTime;
use crate::llm::{CacheMode, LlmGateway};
use crate::usage::JobBudget;

/// The host's services, shared by every call.
#[derive(Clone)]
pub struct HostServices {
    /// Where model calls go.
    pub llm: Arc<dyn LlmGateway>,
    /// Storage behind the `kv` import.
    pub kv: Arc<dyn KvStore>,
    /// Re-asks allowed when a structured answer fails its schema.
    pub structured_output_repairs: u32,
}

/// Who is calling: the run, the step and the key spaces its `kv` calls reach.
#[derive(Debug, Clone)]
pub struct CallScope {
    /// Trace id of the run.
    pub trace_id: String,
    /// Position of the block in the pipeline.
    pub step: u32,
    /// Block type name, for logs and errors.
    pub block_type: String,
    /// Key space of the job.
    pub job_kv: KvNamespace,
    /// Key space of the pipeline.
    pub pipeline_kv: KvNamespace,
    /// What the response cache may do for this call's LLM requests (the job's setting).
    pub cache: CacheMode,
    /// The job's token and cost budget, shared by its runs; `None`: unlimited.
    pub budget: Option<Arc<JobBudget>>,
    /// When the run stops waiting for a provider (`LLM_RUN_DEADLINE_SECS` after it started);
    /// `None`: each model call's start plus the default.
    pub run_deadline: Option<std::time::Instant>,
    /// What the block may do in this call (declared ∩ granted) and its limits.
    pub grant: Arc<EffectiveGrant>,
}

/// One log line a block wrote through the `log` import.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogLine {
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The text.
    pub message: String,
}

/// Memory limit per call, over every linear memory of the component (a component may hold
/// several); remembers the growth it refused so the error can say so.
pub struct MemoryLimiter {
    limit: usize,
    total: usize,
    /// `(total before, total requested)` of the first refused growth.
    pub refused: Option<(usize, usize)>,
}

impl MemoryLimiter {
    /// A limiter allowing `limit` bytes of linear memory in all.
    pub fn new(limit: usize) -> Self {
        MemoryLimiter {
            limit,
            total: 0,
            refused: None,
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let requested = self.total.saturating_add(desired.saturating_sub(current));
        if requested > self.limit {
            self.refused.get_or_insert((self.total, requested));
            return Ok(false);
        }
        self.total = requested;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Most WASI resources (streams, pollables) one call may hold at once.
const MAX_RESOURCES: usize = 10_000;

/// The data of one call's store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Memory limit of the call.
    pub limiter: MemoryLimiter,
    /// Shared services.
    pub services: HostServices,
    /// The caller.
    pub scope: CallScope,
    /// The call is `describe()`, which may only call `log`.
    pub describe_only: bool,
    /// The model capabilities' (`llm`, `embeddings`) slice: what their calls used.
    pub models: super::imports::ModelCalls,
    /// Time the call's model requests spent queued for the provider, left out of its wall
    /// clock.
    pub queue: QueueTime,
    /// Time spent inside host imports (model calls, storage, rendering).
    pub import_time: Duration,
    /// The `log` capability's slice: the lines kept and dropped.
    pub log: super::imports::LogState,
    /// The call's CPU time and wall clock.
    pub clock: CallClock,
    /// Captured stdout.
    pub stdout: BoundedCapture,
    /// Captured stderr.
    pub stderr: BoundedCapture,
}

impl HostState {
    /// A fresh state: a WASI context with no files, no environment, no arguments and no
    /// network, and stdout/stderr captured up to `stdio_bytes` each.
    pub fn new(
        services: HostServices,
        scope: CallScope,
        limits: &Limits,
        wall_clock: Duration,
    ) -> Self {
        let granted = scope.grant.limits;
        let (memory_bytes, stdio_bytes, max_log_lines) =
            (granted.memory_bytes, limits.stdio_bytes, limits.log_lines);
        let stdout = BoundedCapture::new(stdio_bytes);
        let stderr = BoundedCapture::new(stdio_bytes);
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        let queue = QueueTime::new(scope.run_deadline);
        let mut table = ResourceTable::new();
        // Streams and pollables a block may hold at once; the default is a million.
        table.set_max_capacity(MAX_RESOURCES);
        HostState {
            wasi,
            table,
            limiter: MemoryLimiter::new(memory_bytes),
            services,
            scope,
            describe_only: false,
            models: super::imports::ModelCalls::default(),
            queue,
            import_time: Duration::ZERO,
            log: super::imports::LogState::new(max_log_lines),
            clock: CallClock::new(std::time::Instant::now(), granted.cpu_time, wall_clock),
            stdout,
            stderr,
        }
    }

    /// Accounts `elapsed` as time spent inside a host import waiting (for a model, the
    /// database): reported with the call, and not guest CPU time.
    pub fn record_import(&mut self, elapsed: Duration) {
        self.import_time += elapsed;
        self.clock.flag_wait(elapsed);
    }

    /// Accounts `elapsed` as time spent inside a host import of which `work` was the host
    /// working for the block (rendering, parsing), on another thread when `elsewhere`:
    /// reported with the call, and the work is guest CPU time.
    pub fn record_import_work(&mut self, elapsed: Duration, work: Duration, elsewhere: bool) {
        self.import_time += elapsed;
        self.clock.flag_work(elsewhere);
        self.clock.flag_wait(elapsed.saturating_sub(work));
    }

    /// `Ok` when the call may use `capability` (declared and granted), else the `denied`
    /// message naming it and the plugin.
    pub fn check(&self, capability: Capability) -> Result<(), String> {
        self.scope.grant.check(capability)
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
