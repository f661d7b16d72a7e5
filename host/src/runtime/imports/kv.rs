//! The `kv` import: storage scoped to the job or the pipeline of the calling run.
//!
//! Its slice of a call's store data is [`KvState`] (the store and the quota this call's writes
//! are held to); its host functions see only a [`KvView`]: that slice, the caller's scope
//! (its grant and its key spaces) and the call's import time.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{HasData, Linker};

use crate::grants::Capability;
use crate::kv::{KvError, KvNamespace, KvQuota, KvStore};
use crate::runtime::call_scope::CallScope;
use crate::runtime::failure::{FailureKind, Refused};
use crate::runtime::import_time::ImportTime;

/// The `kv` capability's slice of a call's store data.
pub struct KvState {
    /// Where keys are kept.
    store: Arc<dyn KvStore>,
    /// What the calling plugin's writes may bring a namespace to: its grant's quota.
    quota: KvQuota,
}

impl KvState {
    /// The slice of a call whose writes `quota` holds, on `store`.
    pub fn new(store: Arc<dyn KvStore>, quota: KvQuota) -> Self {
        KvState { store, quota }
    }
}

/// What the `kv` host functions see of a call.
pub struct KvView<'a> {
    /// The capability's slice.
    pub state: &'a KvState,
    /// The caller: its grant and its key spaces.
    pub scope: &'a CallScope,
    /// Where the time waiting for the store is accounted.
    pub time: &'a mut ImportTime,
}

/// The [`HasData`] marker of the `kv` capability: its host functions run on a [`KvView`].
pub struct Kv;

impl HasData for Kv {
    type Data<'a> = KvView<'a>;
}

/// Defines `kv` in `linker`, for every contract version; `view` finds the capability's view
/// in the store data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KvView<'_>,
) -> wasmtime::Result<()> {
    use crate::runtime::bindings::{since_v0_1_0, since_v0_2_0};
    since_v0_1_0::blockforge::block::kv::add_to_linker::<T, Kv>(linker, view)?;
    since_v0_2_0::blockforge::block::kv::add_to_linker::<T, Kv>(linker, view)
}

impl KvView<'_> {
    /// The namespace of the job (`pipeline` false) or the pipeline for the calling block,
    /// once its `kv` capability is checked.
    fn namespace_of(&self, pipeline: bool) -> Result<&KvNamespace, String> {
        self.scope.grant.check(Capability::Kv)?;
        Ok(if pipeline {
            &self.scope.pipeline_kv
        } else {
            &self.scope.job_kv
        })
    }

    /// Counts the operation's time as import time and turns its error into the guest's.
    fn done<R>(&mut self, started: Instant, result: Result<R, KvError>) -> Result<R, String> {
        self.time.record_wait(started.elapsed());
        result.map_err(|e| e.to_string())
    }

    /// As [`Self::done`] for a write, except that a full namespace ends the block call: a
    /// block told "full" could ignore it and keep writing.
    fn written<R>(
        &mut self,
        started: Instant,
        result: Result<R, KvError>,
    ) -> wasmtime::Result<Result<R, String>> {
        if let Err(KvError::Quota(exceeded)) = &result {
            self.time.record_wait(started.elapsed());
            return Err(wasmtime::Error::new(Refused {
                kind: FailureKind::KvQuota,
                message: exceeded.to_string(),
            }));
        }
        Ok(self.done(started, result))
    }
}

/// The `Host` impl of `kv`, once per contract version (the same shapes under different
/// paths).
macro_rules! versioned {
    ($version:ident) => {
        mod $version {
            use std::time::Instant;

            use super::KvView;
            use crate::kv::KvNamespace;
            use crate::runtime::bindings::$version::blockforge::block::kv as wit;

            /// The namespace of `scope` for the calling block, once its `kv` capability is
            /// checked.
            fn namespace<'a>(
                view: &'a KvView<'_>,
                scope: wit::Scope,
            ) -> Result<&'a KvNamespace, String> {
                view.namespace_of(matches!(scope, wit::Scope::Pipeline))
            }

            impl wit::Host for KvView<'_> {
                async fn get(
                    &mut self,
                    scope: wit::Scope,
                    key: String,
                ) -> Result<Option<String>, String> {
                    let ns = namespace(self, scope)?;
                    let started = Instant::now();
                    let result = self.state.store.get(ns, &key).await;
                    self.done(started, result)
                }

                async fn set(
                    &mut self,
                    scope: wit::Scope,
                    key: String,
                    value: String,
                ) -> wasmtime::Result<Result<(), String>> {
                    let ns = match namespace(self, scope) {
                        Ok(ns) => ns,
                        Err(denied) => return Ok(Err(denied)),
                    };
                    let started = Instant::now();
                    let result = self
                        .state
                        .store
                        .set_within(ns, &key, &value, self.state.quota)
                        .await;
                    self.written(started, result)
                }

                async fn set_if_absent(
                    &mut self,
                    scope: wit::Scope,
                    key: String,
                    value: String,
                ) -> wasmtime::Result<Result<bool, String>> {
                    let ns = match namespace(self, scope) {
                        Ok(ns) => ns,
                        Err(denied) => return Ok(Err(denied)),
                    };
                    let started = Instant::now();
                    let result = self
                        .state
                        .store
                        .set_if_absent_within(ns, &key, &value, self.state.quota)
                        .await;
                    self.written(started, result)
                }

                async fn delete(&mut self, scope: wit::Scope, key: String) -> Result<bool, String> {
                    let ns = namespace(self, scope)?;
                    let started = Instant::now();
                    let result = self.state.store.delete(ns, &key).await;
                    self.done(started, result)
                }

                async fn keys(
                    &mut self,
                    scope: wit::Scope,
                    prefix: String,
                    limit: u32,
                ) -> Result<Vec<String>, String> {
                    let ns = namespace(self, scope)?;
                    let started = Instant::now();
                    let result = self
                        .state
                        .store
                        .keys(ns, &prefix, limit.min(10_000) as usize)
                        .await;
                    self.done(started, result)
                }
            }
        }
    };
}

versioned!(since_v0_1_0);
versioned!(since_v0_2_0);
