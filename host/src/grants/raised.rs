//! The start-up note about stored grants that raise limits above the defaults.
//!
//! Before grants could go above the defaults (up to the `BLOCK_*_MAX_*` settings), a stored
//! limit above its default was clamped to it. Such a grant now gives its plugin's calls up to
//! the new maximum: a server or worker says so once per grant when it starts, so an operator
//! who upgrades sees which plugins may now use more.

use super::{GrantSet, LimitBounds, RaisedLimit};

/// Logs a warning for each stored grant of `grants` with a limit above its default under
/// `bounds`, naming the plugin and each raised limit; returns how many it warned about.
pub fn warn_about_raised_limits(grants: &GrantSet, bounds: &LimitBounds) -> usize {
    let mut warned = 0;
    for (plugin, grant) in grants.stored() {
        let raised = bounds.raised(grant);
        if raised.is_empty() {
            continue;
        }
        tracing::warn!(
            plugin = %plugin.name,
            kind = plugin.kind.as_str(),
            limits = %describe(&raised),
            "the stored grant of this plugin sets limits above the server's defaults: its calls \
             get them (up to the BLOCK_*_MAX_* settings); versions before per-plugin maxima \
             clamped them to the defaults"
        );
        warned += 1;
    }
    warned
}

/// `limits.memory_bytes=536870912 (default 268435456), …`.
fn describe(raised: &[RaisedLimit]) -> String {
    raised
        .iter()
        .map(|r| format!("{}={} (default {})", r.name, r.granted, r.default))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::grants::{CallLimits, Grant, PluginId, UserDefault};

    #[test]
    fn one_warning_per_grant_above_the_defaults() {
        let defaults = CallLimits {
            memory_bytes: 1 << 20,
            cpu_time: Duration::from_secs(1),
            wall_clock: Duration::from_secs(1),
            output_bytes: 1 << 20,
            kv_max_keys: 10,
            kv_max_bytes: 10,
        };
        let bounds = LimitBounds {
            defaults,
            maxima: defaults,
        };
        let mut raised = Grant::all();
        raised.limits.memory_bytes = Some(2 << 20);
        raised.limits.cpu_time_ms = Some(2_000);
        let mut lowered = Grant::all();
        lowered.limits.memory_bytes = Some(1 << 19);
        let stored = BTreeMap::from([
            (PluginId::plugin("big"), raised.clone()),
            (PluginId::plugin("small"), lowered),
            (PluginId::builtin("plain"), Grant::all()),
        ]);
        let grants = GrantSet::new(stored, UserDefault::Conservative);
        assert_eq!(warn_about_raised_limits(&grants, &bounds), 1);
        assert_eq!(
            describe(&bounds.raised(&raised)),
            "limits.memory_bytes=2097152 (default 1048576), limits.cpu_time_ms=2000 (default 1000)"
        );
    }
}
