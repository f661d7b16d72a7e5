//! What the operator lets each plugin have: its *grant*. A block declares the capabilities it
//! needs in `describe()`; the operator grants, per plugin, the capabilities it may use, the
//! models it may call (names or glob patterns), its `kv` quota and its limits (memory, CPU
//! time, wall clock, output size). The host enforces the intersection ([`effective`]).
//!
//! Grants are data: kept in the database (`store::grants`), so every server and worker sees
//! the same ones, edited through `GET/PUT /api/plugins/{name}/grants`, or read from a file by
//! `blockforge run --grants FILE` and `blockforge block test --grants FILE`. A plugin without
//! a stored grant has its kind's default ([`Grant::default_for`]).

pub mod effective;
pub mod file;
pub mod http;
pub mod raised;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use effective::{Access, CallLimits, EffectiveGrant, LimitBounds, RaisedLimit};
pub use http::{GrantHttp, HttpAllowList, HttpLimits, UrlAccess};

/// A host capability an operator may grant. `log` and `template` need no declaration in
/// `describe()`; the others must be declared and granted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Chat completions (`llm` import).
    Llm,
    /// Embeddings (`embeddings` import).
    Embeddings,
    /// Key-value storage (`kv` import).
    Kv,
    /// Log lines (`log` import).
    Log,
    /// Template rendering (`template` import).
    Template,
    /// Outgoing HTTP (`http` import, contract 0.2.0), to the hosts of the grant's `http.allow`.
    Http,
}

impl Capability {
    /// Every capability, in order.
    pub const ALL: [Capability; 6] = [
        Capability::Llm,
        Capability::Embeddings,
        Capability::Kv,
        Capability::Log,
        Capability::Template,
        Capability::Http,
    ];

    /// Its name, as grants and errors spell it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Llm => "llm",
            Capability::Embeddings => "embeddings",
            Capability::Kv => "kv",
            Capability::Log => "log",
            Capability::Template => "template",
            Capability::Http => "http",
        }
    }

    /// Whether a block may use it without declaring it in `describe()`.
    pub fn implicit(self) -> bool {
        matches!(self, Capability::Log | Capability::Template)
    }
}

/// Whether a plugin is a builtin (embedded in the binary) or a user's `.wasm` file.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PluginKind {
    /// Built from `plugins/<crate>`; named by its crate.
    Builtin,
    /// A file of the plugins folder; named by its file stem.
    Plugin,
}

impl PluginKind {
    /// `builtin` or `plugin`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Builtin => "builtin",
            PluginKind::Plugin => "plugin",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "builtin" => Some(PluginKind::Builtin),
            "plugin" => Some(PluginKind::Plugin),
            _ => None,
        }
    }
}

/// Which plugin a grant is for: a builtin's crate name or a plugin file's stem.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PluginId {
    /// Builtin or user plugin.
    pub kind: PluginKind,
    /// The crate name (builtin) or the file stem (`dedup` for `dedup.wasm`).
    pub name: String,
}

impl PluginId {
    /// A builtin's id.
    pub fn builtin(name: &str) -> Self {
        PluginId {
            kind: PluginKind::Builtin,
            name: name.to_owned(),
        }
    }

    /// A user plugin's id.
    pub fn plugin(name: &str) -> Self {
        PluginId {
            kind: PluginKind::Plugin,
            name: name.to_owned(),
        }
    }

    /// The id of a user plugin file at `path`: its stem.
    pub fn of_file(path: &std::path::Path) -> Self {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        PluginId::plugin(&stem)
    }
}

impl std::fmt::Display for PluginId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            PluginKind::Builtin => write!(f, "builtin plugin {}", self.name),
            PluginKind::Plugin => write!(f, "plugin {}", self.name),
        }
    }
}

/// Limits a grant sets; each overrides the server's default (`BLOCK_MEMORY_MB`…), up to the
/// server's maximum (`BLOCK_MEMORY_MAX_MB`…). `None` keeps the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantLimits {
    /// Linear memory per call, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// Guest CPU time per call, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_time_ms: Option<u64>,
    /// Wall-clock time per call, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_clock_ms: Option<u64>,
    /// Largest output (JSON text) of a call, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<u64>,
}

/// A plugin's `kv` quota per namespace; `None` fields keep the server's (which is also the
/// most a grant may give).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantKvQuota {
    /// Most keys in one namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_keys: Option<u64>,
    /// Most bytes (keys and values) in one namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<u64>,
}

/// What the operator grants one plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Capabilities the plugin may use (those it also declares, for `llm`, `embeddings`, `kv`).
    pub capabilities: BTreeSet<Capability>,
    /// Models it may call, by registered name or glob pattern (`*`, `?`, `[abc]`; `*` stays
    /// within a `/` segment, `**` crosses them); `["*"]`
    /// allows every model. A call that names no model uses `default`.
    pub models: Vec<String>,
    /// Its `kv` quota.
    #[serde(default)]
    pub kv_quota: GrantKvQuota,
    /// Its limits.
    #[serde(default)]
    pub limits: GrantLimits,
    /// Where its `http` calls may go (none by default) and their limits.
    #[serde(default)]
    pub http: GrantHttp,
}

/// What a user plugin gets until the operator stores a grant for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserDefault {
    /// `log`, `template` and `kv`; no model, no embeddings (`PLUGIN_DEFAULT_GRANT=conservative`,
    /// the default).
    #[default]
    Conservative,
    /// Everything it declares, every model (`PLUGIN_DEFAULT_GRANT=declared`: a machine where
    /// every plugin is trusted).
    Declared,
}

impl std::str::FromStr for UserDefault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "conservative" => Ok(UserDefault::Conservative),
            "declared" => Ok(UserDefault::Declared),
            other => Err(format!(
                "{other:?} is not a default grant: use conservative or declared"
            )),
        }
    }
}

/// Most model patterns one grant holds: each call is matched against every one.
pub const MAX_MODEL_PATTERNS: usize = 256;

/// Longest model pattern, bytes.
pub const MAX_MODEL_PATTERN_BYTES: usize = 256;

/// Why a grant is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// A model pattern does not parse.
    #[error("model pattern {pattern:?} is not a valid glob: {message}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why.
        message: String,
    },
    /// More model patterns than [`MAX_MODEL_PATTERNS`].
    #[error("{count} model patterns; a grant takes at most {MAX_MODEL_PATTERNS}")]
    TooManyModels {
        /// How many were given.
        count: usize,
    },
    /// A model pattern longer than [`MAX_MODEL_PATTERN_BYTES`].
    #[error("a model pattern of {len} bytes; at most {MAX_MODEL_PATTERN_BYTES} each")]
    PatternTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A limit is zero.
    #[error("limit {name} must be above 0")]
    ZeroLimit {
        /// Its field name.
        name: &'static str,
    },
    /// A limit is above this server's maximum.
    #[error(
        "{name} is {requested}, above this server's maximum of {maximum} ({setting}); ask for at most {maximum} or raise {setting}"
    )]
    AboveMaximum {
        /// Its field, as the grant spells it (`limits.memory_bytes`).
        name: &'static str,
        /// What the grant asks for.
        requested: u64,
        /// The maximum, in the field's unit.
        maximum: u64,
        /// The setting that holds the maximum.
        setting: &'static str,
    },
    /// The grant could not be read.
    #[error("{0}")]
    Syntax(String),
}

impl Grant {
    /// Every capability and every model, the server's limits, and no `http` host: what
    /// builtins get by default (no builtin reaches the network unless an operator names the
    /// hosts).
    pub fn all() -> Self {
        Grant {
            capabilities: Capability::ALL.into_iter().collect(),
            models: vec!["*".to_owned()],
            kv_quota: GrantKvQuota::default(),
            limits: GrantLimits::default(),
            http: GrantHttp::default(),
        }
    }

    /// No capability and no model: what a plugin whose stored grant is unreadable gets.
    pub fn none() -> Self {
        Grant {
            capabilities: BTreeSet::new(),
            models: Vec::new(),
            kv_quota: GrantKvQuota::default(),
            limits: GrantLimits::default(),
            http: GrantHttp::default(),
        }
    }

    /// `log`, `template` and `kv`, no model: what a user plugin gets by default.
    pub fn conservative() -> Self {
        Grant {
            capabilities: [Capability::Log, Capability::Template, Capability::Kv]
                .into_iter()
                .collect(),
            models: Vec::new(),
            kv_quota: GrantKvQuota::default(),
            limits: GrantLimits::default(),
            http: GrantHttp::default(),
        }
    }

    /// The default grant of a plugin of `kind`: builtins get every capability and model
    /// (they are built from this repository); a user plugin gets `user`'s.
    pub fn default_for(kind: PluginKind, user: UserDefault) -> Self {
        match (kind, user) {
            (PluginKind::Builtin, _) | (PluginKind::Plugin, UserDefault::Declared) => Grant::all(),
            (PluginKind::Plugin, UserDefault::Conservative) => Grant::conservative(),
        }
    }

    /// Checks the patterns (how many, how long, that they parse) and the limits.
    pub fn check(&self) -> Result<(), GrantError> {
        if self.models.len() > MAX_MODEL_PATTERNS {
            return Err(GrantError::TooManyModels {
                count: self.models.len(),
            });
        }
        if let Some(long) = self
            .models
            .iter()
            .find(|p| p.len() > MAX_MODEL_PATTERN_BYTES)
        {
            return Err(GrantError::PatternTooLong { len: long.len() });
        }
        for pattern in &self.models {
            effective::model_glob(pattern)?;
        }
        self.http.check()?;
        let limits = [
            ("memory_bytes", self.limits.memory_bytes),
            ("cpu_time_ms", self.limits.cpu_time_ms),
            ("wall_clock_ms", self.limits.wall_clock_ms),
            ("output_bytes", self.limits.output_bytes),
            ("kv_quota.max_keys", self.kv_quota.max_keys),
            ("kv_quota.max_bytes", self.kv_quota.max_bytes),
        ];
        match limits.into_iter().find(|(_, value)| *value == Some(0)) {
            Some((name, _)) => Err(GrantError::ZeroLimit { name }),
            None => Ok(()),
        }
    }

    /// Parses a grant from JSON, checked.
    pub fn from_json(value: serde_json::Value) -> Result<Self, GrantError> {
        let grant: Grant =
            serde_json::from_value(value).map_err(|e| GrantError::Syntax(e.to_string()))?;
        grant.check()?;
        Ok(grant)
    }
}

/// The grants stored for some plugins and the default of the others: one read of the
/// `grants` table (or of a grants file), shared by the runs of a job.
#[derive(Debug, Clone, Default)]
pub struct GrantSet {
    stored: BTreeMap<PluginId, Grant>,
    unreadable: BTreeMap<PluginId, String>,
    user_default: UserDefault,
}

impl GrantSet {
    /// The grants `stored`, and `user_default` for user plugins without one.
    pub fn new(stored: BTreeMap<PluginId, Grant>, user_default: UserDefault) -> Self {
        GrantSet {
            stored,
            unreadable: BTreeMap::new(),
            user_default,
        }
    }

    /// Marks `plugin`'s stored grant unreadable for `problem`: it is denied everything (never
    /// its default, which may be wider than what the operator stored) until it is replaced.
    pub fn mark_unreadable(&mut self, plugin: PluginId, problem: String) {
        self.stored.remove(&plugin);
        self.unreadable.insert(plugin, problem);
    }

    /// Why `plugin`'s stored grant cannot be read, if it cannot.
    pub fn unreadable(&self, plugin: &PluginId) -> Option<&str> {
        self.unreadable.get(plugin).map(String::as_str)
    }

    /// The grant of `plugin`: stored, nothing when its stored grant is unreadable, else its
    /// kind's default.
    pub fn grant(&self, plugin: &PluginId) -> Grant {
        if self.unreadable.contains_key(plugin) {
            return Grant::none();
        }
        self.stored
            .get(plugin)
            .cloned()
            .unwrap_or_else(|| Grant::default_for(plugin.kind, self.user_default))
    }

    /// Whether `plugin` has a stored grant (else it runs with its default), readable or not.
    pub fn is_stored(&self, plugin: &PluginId) -> bool {
        self.stored.contains_key(plugin) || self.unreadable.contains_key(plugin)
    }

    /// The readable stored grants, by plugin.
    pub fn stored(&self) -> impl Iterator<Item = (&PluginId, &Grant)> {
        self.stored.iter()
    }

    /// The default for user plugins.
    pub fn user_default(&self) -> UserDefault {
        self.user_default
    }
}
