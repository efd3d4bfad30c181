//! The layering rule of `docs/architecture.md`, held against the code.
//!
//! Every top-level module under `src/` (a *room*) sits on a floor. A room
//! may import only rooms on lower floors; two rooms on one floor never
//! import each other; and inside a room no files import each other,
//! directly or through others (no file circles). This test parses every
//! file under `src/` with `syn`, resolves each `crate::`, `super::`,
//! `self::` and child-module path (in `use` items, in code, and in macro
//! bodies) to the file that defines it, and fails naming each file and
//! import that breaks the rule.
//!
//! A module file reaching into its own submodules (`mod.rs` re-exporting
//! `pub use judge::Facts`, or routing to `admin::list`) owns them and is
//! not counted as an import; every other edge between two files is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Floors, bottom to top. `main.rs` and `lib.rs` stand above them all.
const FLOORS: &[(&str, u32)] = &[
    ("config", 1),
    ("results", 1),
    ("telemetry", 1),
    ("sources", 2),
    ("store", 2),
    ("metrics", 2),
    ("health_probe", 2),
    ("checks", 3),
    ("derive", 4),
    // Today's `slo` room is part of `derive`.
    ("slo", 4),
    ("alerts", 5),
    ("stabilization", 5),
    ("digest", 5),
    ("notify", 5),
    ("feedback", 5),
    ("scheduler", 6),
    ("web", 6),
    ("app", 7),
    ("demo", 8),
    ("cli", 9),
    // Part of `cli` (its progress bars).
    ("cli_progress", 9),
];
const TOP: u32 = 10;

/// Downward arrows the floors allow but the design does not (issue 14):
/// (from, to, why).
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "alerts",
        "checks",
        "alerts learn check metadata from config, not from the check runners",
    ),
    (
        "web",
        "checks",
        "web learns check metadata from config, not from the check runners",
    ),
    (
        "scheduler",
        "slo",
        "derived state is computed by the derive loop, not by the scheduler",
    ),
    (
        "scheduler",
        "derive",
        "derived state is computed by the derive loop, not by the scheduler",
    ),
];

/// Findings in rooms another change is reshaping at the same time, held
/// here so the rest of the code is held to the rule meanwhile: (the first
/// line of the finding, why it is still there). An entry that no longer
/// matches anything fails the test, so the list only shrinks.
const PENDING: &[(&str, &str)] = &[];

fn floor(room: &str) -> Option<u32> {
    FLOORS.iter().find(|(r, _)| *r == room).map(|(_, f)| *f)
}

/// One import: from a file, to a module path, with where it was written.
#[derive(Debug, Clone)]
struct Import {
    from: PathBuf,
    line: usize,
    /// The path as written, for the message.
    text: String,
    /// The absolute module path it resolves to (crate root = empty).
    target: Vec<String>,
}

/// The module path of a file: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Walks one file, tracking inline `mod x { … }` blocks so that `super`
/// and `self` resolve as the compiler does.
struct Walker<'a> {
    file: &'a Path,
    /// The module path of the innermost module being walked.
    module: Vec<String>,
    /// Module paths that exist (files and inline modules), to tell a child
    /// module (`judge::today`) from a local name or an outside crate.
    modules: &'a BTreeSet<Vec<String>>,
    out: Vec<Import>,
}

impl Walker<'_> {
    /// Resolves a path written in the current module; `None` when it does
    /// not start at this crate (std, an outside crate, a local name).
    fn resolve(&self, segs: &[String]) -> Option<Vec<String>> {
        let first = segs.first()?;
        let mut base = match first.as_str() {
            "crate" | "$crate" => Vec::new(),
            "self" => self.module.clone(),
            "super" => self.module.clone(),
            _ => {
                let mut child = self.module.clone();
                child.push(first.clone());
                if !self.modules.contains(&child) {
                    return None;
                }
                let mut out = self.module.clone();
                out.extend(segs.iter().cloned());
                return Some(out);
            }
        };
        let mut rest = &segs[1..];
        if first == "super" {
            base.pop()?;
        }
        while rest.first().is_some_and(|s| s == "super") {
            base.pop()?;
            rest = &rest[1..];
        }
        base.extend(rest.iter().filter(|s| *s != "self").cloned());
        Some(base)
    }

    fn record(&mut self, segs: Vec<String>, line: usize) {
        if let Some(target) = self.resolve(&segs) {
            self.out.push(Import {
                from: self.file.to_path_buf(),
                line,
                text: segs.join("::"),
                target,
            });
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                full.push(n.ident.to_string());
                self.record(full, line);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                self.record(full, line);
            }
            syn::UseTree::Glob(_) => self.record(prefix.clone(), line),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, line);
                }
            }
        }
    }

    /// Paths inside macro bodies (`html! { … }`, `on_pool!(…)`), token by token.
    fn tokens(&mut self, stream: proc_macro2::TokenStream) {
        let tokens: Vec<proc_macro2::TokenTree> = stream.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                proc_macro2::TokenTree::Ident(id)
                    if ["crate", "super"].contains(&id.to_string().as_str())
                        && !preceded_by_path_sep(&tokens, i) =>
                {
                    let line = id.span().start().line;
                    let mut segs = vec![id.to_string()];
                    if i > 0 && is_dollar(&tokens[i - 1]) {
                        segs[0] = "$crate".into();
                    }
                    let mut j = i + 1;
                    while j + 2 < tokens.len() + 1 && is_path_sep(&tokens, j) {
                        match tokens.get(j + 2) {
                            Some(proc_macro2::TokenTree::Ident(next)) => {
                                segs.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    if segs.len() > 1 {
                        self.record(segs, line);
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

fn is_dollar(t: &proc_macro2::TokenTree) -> bool {
    matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == '$')
}

/// Whether tokens `i` and `i + 1` are the two colons of `::`.
fn is_path_sep(tokens: &[proc_macro2::TokenTree], i: usize) -> bool {
    let colon = |t: Option<&proc_macro2::TokenTree>| matches!(t, Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == ':');
    colon(tokens.get(i)) && colon(tokens.get(i + 1))
}

fn preceded_by_path_sep(tokens: &[proc_macro2::TokenTree], i: usize) -> bool {
    i >= 2 && is_path_sep(tokens, i - 2)
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.module.push(m.ident.to_string());
            syn::visit::visit_item_mod(self, m);
            self.module.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let line = syn::spanned::Spanned::span(u).start().line;
        self.use_tree(&mut Vec::new(), &u.tree, line);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.segments.len() > 1 {
            let segs = p.segments.iter().map(|s| s.ident.to_string()).collect();
            let line = syn::spanned::Spanned::span(p).start().line;
            self.record(segs, line);
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.visit_path(&m.path);
        self.tokens(m.tokens.clone());
    }

    /// Derive helpers name code too (`#[openapi(paths(api::list))]`), so an
    /// attribute's arguments are read like a macro body.
    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if let syn::Meta::List(list) = &a.meta {
            self.tokens(list.tokens.clone());
        }
        syn::visit::visit_attribute(self, a);
    }
}

/// Inline modules (`mod tests { … }`) of a parsed file, as module paths.
fn inline_modules(base: &[String], items: &[syn::Item], out: &mut BTreeSet<Vec<String>>) {
    for item in items {
        if let syn::Item::Mod(m) = item
            && let Some((_, inner)) = &m.content
        {
            let mut path = base.to_vec();
            path.push(m.ident.to_string());
            out.insert(path.clone());
            inline_modules(&path, inner, out);
        }
    }
}

/// The file that defines a module path: the longest prefix with a file.
fn file_of(by_module: &BTreeMap<Vec<String>, PathBuf>, target: &[String]) -> Option<PathBuf> {
    (0..=target.len())
        .rev()
        .find_map(|n| by_module.get(&target[..n]).cloned())
}

struct Source {
    src: PathBuf,
    by_module: BTreeMap<Vec<String>, PathBuf>,
    imports: Vec<Import>,
}

fn read_source() -> Source {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // main.rs is a crate of its own: its `crate::` is not the library's.
    files.retain(|f| f != &src.join("main.rs"));
    let mut parsed = Vec::new();
    let mut modules = BTreeSet::new();
    let mut by_module = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let ast =
            syn::parse_file(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", f.display()));
        let module = module_of(&src, f);
        inline_modules(&module, &ast.items, &mut modules);
        modules.insert(module.clone());
        by_module.insert(module.clone(), f.clone());
        parsed.push((f.clone(), module, ast));
    }
    let mut imports = Vec::new();
    for (file, module, ast) in &parsed {
        let mut w = Walker {
            file,
            module: module.clone(),
            modules: &modules,
            out: Vec::new(),
        };
        w.visit_file(ast);
        imports.extend(w.out);
    }
    Source {
        src,
        by_module,
        imports,
    }
}

fn room_of(module: &[String]) -> Option<&str> {
    module.first().map(String::as_str)
}

fn rel(src: &Path, f: &Path) -> String {
    format!("src/{}", f.strip_prefix(src).unwrap_or(f).to_string_lossy())
}

/// Imports that point up a floor or across one.
fn arrows(s: &Source) -> Vec<String> {
    let mut out = BTreeSet::new();
    for i in &s.imports {
        let from_module = module_of(&s.src, &i.from);
        let (Some(from), target) = (room_of(&from_module), room_of(&i.target)) else {
            continue;
        };
        let Some(target) = target else {
            out.insert(format!(
                "{}:{}: `{}` reaches into the crate root (lib.rs) from room `{from}`",
                rel(&s.src, &i.from),
                i.line,
                i.text
            ));
            continue;
        };
        if target == from {
            continue;
        }
        let (Some(ff), tf) = (floor(from), floor(target)) else {
            out.insert(format!(
                "{}: room `{from}` has no floor in the layering table",
                rel(&s.src, &i.from)
            ));
            continue;
        };
        let tf = tf.unwrap_or(TOP);
        if let Some((_, _, why)) = FORBIDDEN
            .iter()
            .find(|(a, b, _)| *a == from && *b == target)
        {
            out.insert(format!(
                "{}:{}: `{}`: `{from}` must not import `{target}`: {why}",
                rel(&s.src, &i.from),
                i.line,
                i.text
            ));
        }
        if tf >= ff {
            let how = if tf == ff { "across" } else { "up" };
            out.insert(format!(
                "{}:{}: `{}` points {how}: `{from}` (floor {ff}) imports `{target}` (floor {tf})",
                rel(&s.src, &i.from),
                i.line,
                i.text
            ));
        }
    }
    out.into_iter().collect()
}

/// File circles inside each room (strongly connected sets of files).
fn circles(s: &Source) -> Vec<String> {
    let mut edges: BTreeMap<PathBuf, BTreeMap<PathBuf, (usize, String)>> = BTreeMap::new();
    for i in &s.imports {
        let Some(to) = file_of(&s.by_module, &i.target) else {
            continue;
        };
        let from_module = module_of(&s.src, &i.from);
        let same_room = room_of(&from_module) == room_of(&i.target);
        // A module reaching into its own submodules (`pub use judge::Facts`,
        // `runner::ms`) owns them: that is how Rust exposes a folder, not
        // an import between peers. Children importing their parent's items,
        // and siblings importing each other, are the edges that can circle.
        let owns = module_of(&s.src, &to).starts_with(&from_module);
        if to != i.from && same_room && !owns {
            edges
                .entry(i.from.clone())
                .or_default()
                .entry(to)
                .or_insert((i.line, i.text.clone()));
        }
    }
    let mut out = Vec::new();
    for scc in strongly_connected(&edges) {
        let mut lines = vec![format!(
            "file circle: {}",
            scc.iter()
                .map(|f| rel(&s.src, f))
                .collect::<Vec<_>>()
                .join(" <-> ")
        )];
        for a in &scc {
            for (b, (line, text)) in edges.get(a).into_iter().flatten() {
                if scc.contains(b) {
                    lines.push(format!(
                        "    {}:{line}: `{text}` -> {}",
                        rel(&s.src, a),
                        rel(&s.src, b)
                    ));
                }
            }
        }
        out.push(lines.join("\n"));
    }
    out
}

/// Tarjan's algorithm; returns the sets of more than one file.
fn strongly_connected(
    edges: &BTreeMap<PathBuf, BTreeMap<PathBuf, (usize, String)>>,
) -> Vec<Vec<PathBuf>> {
    struct T<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeMap<PathBuf, (usize, String)>>,
        index: BTreeMap<&'a PathBuf, (usize, usize)>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a PathBuf) {
        t.index.insert(v, (t.next, t.next));
        t.next += 1;
        t.stack.push(v);
        t.on_stack.insert(v);
        for w in t.edges.get(v).into_iter().flat_map(|m| m.keys()) {
            if !t.index.contains_key(w) {
                visit(t, w);
                let low = t.index[w].1.min(t.index[v].1);
                if let Some(e) = t.index.get_mut(v) {
                    e.1 = low;
                }
            } else if t.on_stack.contains(w) {
                let low = t.index[w].0.min(t.index[v].1);
                if let Some(e) = t.index.get_mut(v) {
                    e.1 = low;
                }
            }
        }
        if t.index[v].0 == t.index[v].1 {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on_stack.remove(w);
                scc.push(w.clone());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn imports_point_down_the_floors_and_files_form_no_circles() {
    let s = read_source();
    assert!(
        s.imports.len() > 100,
        "the walker found only {} imports: it is not reading the code",
        s.imports.len()
    );
    let mut problems = arrows(&s);
    problems.extend(circles(&s));
    let first_line = |p: &String| p.lines().next().unwrap_or_default().to_string();
    let stale: Vec<&str> = PENDING
        .iter()
        .filter(|(finding, _)| !problems.iter().any(|p| first_line(p) == *finding))
        .map(|(finding, _)| *finding)
        .collect();
    assert!(
        stale.is_empty(),
        "these pending findings are gone: remove them from PENDING in tests/layers.rs:\n{}",
        stale.join("\n")
    );
    for (finding, why) in PENDING {
        eprintln!("pending ({why}): {finding}");
    }
    problems.retain(|p| !PENDING.iter().any(|(finding, _)| first_line(p) == *finding));
    assert!(
        problems.is_empty(),
        "{} imports break the layering rule (docs/architecture.md):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The walker itself: a `super::` path in a file, a child module in
/// `mod.rs`, a `crate::` path in a macro body and an up-pointing import
/// are all found; a local name and `std` are not.
#[test]
fn the_walker_resolves_paths_as_the_compiler_does() {
    let code = r#"
        use super::rules::Target;
        use crate::{store::Store, app::Application};
        use std::sync::Arc;
        fn f() { judge::today(); let x = local::thing(); html! { (crate::web::page()) } }
        mod tests { use super::*; }
    "#;
    let ast = syn::parse_file(code).unwrap();
    let modules: BTreeSet<Vec<String>> = [
        vec!["alerts".to_string()],
        vec!["alerts".to_string(), "judge".to_string()],
    ]
    .into_iter()
    .collect();
    let mut w = Walker {
        file: Path::new("src/alerts/mod.rs"),
        module: vec!["alerts".into()],
        modules: &modules,
        out: Vec::new(),
    };
    w.visit_file(&ast);
    let found: Vec<String> = w.out.iter().map(|i| i.target.join("::")).collect();
    assert_eq!(
        found,
        [
            "rules::Target",
            "store::Store",
            "app::Application",
            "alerts::judge::today",
            "web::page",
            "alerts",
        ],
        "{found:?}"
    );
}
