//! The library's modules depend one way: each top-level module of `host/src` may use the
//! modules of its own layer or of a lower one, never a higher one, and no two modules use each
//! other. Inside every module, at every depth, the submodules form no cycle either (in `llm`
//! the provider files depend on the provider seam, never the reverse; in `runtime` the
//! capability modules sit below the store data that assembles them).
//!
//! The check reads the sources, not the compiled crate: every `crate::`, `super::` and `self::`
//! path in `use` items, in code and in macro arguments (syn parses each file). A failure lists
//! each upward use with the file it is in, and the cycles it closes. Run it alone with
//! `cargo test -p blockforge --test layering`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// The top-level modules of the library, lowest layer first. A module may use modules of its
/// own layer (without a cycle) or of layers below it.
const LAYERS: &[&[&str]] = &[
    // Shared value types and helpers that use nothing of the crate; `scaffold` writes block
    // projects (`new-block`).
    &[
        "atomic_file",
        "json",
        "usage",
        "grants",
        "thread_priority",
        "process_owner",
        "scaffold",
        // Dataset files, schemas, lineage and operations on rows (no storage).
        "datasets",
        "telemetry",
    ],
    // Services behind host imports; the Hugging Face Hub's API (dataset pushes).
    &["template", "kv", "outbound", "hub"],
    // The model gateway; reads registered models through a trait the store implements.
    &["llm"],
    // wasmtime: load, limit and call components; the host imports.
    &["runtime"],
    // Which blocks exist.
    &["registry"],
    // Pipelines, runs and run sets, records.
    &["engine"],
    // SQLite and PostgreSQL; implements the traits of the layers below.
    &["store"],
    // Jobs: the runner and manager that claim runs from the store.
    &["jobs"],
    // The HTTP server.
    &["api"],
    // Configuration: builds the layers below from the environment.
    &["settings"],
];

/// One use of another module: from which module, to which path, seen in which file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Use {
    /// The module the path is written in (from the crate root, inline modules included).
    from: Vec<String>,
    /// The path it names, made absolute (from the crate root).
    to: Vec<String>,
    /// The file, relative to `host/src`.
    file: String,
}

impl Use {
    /// How a report shows it: `file: path`.
    fn evidence(&self) -> String {
        format!("{}: {}", self.file, self.to.join("::"))
    }
}

/// Collects the crate-relative paths of one file.
struct PathCollector {
    /// The module being visited: the file's module, then any inline `mod` inside it.
    module: Vec<String>,
    file: String,
    uses: Vec<Use>,
}

impl PathCollector {
    /// Records `segments` (as written) when it starts at `crate`, `super` or `self`.
    fn record(&mut self, segments: &[String]) {
        if let Some(to) = absolute(&self.module, segments) {
            self.uses.push(Use {
                from: self.module.clone(),
                to,
                file: self.file.clone(),
            });
        }
    }

    /// Records every path of a `use` tree, `prefix` being the segments above it.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => {
                prefix.push(name.ident.to_string());
                let segments = prefix.clone();
                self.record(&segments);
                prefix.pop();
            }
            syn::UseTree::Rename(rename) => {
                prefix.push(rename.ident.to_string());
                let segments = prefix.clone();
                self.record(&segments);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => {
                let segments = prefix.clone();
                self.record(&segments);
            }
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    /// Records the `crate::a::b` (and `super::`, `self::`) paths in a macro's tokens, which
    /// syn leaves unparsed.
    fn tokens(&mut self, tokens: TokenStream) {
        let flat = flatten(tokens);
        let mut i = 0;
        while i < flat.len() {
            let TokenTree::Ident(ident) = &flat[i] else {
                i += 1;
                continue;
            };
            let first = ident.to_string();
            if !matches!(first.as_str(), "crate" | "super" | "self") {
                i += 1;
                continue;
            }
            let mut segments = vec![first];
            let mut j = i + 1;
            while let (
                Some(TokenTree::Punct(a)),
                Some(TokenTree::Punct(b)),
                Some(TokenTree::Ident(next)),
            ) = (flat.get(j), flat.get(j + 1), flat.get(j + 2))
            {
                if a.as_char() != ':' || b.as_char() != ':' {
                    break;
                }
                segments.push(next.to_string());
                j += 3;
            }
            if segments.len() > 1 {
                self.record(&segments);
            }
            i = j;
        }
    }
}

impl<'ast> Visit<'ast> for PathCollector {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.module.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.leading_colon.is_none() {
            self.record(&segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// Every token of `tokens`, groups opened (their delimiters dropped).
fn flatten(tokens: TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for token in tokens {
        match token {
            TokenTree::Group(group) => out.extend(flatten(group.stream())),
            other => out.push(other),
        }
    }
    out
}

/// `segments` written in `module`, from the crate root; `None` when it does not start at
/// `crate`, `super` or `self` (an outside crate, or a name in scope).
fn absolute(module: &[String], segments: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = match segments.first()?.as_str() {
        "crate" => Vec::new(),
        "super" | "self" => module.to_vec(),
        _ => return None,
    };
    let mut rest = segments;
    if rest[0] == "crate" {
        rest = &rest[1..];
    }
    loop {
        match rest.first().map(String::as_str) {
            Some("super") => {
                base.pop()?;
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            _ => break,
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The paths `source` (the file of `module`) names.
fn uses_in(module: Vec<String>, file: &str, source: &str) -> Vec<Use> {
    let parsed = match syn::parse_file(source) {
        Ok(parsed) => parsed,
        Err(e) => panic!("cannot parse {file}: {e}"),
    };
    let mut collector = PathCollector {
        module,
        file: file.to_owned(),
        uses: Vec::new(),
    };
    collector.visit_file(&parsed);
    collector.uses
}

/// The library's sources: `host/src`.
fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules `lib.rs` declares.
fn top_level_modules() -> Vec<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("host/src/lib.rs is readable");
    let parsed = syn::parse_file(&lib).expect("host/src/lib.rs parses");
    parsed
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Every use in the library: the files of each top-level module (`<name>.rs` and
/// `<name>/**/*.rs`).
fn library_uses() -> Vec<Use> {
    let mut uses = Vec::new();
    for name in top_level_modules() {
        let mut files = vec![(vec![name.clone()], src().join(format!("{name}.rs")))];
        collect_files(&src().join(&name), std::slice::from_ref(&name), &mut files);
        for (module, path) in files {
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let shown = path
                .strip_prefix(src())
                .unwrap_or(&path)
                .display()
                .to_string();
            uses.extend(uses_in(module, &shown, &source));
        }
    }
    uses
}

/// The `.rs` files under `dir` with their module paths (`dir` being module `module`).
fn collect_files(dir: &Path, module: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let mut child = module.to_vec();
        child.push(stem.to_owned());
        if path.is_dir() {
            collect_files(&path, &child, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((child, path));
        }
    }
}

/// An edge of a module graph with the uses that make it.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Adds the edge `from → to` seen in `evidence`, unless it is a loop.
fn add_edge(graph: &mut Graph, from: &str, to: &str, evidence: String) {
    graph.entry(to.to_owned()).or_default();
    let edges = graph.entry(from.to_owned()).or_default();
    if from != to {
        edges.entry(to.to_owned()).or_default().insert(evidence);
    }
}

/// The cycles of `graph` as `a -> b -> a` lines, one per back edge a depth-first walk meets.
fn cycles(graph: &Graph) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn walk(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
        found: &mut Vec<String>,
    ) {
        marks.insert(node.to_owned(), Mark::OnPath);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::New => walk(next, graph, marks, path, found),
                Mark::OnPath => {
                    let start = path.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    found.push(cycle.join(" -> "));
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
    }
    let mut marks = BTreeMap::new();
    let mut found = Vec::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New {
            walk(node, graph, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found
}

/// The graph of top-level modules.
fn top_level_graph(uses: &[Use]) -> Graph {
    let mut graph = Graph::new();
    for u in uses {
        let (Some(from), Some(to)) = (u.from.first(), u.to.first()) else {
            continue;
        };
        add_edge(&mut graph, from, to, u.evidence());
    }
    graph
}

/// The graph of `parent`'s submodules (`parent::x::...` counts as `x`); uses of what the
/// parent's own file declares or re-exports are left out, that file being a facade.
fn inner_graph(uses: &[Use], parent: &[String]) -> Graph {
    let depth = parent.len();
    let inside = |path: &[String]| path.len() > depth && path[..depth] == *parent;
    let children: BTreeSet<&str> = uses
        .iter()
        .filter(|u| inside(&u.from))
        .map(|u| u.from[depth].as_str())
        .collect();
    let mut graph = Graph::new();
    for u in uses {
        if !inside(&u.from) || !inside(&u.to) {
            continue;
        }
        let (from, to) = (&u.from[depth], &u.to[depth]);
        if !children.contains(to.as_str()) {
            continue;
        }
        add_edge(&mut graph, from, to, u.evidence());
    }
    graph
}

/// Every module that has submodules using something of the crate, at every depth.
fn parents(uses: &[Use]) -> BTreeSet<Vec<String>> {
    uses.iter()
        .flat_map(|u| (1..u.from.len()).map(|n| u.from[..n].to_vec()))
        .collect()
}

/// The cycles among the submodules of each module, each with the uses that close it.
fn submodule_cycles(uses: &[Use]) -> Vec<String> {
    let mut problems = Vec::new();
    for parent in parents(uses) {
        let graph = inner_graph(uses, &parent);
        for cycle in cycles(&graph) {
            let edges: Vec<String> = cycle
                .split(" -> ")
                .collect::<Vec<_>>()
                .windows(2)
                .flat_map(|pair| {
                    graph[pair[0]][pair[1]]
                        .iter()
                        .map(move |e| format!("    {} -> {}: {e}", pair[0], pair[1]))
                })
                .collect();
            problems.push(format!(
                "cycle in `{}`: {cycle}\n{}",
                parent.join("::"),
                edges.join("\n")
            ));
        }
    }
    problems
}

/// Each layer's index by module name.
fn layer_of() -> BTreeMap<&'static str, usize> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| layer.iter().map(move |m| (*m, i)))
        .collect()
}

/// What breaks the layering: modules missing from [`LAYERS`], upward uses, cycles.
fn layering_problems(graph: &Graph) -> Vec<String> {
    let layers = layer_of();
    let mut problems = Vec::new();
    for module in graph.keys() {
        if !layers.contains_key(module.as_str()) {
            problems.push(format!(
                "module `{module}` has no layer: add it to LAYERS in host/tests/layering.rs"
            ));
        }
    }
    for (from, edges) in graph {
        for (to, evidence) in edges {
            let (Some(f), Some(t)) = (layers.get(from.as_str()), layers.get(to.as_str())) else {
                continue;
            };
            if t > f {
                problems.push(format!(
                    "`{from}` (layer {f}) uses `{to}` (layer {t}), a higher layer:\n    {}",
                    evidence.iter().cloned().collect::<Vec<_>>().join("\n    ")
                ));
            }
        }
    }
    for cycle in cycles(graph) {
        problems.push(format!("cycle: {cycle}"));
    }
    problems
}

#[test]
fn top_level_modules_follow_the_layers() {
    let uses = library_uses();
    let problems = layering_problems(&top_level_graph(&uses));
    assert!(
        problems.is_empty(),
        "the host's modules break the layering ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn submodules_stay_acyclic() {
    let uses = library_uses();
    // A reader that found no submodule would pass: make sure it sees those everyone knows.
    let parents = parents(&uses);
    for known in [
        "runtime", "api", "llm", "engine", "store", "registry", "jobs",
    ] {
        assert!(
            inner_graph(&uses, &[known.to_owned()]).len() > 1,
            "found no submodules of `{known}`: is the path reading broken? ({parents:?})"
        );
    }
    let problems = submodule_cycles(&uses);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_cycle_between_submodules_is_reported_at_any_depth() {
    let path = |p: &str| p.split("::").map(String::from).collect::<Vec<_>>();
    let uses = |pairs: &[(&str, &str)]| -> Vec<Use> {
        pairs
            .iter()
            .map(|(from, to)| Use {
                from: path(from),
                to: path(to),
                file: format!("{}.rs", from.replace("::", "/")),
            })
            .collect()
    };
    let nested = uses(&[
        ("runtime::imports::kv", "runtime::imports::guest_str::copy"),
        (
            "runtime::imports::guest_str",
            "runtime::imports::kv::KvView",
        ),
        ("runtime::host_state", "runtime::imports::kv::KvState"),
    ]);
    let problems = submodule_cycles(&nested);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("cycle in `runtime::imports`: guest_str -> kv -> guest_str")
            && problems[0].contains("runtime/imports/kv.rs"),
        "{problems:#?}"
    );
    let one_way = uses(&[
        ("runtime::host_state", "runtime::imports::kv::KvState"),
        ("runtime::imports::kv", "runtime::failure::Refused"),
        ("runtime::failure", "runtime::call_clock::Exceeded"),
    ]);
    assert!(submodule_cycles(&one_way).is_empty());
}

#[test]
fn the_reader_sees_the_paths_of_use_items_code_and_macros() {
    let source = r#"
        use crate::{store::Store, llm::{self, cache::CacheMode}};
        use super::super::usage::Usage;
        use serde::Serialize;
        fn f() -> crate::kv::KvNamespace { tracing::warn!("{}", crate::template::render()); todo!() }
        mod tests { use super::*; }
    "#;
    let uses = uses_in(
        vec!["engine".into(), "run".into(), "inner".into()],
        "engine/run/inner.rs",
        source,
    );
    let targets: BTreeSet<String> = uses.iter().map(|u| u.to.join("::")).collect();
    let expected: BTreeSet<String> = [
        "store::Store",
        "llm::self",
        "llm::cache::CacheMode",
        "engine::usage::Usage",
        "kv::KvNamespace",
        "template::render",
        "engine::run::inner",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(targets, expected);
}

#[test]
fn the_library_graph_has_the_edges_everyone_knows() {
    // A reader that found nothing would pass the layering check: make sure it reads the crate.
    let graph = top_level_graph(&library_uses());
    for (from, to) in [
        ("api", "store"),
        ("registry", "runtime"),
        ("settings", "api"),
    ] {
        assert!(
            graph.get(from).is_some_and(|edges| edges.contains_key(to)),
            "expected `{from}` to use `{to}`; the graph read: {graph:#?}"
        );
    }
}

#[test]
fn an_upward_use_and_a_cycle_are_reported() {
    let mut graph = Graph::new();
    add_edge(
        &mut graph,
        "llm",
        "store",
        "llm/routing.rs: store::Store".into(),
    );
    add_edge(
        &mut graph,
        "store",
        "llm",
        "store/jobs.rs: llm::CacheMode".into(),
    );
    let problems = layering_problems(&graph);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("`llm` (layer 2) uses `store` (layer 6)")
                && p.contains("llm/routing.rs")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p == "cycle: llm -> store -> llm"),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
}
