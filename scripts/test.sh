#!/usr/bin/env bash
# The project's test command (README, .ci/run): formatting, lints, and the
# whole test suite twice — on SQLite (embedded default) and on PostgreSQL.
# Needs a PostgreSQL server; RENKEI_TEST_PG overrides where it is.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${RENKEI_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

echo "== fuzz targets compile (run them with: cargo fuzz run -s none <target>)"
cargo check --manifest-path fuzz/Cargo.toml --bins

echo "== tests on SQLite"
cargo test --workspace

echo "== tests on PostgreSQL ($pg_url)"
RENKEI_TEST_DATABASE_URL="$pg_url" cargo test --workspace
