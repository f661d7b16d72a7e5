//! The `kv` import: storage scoped to the job or the pipeline of the calling run.

use std::time::Instant;

use std::sync::Arc;

use crate::grants::Capability;
use crate::kv::{KvError, KvNamespace, KvStore};
use crate::runtime::bindings::blockforge::block::kv as wit;
use crate::runtime::failure::{FailureKind, Refused};
use crate::runtime::host_state::HostState;

impl HostState {
    /// The store and namespace of `scope` for the calling block, once its `kv` capability is
    /// checked.
    fn kv_for(&self, scope: wit::Scope) -> Result<(Arc<dyn KvStore>, KvNamespace), String> {
        self.check(Capability::Kv)?;
        let ns = match scope {
            wit::Scope::Job => self.scope.job_kv.clone(),
            wit::Scope::Pipeline => self.scope.pipeline_kv.clone(),
        };
        Ok((self.services.kv.clone(), ns))
    }

    /// The `kv` quota of the calling plugin's grant.
    fn kv_quota(&self) -> crate::kv::KvQuota {
        let limits = self.scope.grant.limits;
        crate::kv::KvQuota {
            max_keys: limits.kv_max_keys,
            max_bytes: limits.kv_max_bytes,
        }
    }

    /// Counts the operation's time as import time and turns its error into the guest's.
    fn kv_done<R>(&mut self, started: Instant, result: Result<R, KvError>) -> Result<R, String> {
        self.record_import(started.elapsed());
        result.map_err(|e| e.to_string())
    }

    /// As [`Self::kv_done`] for a write, except that a full namespace ends the block call: a
    /// block told "full" could ignore it and keep writing.
    fn kv_written<R>(
        &mut self,
        started: Instant,
        result: Result<R, KvError>,
    ) -> wasmtime::Result<Result<R, String>> {
        if let Err(KvError::Quota(exceeded)) = &result {
            self.record_import(started.elapsed());
            return Err(wasmtime::Error::new(Refused {
                kind: FailureKind::KvQuota,
                message: exceeded.to_string(),
            }));
        }
        Ok(self.kv_done(started, result))
    }
}

impl wit::Host for HostState {
    async fn get(&mut self, scope: wit::Scope, key: String) -> Result<Option<String>, String> {
        let (kv, ns) = self.kv_for(scope)?;
        let started = Instant::now();
        let result = kv.get(&ns, &key).await;
        self.kv_done(started, result)
    }

    async fn set(
        &mut self,
        scope: wit::Scope,
        key: String,
        value: String,
    ) -> wasmtime::Result<Result<(), String>> {
        let (kv, ns) = match self.kv_for(scope) {
            Ok(found) => found,
            Err(denied) => return Ok(Err(denied)),
        };
        let started = Instant::now();
        let result = kv.set_within(&ns, &key, &value, self.kv_quota()).await;
        self.kv_written(started, result)
    }

    async fn set_if_absent(
        &mut self,
        scope: wit::Scope,
        key: String,
        value: String,
    ) -> wasmtime::Result<Result<bool, String>> {
        let (kv, ns) = match self.kv_for(scope) {
            Ok(found) => found,
            Err(denied) => return Ok(Err(denied)),
        };
        let started = Instant::now();
        let result = kv
            .set_if_absent_within(&ns, &key, &value, self.kv_quota())
            .await;
        self.kv_written(started, result)
    }

    async fn delete(&mut self, scope: wit::Scope, key: String) -> Result<bool, String> {
        let (kv, ns) = self.kv_for(scope)?;
        let started = Instant::now();
        let result = kv.delete(&ns, &key).await;
        self.kv_done(started, result)
    }

    async fn keys(
        &mut self,
        scope: wit::Scope,
        prefix: String,
        limit: u32,
    ) -> Result<Vec<String>, String> {
        let (kv, ns) = self.kv_for(scope)?;
        let started = Instant::now();
        let result = kv.keys(&ns, &prefix, limit.min(10_000) as usize).await;
        self.kv_done(started, result)
    }
}
