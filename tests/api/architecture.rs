//! The shape of `src/`: no import circle between areas, nothing imports the composition root,
//! and the job registry knows every job kind and event the code defines.
//!
//! The import graph is read the way `../shared/tools/area_cycles.py` reads it (any `crate::X`
//! path in a file of area A is an edge A → X; comments are ignored), except that grouped
//! imports with nested braces (`crate::{a::{b, c}, d}`) are read in full, so this check sees
//! every edge the script sees and possibly more: when it finds no circle, neither does the
//! script.
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// The composition root: it may import every area, and no area imports it.
const ROOT: [&str; 4] = ["startup", "cli", "lib", "main"];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The area a file of `src/` belongs to: its top-level folder, or its own name.
fn area_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("component");
    let name = first.as_os_str().to_string_lossy().to_string();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level names a file reaches through `crate::` paths.
fn crate_names(text: &str) -> BTreeSet<String> {
    let text = strip_comments(text);
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("crate::") {
        let start = at + i + "crate::".len();
        // `$crate::` (macros) names this crate's items too.
        if bytes.get(start) == Some(&b'{') {
            let mut depth = 0usize;
            let mut group = String::new();
            for (j, ch) in text[start..].char_indices() {
                match ch {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            continue;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            at = start + j;
                            break;
                        }
                    }
                    _ => {}
                }
                group.push(if depth == 1 && ch == ',' { '\n' } else { ch });
            }
            for item in group.split('\n') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
            at = start;
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    let areas: BTreeSet<String> = files.iter().map(|f| area_of(&src, f)).collect();
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let a = area_of(&src, f);
        let text = fs::read_to_string(f).expect("read file");
        for b in crate_names(&text) {
            if b != a && areas.contains(&b) {
                edges
                    .entry(a.clone())
                    .or_default()
                    .entry(b)
                    .or_default()
                    .insert(f.strip_prefix(&src).expect("rel").display().to_string());
            }
        }
        edges.entry(a).or_default();
    }
    edges
}

/// Strongly connected groups of more than one area (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<Vec<String>> {
    struct T<'a> {
        e: &'a BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        idx: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        on: BTreeSet<&'a str>,
        stack: Vec<&'a str>,
        out: Vec<Vec<String>>,
        n: usize,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.idx.insert(v, t.n);
        t.low.insert(v, t.n);
        t.n += 1;
        t.stack.push(v);
        t.on.insert(v);
        let e = t.e;
        for w in e.get(v).into_iter().flat_map(|m| m.keys()) {
            let w = w.as_str();
            if !t.idx.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low[v];
                t.low.insert(v, lv.min(lw));
            } else if t.on.contains(w) {
                let iw = t.idx[w];
                let lv = t.low[v];
                t.low.insert(v, lv.min(iw));
            }
        }
        if t.low[v] == t.idx[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        e: edges,
        idx: BTreeMap::new(),
        low: BTreeMap::new(),
        on: BTreeSet::new(),
        stack: Vec::new(),
        out: Vec::new(),
        n: 0,
    };
    for v in edges.keys() {
        if !t.idx.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_import_circle_between_areas() {
    let edges = graph();
    let found = circles(&edges);
    let explain: Vec<String> = found
        .iter()
        .map(|c| {
            let arrows: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    edges[a]
                        .iter()
                        .filter(|(b, _)| c.contains(b))
                        .map(move |(b, files)| format!("  {a} -> {b}: {files:?}"))
                })
                .collect();
            format!("circle: {}\n{}", c.join(" "), arrows.join("\n"))
        })
        .collect();
    assert!(found.is_empty(), "{}", explain.join("\n"));
}

#[test]
fn nothing_imports_the_composition_root() {
    for (a, to) in graph() {
        if ROOT.contains(&a.as_str()) {
            continue;
        }
        for root in ROOT {
            assert!(
                !to.contains_key(root),
                "{a} imports the composition root ({root}) in {:?}",
                to[root]
            );
        }
    }
}

#[test]
fn the_outbox_and_shared_modules_import_no_domain_area() {
    // Below every area: the state, the HTTP plumbing, the outbox, the kernel.
    const DOMAIN: [&str; 11] = [
        "auth",
        "aggregators",
        "reference",
        "producers",
        "catalog",
        "inventory",
        "orders",
        "payments",
        "shop",
        "web",
        "system",
    ];
    let edges = graph();
    for low in [
        "core", "error", "config", "db", "state", "http", "jobs", "mail", "area",
    ] {
        for (b, files) in edges.get(low).into_iter().flatten() {
            assert!(
                !DOMAIN.contains(&b.as_str()),
                "{low} imports the area {b} in {files:?}"
            );
        }
    }
}

#[test]
fn the_reader_sees_nested_groups() {
    let names =
        crate_names("use crate::{a::{b, c}, d, e::f};\n// crate::ignored\nlet x = crate::g::h();");
    let want: BTreeSet<String> = ["a", "d", "e", "g"].iter().map(|s| s.to_string()).collect();
    assert_eq!(names, want);
}

/// Every kind the code defines for `impl {trait_name} for …` (its `const KIND` right inside
/// the impl), or through an `…_event!(Type, "kind")` macro call, read from the source.
fn defined_kinds(trait_name: &str) -> BTreeSet<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeSet::new();
    let literal = "const KIND: &'static str = \"";
    for f in rust_files(&src) {
        let text = strip_comments(&fs::read_to_string(&f).expect("read"));
        let mut rest = text.as_str();
        let needle = format!("impl {trait_name} for ");
        while let Some(i) = rest.find(&needle) {
            rest = &rest[i + needle.len()..];
            let body: String = rest.chars().take(120).collect();
            if let Some(k) = body.find(literal) {
                let kind: String = body[k + literal.len()..]
                    .chars()
                    .take_while(|c| *c != '"')
                    .collect();
                out.insert(kind);
            }
        }
        if trait_name == "Event" {
            for part in text.split("_event!(").skip(1) {
                if let Some(q) = part.split('"').nth(1)
                    && !part.starts_with('$')
                {
                    out.insert(q.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_job_kind_the_code_defines_is_registered_and_only_those() {
    let registry = yuimaru::startup::registry();
    let registered: BTreeSet<String> = registry.kinds().iter().map(|k| k.to_string()).collect();
    let defined = defined_kinds("Job");
    assert!(
        !defined.is_empty() && defined == registered,
        "defined but not registered: {:?}; registered but not defined: {:?}",
        defined.difference(&registered).collect::<Vec<_>>(),
        registered.difference(&defined).collect::<Vec<_>>()
    );
    for s in registry.schedules() {
        assert!(
            registered.contains(s.kind),
            "schedule {} runs {}",
            s.name,
            s.kind
        );
    }
    // Every job row the code writes names a registered kind: no string kinds outside the
    // typed payloads.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for f in rust_files(&src) {
        let text = fs::read_to_string(&f).expect("read");
        for (i, line) in text.lines().enumerate() {
            if let Some(at) = line.find("NewJob::new(\"") {
                panic!(
                    "{}:{}: a job enqueued by a string kind ({}) instead of NewJob::of",
                    f.display(),
                    i + 1,
                    &line[at..]
                );
            }
        }
    }
}

#[test]
fn every_subscription_follows_an_event_the_code_defines() {
    let registry = yuimaru::startup::registry();
    let events = defined_kinds("Event");
    assert!(
        events.contains("orders.placed") && events.contains("orders.refund_due"),
        "{events:?}"
    );
    for (kind, subscriber) in registry.subscriptions() {
        assert!(
            events.contains(kind),
            "{subscriber} follows {kind}, which no code records"
        );
    }
}

/// The database calls a line of code makes: a query builder started on an entity, a raw
/// statement run, or an active model written (`.insert(txn)`, `.update(db)`, …).
fn query_calls(text: &str) -> Vec<String> {
    const STARTS: [&str; 6] = [
        "Entity::find",
        "Entity::insert",
        "Entity::update",
        "Entity::delete",
        "find_by_statement(",
        "execute_raw(",
    ];
    const RUNS: [&str; 7] = ["one", "all", "count", "insert", "update", "delete", "exec"];
    let is_connection = |arg: &str| {
        let a = arg.trim().trim_start_matches('&');
        !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            && (a.ends_with("db") || a.ends_with("txn") || a.ends_with("conn"))
    };
    let mut out = Vec::new();
    for (n, line) in strip_comments(text).lines().enumerate() {
        let mut hit = STARTS.iter().any(|s| line.contains(s));
        for m in RUNS {
            let call = format!(".{m}(");
            let mut at = 0;
            while let Some(i) = line[at..].find(&call) {
                let from = at + i + call.len();
                if let Some(end) = line[from..].find(')') {
                    hit |= is_connection(&line[from..from + end]);
                }
                at = from;
            }
        }
        if hit {
            out.push(format!("{}: {}", n + 1, line.trim()));
        }
    }
    out
}

#[test]
fn every_area_keeps_its_queries_in_its_repo() {
    // Outside the areas: the database plumbing itself and the audit-row writer every area
    // calls inside its own transaction. The stock ledger builds its balance-update statement
    // (sent by the group-commit writer or by inventory::repo), it runs none itself.
    const OUTSIDE: [&str; 3] = ["db/mod.rs", "audit.rs", "inventory/ledger.rs"];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for f in rust_files(&src) {
        let rel = f
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with("/repo.rs") || OUTSIDE.contains(&rel.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&f).expect("read");
        // Unit tests may set up rows directly.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for q in query_calls(text) {
            found.push(format!("{rel}:{q}"));
        }
    }
    assert!(
        found.is_empty(),
        "queries outside an area's repo.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_query_reader_sees_calls_and_skips_look_alikes() {
    let calls = query_calls(
        "let a = sku::Entity::find_by_id(id).one(&app.db).await?;\n\
         x.iter().all(|b| b > 0);\n\
         seen.insert(k, v);\n\
         row.insert(txn).await?;\n\
         // order::Entity::find() in a comment\n",
    );
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].starts_with("1:") && calls[1].starts_with("4:"));
}
