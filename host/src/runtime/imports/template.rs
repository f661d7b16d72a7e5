//! The `template` import: the host's minijinja, so every guest language renders alike.

use std::time::Instant;

use crate::runtime::bindings::blockforge::block::template as wit;
use crate::runtime::host_state::HostState;

impl wit::Host for HostState {
    async fn render(&mut self, source: String, context: String) -> Result<String, String> {
        let started = Instant::now();
        let result = serde_json::from_str::<serde_json::Value>(&context)
            .map_err(|e| format!("template context is not valid JSON: {e}"))
            .and_then(|context| crate::template::render(&source, &context).map_err(|e| e.0));
        self.record_import(started.elapsed());
        result
    }
}
