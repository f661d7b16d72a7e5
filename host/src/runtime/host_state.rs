//! What the store of one block call holds: the WASI context (which grants nothing), the
//! caller's scope, the call's clock, and one slice per host capability. This is where the
//! block world is assembled ([`HostState::add_to_linker`]): one line per capability, each
//! giving the capability a getter from the store data to its view.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{since_v0_1_0, since_v0_2_0};
use super::call_clock::CallClock;
use super::call_scope::CallScope;
use super::capture::BoundedCapture;
use super::import_time::ImportTime;
use super::imports::http::{HttpState, HttpView};
use super::imports::kv::{KvState, KvView};
use super::imports::llm::{ModelState, ModelView};
use super::imports::log::{LogState, LogView};
use super::imports::template::{TemplateState, TemplateView};
use super::imports::{embeddings, http, kv, llm, log, template};
use super::limits::Limits;
use crate::kv::{KvQuota, KvStore};
use crate::llm::LlmGateway;
use crate::outbound::Outbound;

/// The host's services, shared by every call.
#[derive(Clone)]
pub struct HostServices {
    /// Where model calls go.
    pub llm: Arc<dyn LlmGateway>,
    /// Storage behind the `kv` import.
    pub kv: Arc<dyn KvStore>,
    /// Re-asks allowed when a structured answer fails its schema.
    pub structured_output_repairs: u32,
    /// Where `http` requests go.
    pub outbound: Arc<Outbound>,
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
    /// The caller.
    pub scope: CallScope,
    /// The call's CPU time and wall clock, and its time in host imports.
    pub time: ImportTime,
    /// The model capabilities' (`llm`, `embeddings`) slice: their gateway, what their calls
    /// used, the time queued for a provider.
    pub models: ModelState,
    /// The `kv` capability's slice: its store and the quota of this plugin's writes.
    pub kv: KvState,
    /// The `log` capability's slice: the lines kept and dropped.
    pub log: LogState,
    /// The `template` capability's slice.
    pub template: TemplateState,
    /// The `http` capability's slice: its service and the requests sent.
    pub http: HttpState,
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
        let stdout = BoundedCapture::new(limits.stdio_bytes);
        let stderr = BoundedCapture::new(limits.stdio_bytes);
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        let mut table = ResourceTable::new();
        // Streams and pollables a block may hold at once; the default is a million.
        table.set_max_capacity(MAX_RESOURCES);
        let kv_quota = KvQuota {
            max_keys: granted.kv_max_keys,
            max_bytes: granted.kv_max_bytes,
        };
        HostState {
            wasi,
            table,
            limiter: MemoryLimiter::new(granted.memory_bytes),
            models: ModelState::new(
                services.llm,
                services.structured_output_repairs,
                scope.run_deadline,
                scope.lease.clone(),
            ),
            kv: KvState::new(services.kv, kv_quota),
            log: LogState::new(limits.log_lines),
            template: TemplateState::default(),
            http: HttpState::new(services.outbound),
            time: ImportTime::new(CallClock::new(Instant::now(), granted.cpu_time, wall_clock)),
            scope,
            stdout,
            stderr,
        }
    }

    /// Defines every import of the block world in `linker`: one line per capability, each
    /// given the getter of its view.
    pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
        since_v0_1_0::blockforge::block::types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
        since_v0_2_0::blockforge::block::types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
        llm::add_to_linker(linker, HostState::models_view)?;
        embeddings::add_to_linker(linker, HostState::models_view)?;
        kv::add_to_linker(linker, HostState::kv_view)?;
        log::add_to_linker(linker, HostState::log_view)?;
        template::add_to_linker(linker, HostState::template_view)?;
        http::add_to_linker(linker, HostState::http_view)
    }

    /// The `http` capability's view.
    fn http_view(&mut self) -> HttpView<'_> {
        HttpView {
            state: &mut self.http,
            scope: &self.scope,
            time: &mut self.time,
        }
    }

    /// The model capabilities' view: their slice, the scope, the import time.
    fn models_view(&mut self) -> ModelView<'_> {
        ModelView {
            state: &mut self.models,
            scope: &self.scope,
            time: &mut self.time,
        }
    }

    /// The `kv` capability's view.
    fn kv_view(&mut self) -> KvView<'_> {
        KvView {
            state: &self.kv,
            scope: &self.scope,
            time: &mut self.time,
        }
    }

    /// The `log` capability's view.
    fn log_view(&mut self) -> LogView<'_> {
        LogView {
            state: &mut self.log,
            scope: &self.scope,
        }
    }

    /// The `template` capability's view.
    fn template_view(&mut self) -> TemplateView<'_> {
        TemplateView {
            state: &self.template,
            scope: &self.scope,
            time: &mut self.time,
        }
    }
}

/// The `types` interface defines no function: nothing to give it but the store data.
impl since_v0_1_0::blockforge::block::types::Host for HostState {}

/// The `types` interface defines no function: nothing to give it but the store data.
impl since_v0_2_0::blockforge::block::types::Host for HostState {}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
