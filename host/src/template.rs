//! Jinja rendering shared by the `template` host import and the engine, so every block renders
//! prompts the same way. Semantics follow DataGenFlow's Jinja setup: an undefined variable is an
//! error (use `| default(...)` for optional fields), no HTML escaping, `tojson` pretty-prints
//! with an indent of 2, and `truncate(length=100)` appends `...`.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, Value as JinjaValue};
use serde_json::Value;

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| new_environment(TEMPLATE_FUEL))
}

/// The same environment with [`QUICK_FUEL`]: what a render may do inline, on the caller's
/// thread, before it must move to a blocking thread.
fn quick_environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| new_environment(QUICK_FUEL))
}

fn new_environment(fuel: u64) -> Environment<'static> {
    {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_filter("tojson", tojson);
        env.add_filter("truncate", truncate);
        // Prompts are plain text, not HTML.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_recursion_limit(100);
        // Templates come from blocks and from data (a state field can be a prompt): bound the
        // work one render may do.
        env.set_fuel(Some(fuel));
        env
    }
}

/// Instructions one render may execute (loops included).
pub const TEMPLATE_FUEL: u64 = 2_000_000;
/// Instructions a render may execute inline (see [`render_quick`]): well under a millisecond,
/// and far more than a prompt needs.
pub const QUICK_FUEL: u64 = 20_000;
/// Largest template source.
pub const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;
/// Largest rendered text.
pub const MAX_RENDERED_BYTES: usize = 16 * 1024 * 1024;

/// Renders `source` against `context` (normally the run's state object), within
/// [`TEMPLATE_FUEL`], [`MAX_TEMPLATE_BYTES`] and [`MAX_RENDERED_BYTES`].
pub fn render(source: &str, context: &Value) -> Result<String, TemplateError> {
    render_in(environment(), false, source, context).map_err(|e| match e {
        RenderError::Failed(e) => e,
        RenderError::NeedsFuel => TemplateError("engine ran out of fuel".to_owned()),
    })
}

/// Why [`render_quick`] did not render.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// The template is wrong (the same error [`render`] gives).
    Failed(TemplateError),
    /// The template needs more than [`QUICK_FUEL`]: render it with [`render`], off the
    /// async runtime's threads.
    NeedsFuel,
}

/// [`render`] within [`QUICK_FUEL`], cheap enough to run on an async runtime's thread.
pub fn render_quick(source: &str, context: &Value) -> Result<String, RenderError> {
    render_in(quick_environment(), true, source, context)
}

fn render_in(
    env: &Environment<'static>,
    quick: bool,
    source: &str,
    context: &Value,
) -> Result<String, RenderError> {
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(RenderError::Failed(TemplateError(format!(
            "the template is {} bytes, above the limit of {MAX_TEMPLATE_BYTES}",
            source.len()
        ))));
    }
    // Plain text with no Jinja syntax is returned as is: most config values are plain.
    if !source.contains("{{") && !source.contains("{%") && !source.contains("{#") {
        return Ok(source.to_owned());
    }
    let failed = |message: String| RenderError::Failed(TemplateError(message));
    let template = env
        .template_from_str(source)
        .map_err(|e| failed(describe_error(&e)))?;
    let mut out = CappedWriter::default();
    match template.render_captured_to(minijinja::value::Serde(context), &mut out) {
        Ok(_) => String::from_utf8(out.bytes).map_err(|e| failed(e.to_string())),
        Err(_) if out.overflowed => Err(failed(format!(
            "the rendered text exceeds the limit of {MAX_RENDERED_BYTES} bytes"
        ))),
        Err(e) if quick && e.kind() == minijinja::ErrorKind::OutOfFuel => {
            Err(RenderError::NeedsFuel)
        }
        Err(e) if e.kind() == minijinja::ErrorKind::UndefinedError => {
            let mut message = describe_error(&e);
            let missing = unresolved_paths(&template, context);
            if !missing.is_empty() {
                message.push_str(&format!(
                    ": {} not in the context (use `| default(...)` for an optional field)",
                    missing
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Err(failed(message))
        }
        Err(e) => Err(failed(describe_error(&e))),
    }
}

/// The variable paths (`topic`, `seed.title`) `template` reads that `context` lacks: what
/// an "undefined value" error is about.
fn unresolved_paths(template: &minijinja::Template<'_, '_>, context: &Value) -> Vec<String> {
    let mut missing: Vec<String> = template
        .undeclared_variables(true)
        .into_iter()
        .filter(|path| {
            let mut value = context;
            for part in path.split('.') {
                match value.get(part) {
                    Some(inner) => value = inner,
                    None => return true,
                }
            }
            false
        })
        .collect();
    missing.sort();
    missing
}

/// Collects rendered output and fails the render once it passes [`MAX_RENDERED_BYTES`].
#[derive(Default)]
struct CappedWriter {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_RENDERED_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("rendered text too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `tojson(indent=2)`: JSON text of a value, pretty-printed like Python's `json.dumps(indent=2)`.
fn tojson(value: JinjaValue, indent: Option<usize>) -> Result<JinjaValue, minijinja::Error> {
    let json = serde_json::to_value(&value).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    let text = match indent.unwrap_or(2) {
        0 => json.to_string(),
        width => {
            let indent = " ".repeat(width);
            let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut out = Vec::new();
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            serde::Serialize::serialize(&json, &mut serializer).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
            })?;
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    Ok(JinjaValue::from_safe_string(text))
}

/// `truncate(length=100)`: the first `length` characters followed by `...` when longer.
fn truncate(text: String, length: Option<usize>) -> String {
    let length = length.unwrap_or(100);
    match text.char_indices().nth(length) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

fn describe_error(e: &minijinja::Error) -> String {
    let mut message = match e.line() {
        Some(line) => format!("line {line}: {}", e.kind()),
        None => e.kind().to_string(),
    };
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    message
}

/// The top-level variables `source` reads, e.g. `{{ topic }}` → `topic`: what seeds must provide
/// for a prompt. The environment's globals (`range`, `namespace`...) are not variables.
pub fn undeclared_variables(source: &str) -> Result<Vec<String>, TemplateError> {
    let env = environment();
    let template = env
        .template_from_str(source)
        .map_err(|e| TemplateError(describe_error(&e)))?;
    let globals: std::collections::HashSet<&str> = env.globals().map(|(name, _)| name).collect();
    let mut names: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !globals.contains(name.as_str()))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_against_state_and_rejects_undefined_variables() {
        let state = json!({"topic": "rust", "tags": ["a", "b"]});
        assert_eq!(render("About {{ topic }}.", &state).unwrap(), "About rust.");
        let err = render("About {{ missing }}.", &state).unwrap_err();
        assert!(err.0.contains("undefined"), "{err}");
        assert_eq!(render("{{ missing | default('x') }}", &state).unwrap(), "x");
        assert_eq!(render("plain {text}", &state).unwrap(), "plain {text}");
    }

    #[test]
    fn tojson_pretty_prints_and_truncate_appends_dots() {
        let state = json!({"tags": ["a", "b"], "s": "abcdef"});
        assert_eq!(
            render("{{ tags | tojson }}", &state).unwrap(),
            "[\n  \"a\",\n  \"b\"\n]"
        );
        assert_eq!(
            render("{{ tags | tojson(0) }}", &state).unwrap(),
            r#"["a","b"]"#
        );
        assert_eq!(render("{{ s | truncate(3) }}", &state).unwrap(), "abc...");
        assert_eq!(render("{{ s | truncate }}", &state).unwrap(), "abcdef");
    }

    #[test]
    fn does_not_html_escape() {
        assert_eq!(
            render("{{ x }}", &json!({"x": "<a & b>"})).unwrap(),
            "<a & b>"
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = render("ok\n{{ topic ", &json!({})).unwrap_err();
        assert!(err.0.contains("line 2"), "{err}");
    }

    #[test]
    fn runaway_templates_are_stopped_by_fuel_and_output_size() {
        let nested =
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}";
        let message = render(nested, &json!({})).unwrap_err().0;
        assert!(message.contains("fuel"), "{message}");
        let huge = render(
            "{% for i in range(100) %}{{ 'x' * 1000000 }}{% endfor %}",
            &json!({}),
        );
        assert!(huge.unwrap_err().0.contains("exceeds the limit"));
    }

    #[test]
    fn undefined_values_name_the_variable() {
        let state = json!({"topic": "rust", "seed": {"title": "t"}});
        let err = render("About {{ topic }} and {{ missing }}.", &state).unwrap_err();
        assert!(err.0.contains("`missing` not in the context"), "{err}");
        let err = render("{{ seed.title }} {{ seed.author }}", &state).unwrap_err();
        assert!(err.0.contains("`seed.author` not in the context"), "{err}");
    }

    #[test]
    fn quick_renders_ask_for_more_fuel_instead_of_failing() {
        let heavy = "{% for i in range(100000) %}.{% endfor %}";
        assert_eq!(render_quick(heavy, &json!({})), Err(RenderError::NeedsFuel));
        assert_eq!(render(heavy, &json!({})).unwrap().len(), 100_000);
        assert_eq!(
            render_quick("Hi {{ name }}", &json!({"name": "x"})),
            Ok("Hi x".to_owned())
        );
        assert!(matches!(
            render_quick("{{ nope }}", &json!({})),
            Err(RenderError::Failed(_))
        ));
    }

    #[test]
    fn lists_top_level_variables() {
        let vars =
            undeclared_variables("{{ a }} {% for x in items %}{{ x.b }}{% endfor %}").unwrap();
        assert_eq!(vars, vec!["a".to_owned(), "items".to_owned()]);
        let vars = undeclared_variables(
            "{% for i in range(n) %}{{ loop.index }}{% endfor %}{% set ns = namespace() %}",
        )
        .unwrap();
        assert_eq!(
            vars,
            vec!["n".to_owned()],
            "globals and loop locals are not variables"
        );
    }
}
