//! `embed_migrations!` reads the migration folders at compile time, but
//! cargo only rebuilds a crate when a tracked file changes: without this,
//! a newly added migration folder is silently left out of the build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
