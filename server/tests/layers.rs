//! The map that cannot drift: every path into the crate's own modules
//! (`use` lines, and paths written inline such as `crate::server::clock::…`)
//! in `app/src` and `server/src` is checked against the import table of
//! `docs/ARCHITECTURE.md`. An import the table does not allow fails this
//! test with its file, its line and the rule it broke; so does a file that
//! no row covers. `LAYERS_EDGES=1` prints every edge, to write a row from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const TABLE_START: &str = "<!-- import rules: start -->";
const TABLE_END: &str = "<!-- import rules: end -->";

/// One row of the table: the modules it covers, and what they may import.
#[derive(Debug)]
struct Rule {
    /// Module paths (`server::services::console`), each covering its
    /// submodules too.
    modules: Vec<String>,
    /// Module or item paths (`server::db::Db`), each allowing itself and
    /// everything under it.
    may_import: Vec<String>,
    /// The row as written, for the failure message.
    line: usize,
}

/// The aliases a row may use instead of listing modules.
fn aliases(word: &str) -> Option<&'static [&'static str]> {
    match word {
        "leaves" => Some(&["text", "error", "domain", "types", "routes"]),
        "blocks" => Some(&[
            "server::session",
            "server::password",
            "server::totp",
            "server::crypto",
            "server::clock",
            "server::labels",
            "server::jws",
            "server::metrics",
        ]),
        _ => None,
    }
}

fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Reads the rows between the markers of the doc.
fn parse_rules(doc: &str) -> Vec<Rule> {
    let start = doc
        .find(TABLE_START)
        .expect("the doc has the import rules' start marker");
    let end = doc
        .find(TABLE_END)
        .expect("the doc has the import rules' end marker");
    let first_line = doc[..start].lines().count();
    let mut rules = Vec::new();
    for (i, line) in doc[start..end].lines().enumerate() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| module | what | may import |` → ["", module, what, may, ""]
        if cells.len() < 5 || cells[1] == "module" || cells[1].starts_with("---") {
            continue;
        }
        let modules = backticked(cells[1]);
        let may = cells[3];
        let mut may_import = backticked(may);
        for word in may.split(|c: char| !c.is_alphanumeric() && c != '_') {
            if let Some(expanded) = aliases(word) {
                may_import.extend(expanded.iter().map(|s| s.to_string()));
            }
        }
        assert!(
            !modules.is_empty(),
            "ARCHITECTURE.md line {}: a row names no module",
            first_line + i
        );
        rules.push(Rule {
            modules,
            may_import,
            line: first_line + i,
        });
    }
    rules
}

fn is_under(path: &str, prefix: &str) -> bool {
    path == prefix || path.starts_with(&format!("{prefix}::"))
}

/// The row that covers `module`: the one naming the longest prefix of it.
fn rule_for<'a>(rules: &'a [Rule], module: &str) -> Option<(&'a Rule, &'a str)> {
    rules
        .iter()
        .flat_map(|r| r.modules.iter().map(move |m| (r, m.as_str())))
        .filter(|(_, m)| is_under(module, m))
        .max_by_key(|(_, m)| m.len())
}

/// A source file, as a module path: `app/src/server/db/users.rs` is
/// `server::db::users`; the server crate's files are under `bin::`.
fn module_of(crate_prefix: &str, src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    let mut path: Vec<String> = crate_prefix
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    path.extend(parts);
    if path.is_empty() {
        "lib".into()
    } else {
        path.join("::")
    }
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap().trim();
        return vec![path.trim_end_matches("::self").to_owned()];
    };
    let base = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').expect("a closed use tree")];
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[from..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| match p.as_str() {
            "self" => base.to_owned(),
            _ if base.is_empty() => p,
            _ => format!("{base}::{p}"),
        })
        .collect()
}

/// Code without comments and string literals, line by line (a line that
/// is only a doc or plain comment is blank).
fn code_lines(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in source.lines() {
        let mut kept = String::new();
        let mut chars = line.chars().peekable();
        let mut in_str = false;
        while let Some(c) = chars.next() {
            if in_block {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    in_block = false;
                }
                continue;
            }
            if in_str {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    in_str = false;
                }
                continue;
            }
            match c {
                '/' if chars.peek() == Some(&'/') => break,
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    in_block = true;
                }
                '"' => {
                    in_str = true;
                    kept.push_str("\"\"");
                }
                _ => kept.push(c),
            }
        }
        out.push(kept);
    }
    out
}

/// One path into the crate's own modules, where it was written.
#[derive(Debug)]
struct Import {
    line: usize,
    /// Resolved to the crate root: `server::db::users::UserRow`.
    target: String,
}

/// Resolves a path as written in `module` to a path from the crate root.
/// `None` for paths into other crates.
fn resolve(module: &str, path: &str, crate_prefix: &str) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = if module == "lib" {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    match segments[0] {
        "crate" => {
            segments.remove(0);
            base = crate_prefix.split("::").filter(|s| !s.is_empty()).collect();
        }
        "app" if !crate_prefix.is_empty() => {
            segments.remove(0);
            base.clear();
        }
        // main.rs reaches the server crate's library by its name.
        "server" if crate_prefix == "bin" => {
            segments.remove(0);
            base = vec!["bin"];
        }
        "super" | "self" => {
            // A file's own module: `mod.rs` and `lib.rs` are their directory.
            while let Some(first) = segments.first() {
                match *first {
                    "self" => {}
                    "super" => {
                        base.pop();
                    }
                    _ => break,
                }
                segments.remove(0);
            }
        }
        _ => return None,
    }
    base.extend(segments.into_iter().filter(|s| *s != "*"));
    let joined = base.join("::");
    (!joined.is_empty()).then_some(joined)
}

/// Every path into the crate in one file.
fn imports_of(module: &str, source: &str, crate_prefix: &str) -> Vec<Import> {
    let mut lines = code_lines(source);
    // A file's unit tests (an inline `mod tests` at its end) are outside
    // the layers, and their `super::` is the file itself.
    if let Some(at) = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests"))
    {
        lines.truncate(at);
    }
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let statement = trimmed
            .strip_prefix("pub use ")
            .or_else(|| trimmed.strip_prefix("pub(crate) use "))
            .or_else(|| trimmed.strip_prefix("pub(super) use "))
            .or_else(|| trimmed.strip_prefix("use "));
        if let Some(rest) = statement {
            let start = i;
            let mut text = rest.to_owned();
            while !text.contains(';') && i + 1 < lines.len() {
                i += 1;
                text.push_str(&lines[i]);
            }
            let tree = text.split(';').next().unwrap();
            for path in expand(tree) {
                if let Some(target) = resolve(module, &path, crate_prefix) {
                    found.push(Import {
                        line: start + 1,
                        target,
                    });
                }
            }
        } else {
            // Inline paths: `crate::server::clock::now()`, `super::x::y`.
            for root in ["crate::", "super::", "app::"] {
                let mut from = 0;
                while let Some(at) = lines[i][from..].find(root) {
                    let at = from + at;
                    let before = lines[i][..at].chars().last();
                    from = at + root.len();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                        continue;
                    }
                    let path: String = lines[i][at..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    let path = path.trim_end_matches(':');
                    // A path ends at its last segment that starts lower
                    // case or is a type: both are what the rule checks.
                    if let Some(target) = resolve(module, path, crate_prefix) {
                        found.push(Import {
                            line: i + 1,
                            target,
                        });
                    }
                }
            }
        }
        i += 1;
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// What is wrong with `imports` of `module` (in `file`) under `rules`.
fn violations(rules: &[Rule], file: &str, module: &str, imports: &[Import]) -> Vec<String> {
    let Some((rule, _)) = rule_for(rules, module) else {
        return vec![format!(
            "{file}: the module `{module}` has no row in docs/ARCHITECTURE.md's import table"
        )];
    };
    let mut out = Vec::new();
    for import in imports {
        let target = import.target.as_str();
        // Within one row (a feature and its submodules, a layer's files).
        let same_row = rule_for(rules, target).is_some_and(|(r, _)| std::ptr::eq(r, rule));
        // The crate root's re-exports and the file's own ancestors are not
        // imports of another module.
        let own_ancestor = is_under(module, target);
        let allowed = rule.may_import.iter().any(|m| is_under(target, m));
        if !(same_row || own_ancestor || allowed) {
            out.push(format!(
                "{file}:{}: `{module}` imports `{target}`, which its row (ARCHITECTURE.md line {}: {}) does not allow",
                import.line,
                rule.line,
                rule.modules.join(", "),
            ));
        }
    }
    out
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rules() -> Vec<Rule> {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    parse_rules(&doc)
}

/// Every file of both crates, with its module and its imports.
fn sources() -> Vec<(String, String, Vec<Import>)> {
    let mut out = Vec::new();
    for (dir, prefix) in [("app/src", ""), ("server/src", "bin")] {
        let src = root().join(dir);
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files.sort();
        for file in files {
            let module = module_of(prefix, &src, &file);
            let source = std::fs::read_to_string(&file).unwrap();
            let imports = imports_of(&module, &source, prefix);
            let name = file.strip_prefix(root()).unwrap().display().to_string();
            out.push((name, module, imports));
        }
    }
    out
}

#[test]
fn every_import_is_one_the_architecture_table_allows() {
    let rules = rules();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, module, imports) in sources() {
        problems.extend(violations(&rules, &file, &module, &imports));
        for i in &imports {
            edges
                .entry(module.clone())
                .or_default()
                .insert(i.target.clone());
        }
    }
    if std::env::var_os("LAYERS_EDGES").is_some() {
        for (module, targets) in &edges {
            println!(
                "{module}: {}",
                targets.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    assert!(
        problems.is_empty(),
        "{} imports break docs/ARCHITECTURE.md's table:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The check itself: a repository that reaches up into a service, planted
/// in a real file's place, is caught with its file, line and rule.
#[test]
fn a_planted_violation_is_named_with_its_file_line_and_rule() {
    let rules = rules();
    let planted =
        "//! The users table.\n\nuse super::Db;\nuse crate::server::services::mfa::reset;\n";
    let module = "server::db::users";
    let imports = imports_of(module, planted, "");
    let found = violations(&rules, "app/src/server/db/users.rs", module, &imports);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("app/src/server/db/users.rs:4: `server::db::users` imports `server::services::mfa::reset`"),
        "{}",
        found[0]
    );
    assert!(found[0].contains("ARCHITECTURE.md line"), "{}", found[0]);

    let inline = "fn f() { crate::auth::my_role(); }\n";
    let found = violations(&rules, "x.rs", module, &imports_of(module, inline, ""));
    assert_eq!(found.len(), 1, "an inline path counts too: {found:?}");

    let unmapped = violations(&rules, "app/src/nowhere.rs", "nowhere", &[]);
    assert!(unmapped[0].contains("has no row"), "{unmapped:?}");
}

#[test]
fn use_trees_expand_to_their_paths() {
    assert_eq!(
        expand("crate::server::{request::{self, Call}, services::mfa as m, AppState}"),
        [
            "crate::server::request",
            "crate::server::request::Call",
            "crate::server::services::mfa",
            "crate::server::AppState"
        ]
    );
    assert_eq!(
        resolve("server::db::users", "super::audit::Entry", ""),
        Some("server::db::audit::Entry".into())
    );
    assert_eq!(
        resolve("bin::cli::user", "app::domain::Role", "bin"),
        Some("domain::Role".into())
    );
    assert_eq!(
        resolve("bin::cli::user", "crate::config", "bin"),
        Some("bin::config".into())
    );
    assert_eq!(
        resolve("server::db::users", "sqlx::AnyConnection", ""),
        None
    );
}
