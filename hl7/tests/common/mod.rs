//! Shared test helpers: where the public sample messages are.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// `shared/conformance`, found next to the workspace (main checkout) or one
/// level higher (git worktrees under `wt/`).
pub fn conformance_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for up in ["../../shared/conformance", "../../../shared/conformance"] {
        let dir = manifest.join(up);
        if dir.join("pix").is_dir() {
            return dir;
        }
    }
    panic!("shared/conformance not found near {}", manifest.display());
}

pub fn pix_dir() -> PathBuf {
    conformance_dir().join("pix")
}

pub fn read(rel: &str) -> Vec<u8> {
    let path = pix_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file with this extension under `pix/<rel>`, recursively, sorted.
pub fn files(rel: &str, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![pix_dir().join(rel)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no .{ext} files under {rel}");
    out
}
