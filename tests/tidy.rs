//! Tidy: enforces DESIGN.md's purity rules and the source style that review would otherwise have
//! to catch by eye.
//!
//! - `src/core/` and `src/protocol/` are pure: no runtime, no async, no clocks, no OS randomness,
//!   no files, no sockets.
//! - Only `src/runtime/` names tokio/madsim, spawns threads or reads a clock; only
//!   `src/storage/file_disk.rs` touches `std::fs`.
//! - Every `.rs` file under `src/` opens with a `//!` module doc, and no line exceeds 100 chars.
//!
//! Comment lines are skipped, so a doc may name what it forbids. Grouped imports
//! (`use std::{fs, io};`) are expanded before matching, so they cannot slip past a token.
//! A checker that cannot fail is a defect: the unit tests below feed it bad code.

use std::path::{Path, PathBuf};

/// Tokens banned in the pure modules.
const PURE_BANNED: &[&str] = &[
    "tokio::",
    "madsim::",
    ".await",
    "Instant::now",
    "SystemTime::now",
    "thread_rng",
    "std::fs",
    "std::net",
    "spawn_blocking",
];
/// The pure modules.
const PURE_DIRS: &[&str] = &["src/core/", "src/protocol/"];
/// Tokens banned everywhere in `src/` except the runtime seam.
const SEAM_BANNED: &[&str] = &[
    "tokio::",
    "madsim::",
    "std::thread::spawn",
    "spawn_blocking",
    "Instant::now",
    "SystemTime::now",
    "std::fs",
];
/// The one module allowed to name the runtime.
const RUNTIME_DIR: &str = "src/runtime/";
/// The one file allowed to use `std::fs`: the real `Disk`.
const STD_FS_ALLOWED: &str = "src/storage/file_disk.rs";
/// Longest line allowed, in characters.
const LINE_CHARS_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    line: usize,
    what: String,
}

/// The tokens banned in the file at `rel_path` (relative to the crate root, `/`-separated).
fn banned_tokens(rel_path: &str) -> Vec<&'static str> {
    let mut banned: Vec<&'static str> = Vec::new();
    if PURE_DIRS.iter().any(|dir| rel_path.starts_with(dir)) {
        banned.extend(PURE_BANNED);
    }
    if rel_path.starts_with("src/") && !rel_path.starts_with(RUNTIME_DIR) {
        for token in SEAM_BANNED {
            let fs_allowed = *token == "std::fs" && rel_path == STD_FS_ALLOWED;
            if !fs_allowed && !banned.contains(token) {
                banned.push(token);
            }
        }
    }
    banned
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with("//")
}

/// Splits `text` at commas that are not inside braces.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Expands a use tree (`std::{fs, io::{self, Read}}`) into full paths (`std::fs`, ...).
fn expand_use_tree(prefix: &str, tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect();
    let Some(open) = tree.find('{') else {
        return vec![format!("{prefix}{tree}")];
    };
    let head = format!("{prefix}{}", &tree[..open]);
    let inner = tree[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    split_top_level(inner)
        .into_iter()
        .filter(|part| !part.is_empty())
        .flat_map(|part| match part {
            "self" => vec![head.trim_end_matches("::").to_string()],
            _ => expand_use_tree(&head, part),
        })
        .collect()
}

/// `use` statements with braces, as (first line number, expanded paths).
fn grouped_uses(source: &str) -> Vec<(usize, Vec<String>)> {
    let mut uses = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in source.lines().enumerate() {
        if is_comment(line) {
            continue;
        }
        let trimmed = line.trim();
        if current.is_none() {
            let body = trimmed.strip_prefix("pub ").unwrap_or(trimmed);
            if let Some(rest) = body.strip_prefix("use ") {
                current = Some((index + 1, rest.to_string()));
            }
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(trimmed);
        }
        let complete = current.as_ref().is_some_and(|(_, text)| text.contains(';'));
        if complete {
            let (line, text) = current.take().expect("checked above");
            let tree = text.split(';').next().unwrap_or("").trim();
            if tree.contains('{') {
                uses.push((line, expand_use_tree("", tree)));
            }
        }
    }
    uses
}

/// Every banned token in `source`, skipping comment lines.
fn scan_tokens(source: &str, banned: &[&str]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, line) in source.lines().enumerate() {
        if is_comment(line) {
            continue;
        }
        for token in banned {
            if line.contains(token) {
                findings.push(Finding {
                    line: index + 1,
                    what: (*token).to_string(),
                });
            }
        }
    }
    for (line, paths) in grouped_uses(source) {
        for token in banned {
            let hit = paths
                .iter()
                .any(|path| path.starts_with(token) || path.contains(&format!("::{token}")));
            let already = findings.iter().any(|f| f.line == line && f.what == *token);
            if hit && !already {
                findings.push(Finding {
                    line,
                    what: (*token).to_string(),
                });
            }
        }
    }
    findings.sort_by(|a, b| (a.line, &a.what).cmp(&(b.line, &b.what)));
    findings
}

/// Style: a `//!` module doc first (after inner attributes and blank lines), short lines.
fn scan_style(source: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let first = source
        .lines()
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with("#!["));
    match first {
        Some((_, line)) if line.trim_start().starts_with("//!") => {}
        Some((index, _)) => findings.push(Finding {
            line: index + 1,
            what: "missing //! module doc at the top of the file".to_string(),
        }),
        None => findings.push(Finding {
            line: 1,
            what: "empty file: missing //! module doc".to_string(),
        }),
    }
    for (index, line) in source.lines().enumerate() {
        let chars = line.chars().count();
        if chars > LINE_CHARS_MAX {
            findings.push(Finding {
                line: index + 1,
                what: format!("line is {chars} chars, over {LINE_CHARS_MAX}"),
            });
        }
    }
    findings
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `src/`, as (path relative to the crate root, contents).
fn crate_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(
        !files.is_empty(),
        "tidy found no sources under {}",
        root.display()
    );
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(root).expect("under the root");
            let rel = rel.to_string_lossy().replace('\\', "/");
            let source = std::fs::read_to_string(&path).expect("readable source file");
            (rel, source)
        })
        .collect()
}

fn report(title: &str, findings: &[(String, Finding)]) {
    if findings.is_empty() {
        return;
    }
    eprintln!("{title}:");
    for (path, finding) in findings {
        eprintln!("{path}:{}: {}", finding.line, finding.what);
    }
    panic!("tidy: {} finding(s): {title}", findings.len());
}

#[test]
fn core_protocol_pure_and_runtime_seam_respected() {
    let mut findings = Vec::new();
    for (path, source) in crate_sources() {
        let banned = banned_tokens(&path);
        for finding in scan_tokens(&source, &banned) {
            findings.push((path.clone(), finding));
        }
    }
    report(
        "banned tokens (DESIGN.md: core/protocol pure; only src/runtime names the runtime)",
        &findings,
    );
}

#[test]
fn every_source_file_has_a_module_doc_and_short_lines() {
    let mut findings = Vec::new();
    for (path, source) in crate_sources() {
        for finding in scan_style(&source) {
            findings.push((path.clone(), finding));
        }
    }
    report("style (module docs, line length)", &findings);
}

#[test]
fn scanner_flags_banned_tokens_and_skips_comments() {
    let bad = "//! A module.\n\
               use tokio::net::TcpStream;\n\
               // tokio:: named in a comment is fine\n\
               fn f() { let t = std::time::Instant::now(); }\n\
               async fn g() { h().await; }\n";
    let banned = banned_tokens("src/core/raft/mod.rs");
    let found: Vec<(usize, String)> = scan_tokens(bad, &banned)
        .into_iter()
        .map(|f| (f.line, f.what))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, "tokio::".to_string()),
            (4, "Instant::now".to_string()),
            (5, ".await".to_string()),
        ]
    );
}

#[test]
fn scanner_expands_grouped_imports() {
    let bad =
        "//! A module.\nuse std::{\n    fs,\n    io::{self, Read},\n    net::TcpStream,\n};\n";
    let found = scan_tokens(bad, &banned_tokens("src/protocol/codec.rs"));
    let whats: Vec<&str> = found.iter().map(|f| f.what.as_str()).collect();
    assert_eq!(whats, vec!["std::fs", "std::net"]);
    assert!(found.iter().all(|f| f.line == 2));
    assert_eq!(
        expand_use_tree("", "std::{fs, io::{self, Read}}"),
        vec!["std::fs", "std::io", "std::io::Read"]
    );
}

#[test]
fn rules_depend_on_the_path() {
    let runtime = banned_tokens("src/runtime/clock.rs");
    assert!(
        runtime.is_empty(),
        "the runtime seam may name anything: {runtime:?}"
    );
    let file_disk = banned_tokens("src/storage/file_disk.rs");
    assert!(!file_disk.contains(&"std::fs") && file_disk.contains(&"tokio::"));
    let server = banned_tokens("src/server/conn.rs");
    assert!(server.contains(&"std::fs") && server.contains(&"std::thread::spawn"));
    assert!(
        !server.contains(&".await"),
        "async is fine outside core/protocol"
    );
    let protocol = banned_tokens("src/protocol/frame.rs");
    assert!(protocol.contains(&".await") && protocol.contains(&"std::net"));
    let source = "//! doc\nfn f() { std::fs::read(\"x\").unwrap(); }\n";
    assert_eq!(scan_tokens(source, &server).len(), 1);
    assert!(scan_tokens(source, &file_disk).is_empty());
}

#[test]
fn style_checker_flags_missing_docs_and_long_lines() {
    let long = format!("//! doc\nfn f() {{}} // {}\n", "x".repeat(LINE_CHARS_MAX));
    let found = scan_style(&long);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2);
    assert_eq!(
        scan_style("use std::io;\n")[0].what,
        "missing //! module doc at the top of the file"
    );
    assert_eq!(scan_style("/// an item doc\nfn f() {}\n").len(), 1);
    assert!(scan_style("#![allow(dead_code)]\n\n//! doc\nfn f() {}\n").is_empty());
    assert_eq!(scan_style("").len(), 1);
}
