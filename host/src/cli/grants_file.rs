//! The `--grants FILE` of `blockforge run` and `blockforge block test`: each entry resolved to
//! the plugin it means and checked against this server's maxima.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use blockforge::grants::{GrantSet, PluginId, PluginKind};
use blockforge::registry::{PluginLookupError, Registry};

/// The grants of `path`, each key resolved to the plugin it means: `plugin:NAME` (a plugin
/// file's stem), `builtin:NAME` (a builtin's crate), or a bare name when only one of them has
/// it; `also` is a plugin outside the registry that a key may name too (the file `block test`
/// loads). A name that is none of these, a bare name that is two (two plugins, or the tested
/// file and a plugin or builtin), or a limit above this server's maximum is an error naming
/// the entry.
pub fn read(path: &Path, registry: &Registry, also: Option<&PluginId>) -> anyhow::Result<GrantSet> {
    let shown = path.display();
    let bounds = registry.runtime().limit_bounds();
    let mut stored = BTreeMap::new();
    for (key, grant) in blockforge::grants::file::read(path)? {
        bounds
            .check(&grant)
            .with_context(|| format!("the grants file {shown}: entry {key:?}"))?;
        let (kind, name) = match key.split_once(':') {
            Some((kind, name)) => {
                let kind = PluginKind::parse(kind).with_context(|| {
                    format!(
                        "the grants file {shown}: entry {key:?}: the prefix must be `plugin:` or `builtin:`"
                    )
                })?;
                (Some(kind), name)
            }
            None => (None, key.as_str()),
        };
        let outside = also.filter(|p| p.name == name && kind.is_none_or(|k| k == p.kind));
        let plugin = match (registry.plugin_id(name, kind), outside) {
            // A bare name that is both the tested file's stem and another plugin.
            (Ok(plugin), Some(tested)) if plugin != *tested => anyhow::bail!(
                "the grants file {shown}: entry {key:?}: {name:?} names both the tested file ({tested}) and the {plugin}; write `plugin:{name}` or `builtin:{name}` to pick one"
            ),
            (Ok(plugin), _) => plugin,
            (Err(PluginLookupError::NotFound { .. }), Some(plugin)) => plugin.clone(),
            (Err(e), _) => anyhow::bail!(
                "the grants file {shown}: entry {key:?}: {e} (a plugin file's stem or a builtin's crate name; write `plugin:{name}` or `builtin:{name}` to pick one)"
            ),
        };
        stored.insert(plugin, grant);
    }
    Ok(GrantSet::new(stored, registry.runtime().user_grant()))
}
