//! The `kv` import: storage scoped to the job or the pipeline of the calling run.

use std::time::Instant;

use crate::kv::{KvError, KvNamespace};
use crate::runtime::bindings::blockforge::block::kv as wit;
use crate::runtime::host_state::HostState;
use crate::runtime::info::Capability;

impl HostState {
    fn kv_call<R>(
        &mut self,
        scope: wit::Scope,
        op: impl FnOnce(&dyn crate::kv::KvStore, &KvNamespace) -> Result<R, KvError>,
    ) -> Result<R, String> {
        if !self.has(Capability::Kv) {
            return Err(format!(
                "{} did not declare the `kv` capability in describe()",
                self.scope.block_type
            ));
        }
        let started = Instant::now();
        let ns = match scope {
            wit::Scope::Job => &self.scope.job_kv,
            wit::Scope::Pipeline => &self.scope.pipeline_kv,
        };
        let result = op(self.services.kv.as_ref(), ns).map_err(|e| e.to_string());
        self.record_import(started.elapsed());
        result
    }
}

impl wit::Host for HostState {
    async fn get(&mut self, scope: wit::Scope, key: String) -> Result<Option<String>, String> {
        self.kv_call(scope, |kv, ns| kv.get(ns, &key))
    }

    async fn set(&mut self, scope: wit::Scope, key: String, value: String) -> Result<(), String> {
        self.kv_call(scope, |kv, ns| kv.set(ns, &key, &value))
    }

    async fn set_if_absent(
        &mut self,
        scope: wit::Scope,
        key: String,
        value: String,
    ) -> Result<bool, String> {
        self.kv_call(scope, |kv, ns| kv.set_if_absent(ns, &key, &value))
    }

    async fn delete(&mut self, scope: wit::Scope, key: String) -> Result<bool, String> {
        self.kv_call(scope, |kv, ns| kv.delete(ns, &key))
    }

    async fn keys(
        &mut self,
        scope: wit::Scope,
        prefix: String,
        limit: u32,
    ) -> Result<Vec<String>, String> {
        self.kv_call(scope, |kv, ns| {
            kv.keys(ns, &prefix, limit.min(10_000) as usize)
        })
    }
}
