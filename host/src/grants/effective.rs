//! The one place where what a block declared meets what its plugin was granted: the
//! *effective* grant of a block call, in the manner of Zed's extension host
//! (`capability_granter`). Every import asks it before doing anything; nothing else decides.

use std::time::Duration;

use globset::{GlobBuilder, GlobMatcher};

use super::http::{HttpAllowList, HttpLimits, UrlAccess};
use super::{Capability, Grant, GrantError, PluginId};

/// Whether a call may use a capability, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Declared (or implicit) and granted.
    Allowed,
    /// The block did not declare it in `describe()`.
    NotDeclared,
    /// Declared, but the operator did not grant it to the plugin.
    NotGranted,
}

/// The server's bounds on a call's limits: what a call gets when its plugin's grant sets no
/// limit (`defaults`: `BLOCK_MEMORY_MB`, `BLOCK_CPU_SECS`, `BLOCK_TIMEOUT_SECS`,
/// `BLOCK_OUTPUT_MB`, the `kv` quota), and the most a grant may give (`maxima`: the
/// `BLOCK_*_MAX_*` settings; the `kv` quota is its own maximum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitBounds {
    /// What a call gets when its grant sets no limit.
    pub defaults: CallLimits,
    /// The most a grant may give; a grant above it is refused ([`LimitBounds::check`]), and a
    /// stored one above it (written by a server with higher maxima) is clamped to it.
    pub maxima: CallLimits,
}

/// A bound on one limit in the grant's unit: a size or count, or a time compared as the exact
/// [`Duration`] [`effective`] clamps to (a grant's whole milliseconds against a maximum that
/// may hold a fraction of one).
#[derive(Debug, Clone, Copy)]
enum Bound {
    /// Bytes or keys.
    Count(u64),
    /// A time; a grant gives it in milliseconds.
    Time(Duration),
}

impl Bound {
    fn of_bytes(bytes: usize) -> Bound {
        Bound::Count(u64::try_from(bytes).unwrap_or(u64::MAX))
    }

    /// Whether a grant of `granted` (in the grant's unit) is above this bound.
    fn exceeded_by(self, granted: u64) -> bool {
        match self {
            Bound::Count(bound) => granted > bound,
            Bound::Time(bound) => Duration::from_millis(granted) > bound,
        }
    }

    /// The bound in the grant's unit: the largest value a grant may give without passing it.
    fn shown(self) -> u64 {
        match self {
            Bound::Count(bound) => bound,
            Bound::Time(bound) => u64::try_from(bound.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// One limit of a grant beside the server's default and maximum for it.
struct LimitRow {
    /// Its field, as the grant spells it.
    name: &'static str,
    /// What the grant gives, if it sets it.
    granted: Option<u64>,
    default: Bound,
    maximum: Bound,
    /// The setting that holds the maximum.
    setting: &'static str,
}

/// A limit a grant sets above the server's default (below or at its maximum, or clamped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedLimit {
    /// Its field, as the grant spells it (`limits.memory_bytes`).
    pub name: &'static str,
    /// What the grant gives, in the field's unit.
    pub granted: u64,
    /// The server's default, in the field's unit.
    pub default: u64,
}

impl LimitBounds {
    /// Each limit `grant` may set, with its default and maximum.
    fn rows(&self, grant: &Grant) -> [LimitRow; 6] {
        let (default, max) = (&self.defaults, &self.maxima);
        [
            LimitRow {
                name: "limits.memory_bytes",
                granted: grant.limits.memory_bytes,
                default: Bound::of_bytes(default.memory_bytes),
                maximum: Bound::of_bytes(max.memory_bytes),
                setting: "BLOCK_MEMORY_MAX_MB",
            },
            LimitRow {
                name: "limits.cpu_time_ms",
                granted: grant.limits.cpu_time_ms,
                default: Bound::Time(default.cpu_time),
                maximum: Bound::Time(max.cpu_time),
                setting: "BLOCK_CPU_MAX_SECS",
            },
            LimitRow {
                name: "limits.wall_clock_ms",
                granted: grant.limits.wall_clock_ms,
                default: Bound::Time(default.wall_clock),
                maximum: Bound::Time(max.wall_clock),
                setting: "BLOCK_TIMEOUT_MAX_SECS",
            },
            LimitRow {
                name: "limits.output_bytes",
                granted: grant.limits.output_bytes,
                default: Bound::of_bytes(default.output_bytes),
                maximum: Bound::of_bytes(max.output_bytes),
                setting: "BLOCK_OUTPUT_MAX_MB",
            },
            LimitRow {
                name: "kv_quota.max_keys",
                granted: grant.kv_quota.max_keys,
                default: Bound::Count(default.kv_max_keys),
                maximum: Bound::Count(max.kv_max_keys),
                setting: "KV_MAX_KEYS_PER_NAMESPACE",
            },
            LimitRow {
                name: "kv_quota.max_bytes",
                granted: grant.kv_quota.max_bytes,
                default: Bound::Count(default.kv_max_bytes),
                maximum: Bound::Count(max.kv_max_bytes),
                setting: "KV_MAX_BYTES_PER_NAMESPACE",
            },
        ]
    }

    /// Refuses the first limit of `grant` above its maximum, naming it, the maximum and the
    /// setting that holds it. A limit passes exactly when [`effective`] would not clamp it.
    pub fn check(&self, grant: &Grant) -> Result<(), GrantError> {
        for row in self.rows(grant) {
            if let Some(requested) = row.granted.filter(|g| row.maximum.exceeded_by(*g)) {
                return Err(GrantError::AboveMaximum {
                    name: row.name,
                    requested,
                    maximum: row.maximum.shown(),
                    setting: row.setting,
                });
            }
        }
        Ok(())
    }

    /// The limits `grant` sets above their defaults: what its plugin's calls get beyond what
    /// a plugin without a grant gets (up to the maxima).
    pub fn raised(&self, grant: &Grant) -> Vec<RaisedLimit> {
        self.rows(grant)
            .into_iter()
            .filter_map(|row| {
                let granted = row.granted.filter(|g| row.default.exceeded_by(*g))?;
                Some(RaisedLimit {
                    name: row.name,
                    granted,
                    default: row.default.shown(),
                })
            })
            .collect()
    }
}

/// The limits of one call of a plugin's block: its grant's, within the maxima.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Linear memory.
    pub memory_bytes: usize,
    /// Guest CPU time.
    pub cpu_time: Duration,
    /// Wall clock.
    pub wall_clock: Duration,
    /// Output size.
    pub output_bytes: usize,
    /// Keys in one `kv` namespace.
    pub kv_max_keys: u64,
    /// Bytes in one `kv` namespace.
    pub kv_max_bytes: u64,
}

/// What one block of one plugin may do in a call: declared ∩ granted, limits within maxima.
#[derive(Debug, Clone)]
pub struct EffectiveGrant {
    /// The plugin.
    pub plugin: PluginId,
    /// The block type, for messages.
    pub block_type: String,
    access: [(Capability, Access); Capability::ALL.len()],
    models: Vec<GlobMatcher>,
    http: HttpAllowList,
    http_private: Vec<String>,
    /// The call's limits.
    pub limits: CallLimits,
    /// The limits of its `http` requests.
    pub http_limits: HttpLimits,
}

/// Compiles a model pattern: `*` and `?` stay within one `/`-separated segment (`openai/*`
/// is not `openai/ft/x`), `**` crosses them, and a lone `*` is every model.
pub(super) fn model_glob(pattern: &str) -> Result<GlobMatcher, GrantError> {
    let glob = if pattern == "*" { "**" } else { pattern };
    GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|e| GrantError::Pattern {
            pattern: pattern.to_owned(),
            message: e.kind().to_string(),
        })
}

/// The granted time, else `default`; never above `max`.
fn clamp_duration(granted: Option<u64>, default: Duration, max: Duration) -> Duration {
    granted.map_or(default, Duration::from_millis).min(max)
}

/// The granted size, else `default`; never above `max`.
fn clamp_bytes(granted: Option<u64>, default: usize, max: usize) -> usize {
    granted
        .map_or(default, |bytes| {
            usize::try_from(bytes).unwrap_or(usize::MAX)
        })
        .min(max)
}

/// The granted count, else `default`; never above `max`.
fn clamp_count(granted: Option<u64>, default: u64, max: u64) -> u64 {
    granted.unwrap_or(default).min(max)
}

/// The effective grant of `block_type`, from `plugin`, which declared `declared`, under
/// `grant` and the server's `bounds`: each limit the grant's, else the default, never above
/// the maximum. A pattern that does not compile (a grant stored before it was checked) allows
/// nothing.
pub fn effective(
    plugin: &PluginId,
    block_type: &str,
    declared: &[Capability],
    grant: &Grant,
    bounds: &LimitBounds,
) -> EffectiveGrant {
    let access = Capability::ALL.map(|capability| {
        let access = if !capability.implicit() && !declared.contains(&capability) {
            Access::NotDeclared
        } else if grant.capabilities.contains(&capability) {
            Access::Allowed
        } else {
            Access::NotGranted
        };
        (capability, access)
    });
    let models = grant
        .models
        .iter()
        .filter_map(|pattern| model_glob(pattern).ok())
        .collect();
    let (default, max) = (&bounds.defaults, &bounds.maxima);
    let limits = CallLimits {
        memory_bytes: clamp_bytes(
            grant.limits.memory_bytes,
            default.memory_bytes,
            max.memory_bytes,
        ),
        cpu_time: clamp_duration(grant.limits.cpu_time_ms, default.cpu_time, max.cpu_time),
        wall_clock: clamp_duration(
            grant.limits.wall_clock_ms,
            default.wall_clock,
            max.wall_clock,
        ),
        output_bytes: clamp_bytes(
            grant.limits.output_bytes,
            default.output_bytes,
            max.output_bytes,
        ),
        kv_max_keys: clamp_count(
            grant.kv_quota.max_keys,
            default.kv_max_keys,
            max.kv_max_keys,
        ),
        kv_max_bytes: clamp_count(
            grant.kv_quota.max_bytes,
            default.kv_max_bytes,
            max.kv_max_bytes,
        ),
    };
    EffectiveGrant {
        plugin: plugin.clone(),
        block_type: block_type.to_owned(),
        access,
        models,
        // An allow-list that does not parse (stored before it was checked) allows nothing.
        http: HttpAllowList::parse(&grant.http.allow).unwrap_or_default(),
        http_private: super::http::private_hosts(&grant.http.allow_private).unwrap_or_default(),
        limits,
        http_limits: grant.http.limits(),
    }
}

impl EffectiveGrant {
    /// Whether the call may use `capability`.
    pub fn access(&self, capability: Capability) -> Access {
        self.access
            .iter()
            .find(|(c, _)| *c == capability)
            .map_or(Access::NotGranted, |(_, access)| *access)
    }

    /// `Ok` when the call may use `capability`, else the `denied` message naming it, the
    /// block and the plugin.
    pub fn check(&self, capability: Capability) -> Result<(), String> {
        let name = capability.name();
        match self.access(capability) {
            Access::Allowed => Ok(()),
            Access::NotDeclared => Err(format!(
                "denied: {} did not declare the `{name}` capability in describe()",
                self.block_type
            )),
            Access::NotGranted => Err(format!(
                "denied: the `{name}` capability is not granted to {} (block {}); an operator \
                 grants it with PUT /api/plugins/{}/grants, or, for `blockforge block test` and \
                 `blockforge run`, with `--grants FILE`",
                self.plugin, self.block_type, self.plugin.name
            )),
        }
    }

    /// `Ok` when the call may use `model` (`None`: the default model, named `default`), else
    /// the `denied` message.
    pub fn check_model(&self, model: Option<&str>) -> Result<(), String> {
        let model = model.filter(|m| !m.trim().is_empty()).unwrap_or("default");
        if self.models.iter().any(|glob| glob.is_match(model)) {
            return Ok(());
        }
        Err(format!(
            "denied: model {model:?} is not among the models granted to {} (block {}); an \
             operator allows it with PUT /api/plugins/{}/grants, or, for `blockforge block test` \
             and `blockforge run`, with `--grants FILE`",
            self.plugin, self.block_type, self.plugin.name
        ))
    }
}

impl EffectiveGrant {
    /// Whether the call may reach `url` (its `http` capability checked first): whether an
    /// entry names its host explicitly, else the `denied` message naming the URL and the
    /// plugin.
    pub fn check_url(&self, url: &url::Url) -> Result<UrlAccess, String> {
        self.check(Capability::Http)?;
        match self.http.access(url) {
            UrlAccess::NotAllowed => Err(format!(
                "denied: {} is not among the hosts granted to {} (block {}); an operator \
                 allows it in http.allow with PUT /api/plugins/{}/grants",
                url.host_str().unwrap_or(url.as_str()),
                self.plugin,
                self.block_type,
                self.plugin.name
            )),
            access => Ok(access),
        }
    }

    /// Whether a request to `host`, which the allow-list names explicitly, may connect to a
    /// private, loopback or link-local address (see [`super::http::may_reach_reserved`]).
    pub fn may_reach_reserved(&self, host: &str, is_ip_literal: bool) -> bool {
        super::http::may_reach_reserved(host, is_ip_literal, &self.http_private)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grants::{GrantLimits, UserDefault};
    use Capability::*;

    /// Defaults of 128 MiB, 10 s, 300 s, 16 MiB; maxima of 256 MiB, 20 s, 600 s, 32 MiB; a
    /// `kv` quota of 1000 keys and 1 MiB.
    fn bounds() -> LimitBounds {
        let defaults = CallLimits {
            memory_bytes: 128 << 20,
            cpu_time: Duration::from_secs(10),
            wall_clock: Duration::from_secs(300),
            output_bytes: 16 << 20,
            kv_max_keys: 1000,
            kv_max_bytes: 1 << 20,
        };
        LimitBounds {
            defaults,
            maxima: CallLimits {
                memory_bytes: 256 << 20,
                cpu_time: Duration::from_secs(20),
                wall_clock: Duration::from_secs(600),
                output_bytes: 32 << 20,
                ..defaults
            },
        }
    }

    fn grant(capabilities: &[Capability], models: &[&str]) -> Grant {
        Grant {
            capabilities: capabilities.iter().copied().collect(),
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            ..Grant::conservative()
        }
    }

    #[test]
    fn access_is_declared_intersected_with_granted() {
        // (declared, granted, asked, expected)
        let table: &[(&[Capability], &[Capability], Capability, Access)] = &[
            (&[Llm], &[Llm], Llm, Access::Allowed),
            (&[Llm], &[], Llm, Access::NotGranted),
            (&[], &[Llm], Llm, Access::NotDeclared),
            (&[], &[], Llm, Access::NotDeclared),
            (&[Kv], &[Llm, Kv], Kv, Access::Allowed),
            (&[Kv], &[Llm], Kv, Access::NotGranted),
            (&[Embeddings], &[Embeddings], Embeddings, Access::Allowed),
            // log and template need no declaration, only a grant.
            (&[], &[Log], Log, Access::Allowed),
            (&[], &[], Log, Access::NotGranted),
            (&[], &[Template], Template, Access::Allowed),
            (&[Llm], &[Llm], Template, Access::NotGranted),
            // http, like llm, must be declared as well as granted.
            (&[], &[Http], Http, Access::NotDeclared),
        ];
        for (declared, granted, asked, expected) in table {
            let plugin = PluginId::plugin("p");
            let found = effective(&plugin, "B", declared, &grant(granted, &[]), &bounds());
            assert_eq!(
                found.access(*asked),
                *expected,
                "declared {declared:?}, granted {granted:?}, asked {asked:?}"
            );
        }
    }

    #[test]
    fn models_match_names_and_patterns() {
        // (granted patterns, asked, allowed)
        let table: &[(&[&str], Option<&str>, bool)] = &[
            (&["*"], Some("anything"), true),
            (&["*"], None, true),
            (&[], Some("gpt"), false),
            (&[], None, false),
            (&["cheap"], Some("cheap"), true),
            (&["cheap"], Some("cheaper"), false),
            (&["cheap*"], Some("cheaper"), true),
            (&["gpt-?o"], Some("gpt-4o"), true),
            (&["openai/*"], Some("openai/gpt-4o"), true),
            (&["openai/*"], Some("anthropic/claude"), false),
            (&["default"], None, true),
            (&["default"], Some(""), true),
            (&["a", "b"], Some("b"), true),
            // `*` and `?` stay within a `/` segment; `**` and a lone `*` cross them.
            (&["*"], Some("openai/ft/gpt-4o"), true),
            (&["openai/*"], Some("openai/ft/gpt-4o"), false),
            (&["openai/**"], Some("openai/ft/gpt-4o"), true),
            (&["*/gpt-4o"], Some("openai/gpt-4o"), true),
            (&["*gpt-4o"], Some("openai/gpt-4o"), false),
            (&["cheap-*"], Some("cheap-/x"), false),
            (&["a?b"], Some("a/b"), false),
            (&["{openai,azure}/*"], Some("azure/gpt"), true),
        ];
        for (patterns, asked, allowed) in table {
            let found = effective(
                &PluginId::plugin("p"),
                "B",
                &[Llm],
                &grant(&[Llm], patterns),
                &bounds(),
            );
            assert_eq!(
                found.check_model(*asked).is_ok(),
                *allowed,
                "patterns {patterns:?}, model {asked:?}"
            );
        }
    }

    #[test]
    fn limits_override_the_defaults_within_the_bounds() {
        let mut g = Grant::all();
        let found = effective(&PluginId::builtin("b"), "B", &[], &g, &bounds()).limits;
        assert_eq!(found, bounds().defaults, "no limit set: the defaults");
        // (granted, effective) for memory: below, between default and maximum, above.
        let table: &[(u64, usize)] = &[
            (64 << 20, 64 << 20),
            (200 << 20, 200 << 20),
            (256 << 20, 256 << 20),
            (u64::MAX, 256 << 20),
        ];
        for (granted, expected) in table {
            g.limits.memory_bytes = Some(*granted);
            let found = effective(&PluginId::builtin("b"), "B", &[], &g, &bounds()).limits;
            assert_eq!(found.memory_bytes, *expected, "granted {granted}");
        }
        g.limits = GrantLimits {
            memory_bytes: None,
            cpu_time_ms: Some(15_000),
            wall_clock_ms: Some(1_000_000_000),
            output_bytes: Some(u64::MAX),
        };
        g.kv_quota.max_keys = Some(10);
        g.kv_quota.max_bytes = Some(u64::MAX);
        let found = effective(&PluginId::builtin("b"), "B", &[], &g, &bounds()).limits;
        assert_eq!(found.memory_bytes, 128 << 20, "not set: the default");
        assert_eq!(found.cpu_time, Duration::from_secs(15), "above the default");
        assert_eq!(found.wall_clock, Duration::from_secs(600), "clamped");
        assert_eq!(found.output_bytes, 32 << 20, "clamped");
        assert_eq!(found.kv_max_keys, 10);
        assert_eq!(found.kv_max_bytes, 1 << 20, "clamped");
    }

    #[test]
    fn a_limit_above_its_maximum_is_refused_naming_it() {
        let bounds = bounds();
        let mut g = Grant::all();
        g.limits.memory_bytes = Some(256 << 20);
        g.limits.cpu_time_ms = Some(20_000);
        assert_eq!(bounds.check(&g), Ok(()), "at the maxima");
        // (field set, expected name, maximum, setting)
        let table: &[(&str, &str, u64, &str)] = &[
            (
                "memory",
                "limits.memory_bytes",
                256 << 20,
                "BLOCK_MEMORY_MAX_MB",
            ),
            ("cpu", "limits.cpu_time_ms", 20_000, "BLOCK_CPU_MAX_SECS"),
            (
                "wall",
                "limits.wall_clock_ms",
                600_000,
                "BLOCK_TIMEOUT_MAX_SECS",
            ),
            (
                "output",
                "limits.output_bytes",
                32 << 20,
                "BLOCK_OUTPUT_MAX_MB",
            ),
            (
                "keys",
                "kv_quota.max_keys",
                1000,
                "KV_MAX_KEYS_PER_NAMESPACE",
            ),
            (
                "bytes",
                "kv_quota.max_bytes",
                1 << 20,
                "KV_MAX_BYTES_PER_NAMESPACE",
            ),
        ];
        for (field, name, maximum, setting) in table {
            let mut g = Grant::all();
            let above = Some(maximum + 1);
            match *field {
                "memory" => g.limits.memory_bytes = above,
                "cpu" => g.limits.cpu_time_ms = above,
                "wall" => g.limits.wall_clock_ms = above,
                "output" => g.limits.output_bytes = above,
                "keys" => g.kv_quota.max_keys = above,
                _ => g.kv_quota.max_bytes = above,
            }
            let refused = bounds.check(&g).expect_err(field);
            assert_eq!(
                refused,
                GrantError::AboveMaximum {
                    name,
                    requested: maximum + 1,
                    maximum: *maximum,
                    setting,
                }
            );
            let message = refused.to_string();
            assert!(
                message.contains(name) && message.contains(setting),
                "{message}"
            );
        }
    }

    #[test]
    fn check_passes_exactly_what_effective_keeps_unclamped() {
        // A maximum with a fraction of a millisecond (BLOCK_CPU_MAX_SECS=20.0005).
        let mut bounds = bounds();
        bounds.maxima.cpu_time = Duration::from_micros(20_000_500);
        for granted in [19_999, 20_000, 20_001, u64::MAX] {
            let mut g = Grant::all();
            g.limits.cpu_time_ms = Some(granted);
            let kept = effective(&PluginId::builtin("b"), "B", &[], &g, &bounds)
                .limits
                .cpu_time
                == Duration::from_millis(granted);
            assert_eq!(bounds.check(&g).is_ok(), kept, "granted {granted} ms");
        }
        let mut g = Grant::all();
        g.limits.cpu_time_ms = Some(20_001);
        assert_eq!(
            bounds.check(&g),
            Err(GrantError::AboveMaximum {
                name: "limits.cpu_time_ms",
                requested: 20_001,
                maximum: 20_000,
                setting: "BLOCK_CPU_MAX_SECS",
            }),
            "the maximum shown is the largest grant that passes"
        );
    }

    #[test]
    fn raised_lists_the_limits_above_their_defaults() {
        let bounds = bounds();
        let mut g = Grant::all();
        assert_eq!(bounds.raised(&g), [], "no limit set");
        g.limits = GrantLimits {
            memory_bytes: Some(200 << 20),
            cpu_time_ms: Some(5_000),
            wall_clock_ms: Some(300_000),
            output_bytes: None,
        };
        g.kv_quota.max_keys = Some(1001);
        assert_eq!(
            bounds.raised(&g),
            [
                RaisedLimit {
                    name: "limits.memory_bytes",
                    granted: 200 << 20,
                    default: 128 << 20,
                },
                RaisedLimit {
                    name: "kv_quota.max_keys",
                    granted: 1001,
                    default: 1000,
                },
            ],
            "below or at the default is not raised"
        );
    }

    #[test]
    fn denials_name_the_capability_and_the_plugin() {
        let found = effective(
            &PluginId::plugin("greedy"),
            "Greedy",
            &[Llm],
            &grant(&[], &[]),
            &bounds(),
        );
        let message = found.check(Llm).expect_err("not granted");
        assert!(message.starts_with("denied:"), "{message}");
        assert!(
            message.contains("`llm`") && message.contains("plugin greedy"),
            "{message}"
        );
        // A block author trying the block on the command line is told the way there too.
        assert!(
            message.contains("PUT /api/plugins/greedy/grants")
                && message.contains("`blockforge block test`")
                && message.contains("`--grants FILE`"),
            "{message}"
        );
        let message = found.check(Kv).expect_err("not declared");
        assert!(
            message.contains("`kv`") && message.contains("Greedy"),
            "{message}"
        );
        let message = found.check_model(Some("big")).expect_err("no model");
        assert!(
            message.contains("\"big\"") && message.contains("plugin greedy"),
            "{message}"
        );
        assert!(message.contains("`--grants FILE`"), "{message}");
    }

    #[test]
    fn defaults_differ_by_kind() {
        let builtin = Grant::default_for(
            crate::grants::PluginKind::Builtin,
            UserDefault::Conservative,
        );
        assert_eq!(builtin, Grant::all());
        let user = Grant::default_for(crate::grants::PluginKind::Plugin, UserDefault::Conservative);
        assert!(!user.capabilities.contains(&Llm) && user.models.is_empty());
        let trusted = Grant::default_for(crate::grants::PluginKind::Plugin, UserDefault::Declared);
        assert_eq!(trusted, Grant::all());
    }

    #[test]
    fn bad_grants_are_refused() {
        let mut g = Grant::all();
        g.models = vec!["[".to_owned()];
        assert!(matches!(g.check(), Err(GrantError::Pattern { .. })));
        let mut g = Grant::all();
        g.limits.memory_bytes = Some(0);
        assert_eq!(
            g.check(),
            Err(GrantError::ZeroLimit {
                name: "memory_bytes"
            })
        );
        let parsed =
            Grant::from_json(serde_json::json!({"capabilities": ["llm", "nope"], "models": []}));
        assert!(matches!(parsed, Err(GrantError::Syntax(_))), "{parsed:?}");
        let mut g = Grant::all();
        g.models = (0..=crate::grants::MAX_MODEL_PATTERNS)
            .map(|i| format!("m{i}"))
            .collect();
        assert_eq!(g.check(), Err(GrantError::TooManyModels { count: 257 }));
        g.models.pop();
        assert_eq!(g.check(), Ok(()), "256 patterns are fine");
        g.models = vec!["x".repeat(crate::grants::MAX_MODEL_PATTERN_BYTES + 1)];
        assert_eq!(g.check(), Err(GrantError::PatternTooLong { len: 257 }));
    }
}
