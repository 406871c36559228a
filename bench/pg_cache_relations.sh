#!/usr/bin/env bash
# Reads PostgreSQL relations' files (main fork, every 1 GB segment) once, in
# the order given, so they sit in the kernel's page cache: a "warm server"
# starting point for scale measurements that does not depend on which
# patients an earlier run happened to ask for. What the cache cannot hold
# (RAM minus everything else) is evicted oldest first, so name the
# relations that must stay cached last.
#
#   bench/pg_cache_relations.sh DBNAME RELATION...
#
# A relation may be a table, an index or pg_toast.<name>; `toast:TABLE`
# names TABLE's TOAST table. Prints each relation's size and read time.
set -euo pipefail
shopt -s nullglob
db=${1:?usage: pg_cache_relations.sh DBNAME RELATION...}
shift
server=${PGURL:-postgres://postgres@127.0.0.1}
q() { psql -v ON_ERROR_STOP=1 -qAt "$server/$db" -c "$1"; }
datadir=$(q "SHOW data_directory")
for rel in "$@"; do
  if [[ $rel == toast:* ]]; then
    rel=$(q "SELECT reltoastrelid::regclass FROM pg_class WHERE oid = '${rel#toast:}'::regclass")
  fi
  path=$datadir/$(q "SELECT pg_relation_filepath('$rel')")
  start=$(date +%s.%N)
  files=("$path" "$path".[0-9]*)
  bytes=$(cat "${files[@]}" | wc -c)
  awk -v r="$rel" -v b="$bytes" -v s="$start" -v e="$(date +%s.%N)" \
    'BEGIN { printf "%-45s %8.0f MB in %6.1f s\n", r, b / 1048576, e - s }'
done
