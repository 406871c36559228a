#!/usr/bin/env bash
# Raw PostgreSQL insert rate of the very rows renkei writes, as the reference
# for registration (ITI-42 / ITI-41) throughput.
#
#   bench/pg_reference.sh SRC_DB [CLIENTS] [TRANSACTIONS_PER_CLIENT]
#
# SRC_DB is a database a renkei hub (or `renkei-load generate`) filled. The
# script creates a fresh database REF_DB (default renkei_bench_ref) with the
# hub's own migration, then measures:
#   1. COPY of all registry rows of SRC_DB (patients, registry_objects,
#      object_codes, associations) into the indexed tables, one transaction:
#      the bulk ceiling, reported as DocumentEntries/s.
#   2. pgbench (simple query protocol: -M prepared cannot type the id
#      expressions), CLIENTS connections, one transaction per submission of
#      DOCS documents (env, default 1): the SubmissionSet row, the
#      DocumentEntry rows (same JSON bodies and columns as real ones), their
#      codes and the HasMember associations, copied from a template
#      submission of SRC_DB with fresh ids. Reported as tps; tps x DOCS =
#      DocumentEntries/s, comparable with ITI-42 at the same concurrency and
#      --docs-per-request.
# Connection: PGHOST (default 127.0.0.1), PGUSER (default postgres).
set -euo pipefail
[ -n "${DEBUG:-}" ] && set -x
src=${1:?usage: pg_reference.sh SRC_DB [CLIENTS] [TRANSACTIONS_PER_CLIENT]}
clients=${2:-4}
txs=${3:-500}
ref=${REF_DB:-renkei_bench_ref}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

psql -q -d postgres -c "DROP DATABASE IF EXISTS $ref" -c "CREATE DATABASE $ref" >/dev/null
for migration in $(ls "$here"/../store/migrations/postgres/*/up.sql | sort); do
  psql -q -v ON_ERROR_STOP=1 -d "$ref" -f "$migration" >/dev/null
done

for t in patients registry_objects object_codes associations; do
  psql -q -v ON_ERROR_STOP=1 -d "$src" -c "\\copy $t TO '$work/$t.copy'"
done
entries=$(psql -tA -d "$src" -c "SELECT count(*) FROM registry_objects WHERE kind = 'DocumentEntry'")
bytes=$(du -cb "$work"/*.copy | tail -1 | cut -f1)

cat > "$work/copy.sql" <<SQL
\\timing on
BEGIN;
\\copy patients FROM '$work/patients.copy'
\\copy registry_objects FROM '$work/registry_objects.copy'
\\copy object_codes FROM '$work/object_codes.copy'
\\copy associations FROM '$work/associations.copy'
COMMIT;
SQL
ms=$(psql -v ON_ERROR_STOP=1 -d "$ref" -f "$work/copy.sql" | awk '/^Time:/ { s += $2 } END { print s }')
awk -v n="$entries" -v ms="$ms" -v b="$bytes" 'BEGIN { printf "pg COPY: %d DocumentEntries (%.1f MB of rows) in %.2f s = %.0f entries/s\n", n, b / 1048576, ms / 1000, n / (ms / 1000) }'

# Template: one submission of DOCS documents (default 1) of the corpus. Each
# of its objects and associations gets a small key k; a transaction's copy of
# it is named urn:uuid:t<k>-<random>-<client>, so every id is fresh and the
# references between the copies hold.
docs=${DOCS:-1}
ss=$(psql -tA -d "$src" -c "SELECT submission_set_id FROM registry_objects WHERE kind = 'DocumentEntry' GROUP BY submission_set_id HAVING count(*) = $docs LIMIT 1")
[ -n "$ss" ] || { echo "no $docs-document submission in $src (generate with --docs-per-submission $docs)" >&2; exit 1; }
psql -q -v ON_ERROR_STOP=1 -d "$ref" <<SQL
DROP TABLE IF EXISTS tmpl_keys, tmpl_objects, tmpl_codes, tmpl_assocs;
CREATE TABLE tmpl_keys AS SELECT id, row_number() OVER (ORDER BY id) AS k FROM (
  SELECT id FROM registry_objects WHERE id = '$ss' OR submission_set_id = '$ss'
  UNION ALL SELECT id FROM associations WHERE submission_set_id = '$ss') s;
CREATE TABLE tmpl_objects AS SELECT o.*, k.k AS id_k, s.k AS ss_k FROM registry_objects o
  JOIN tmpl_keys k ON k.id = o.id LEFT JOIN tmpl_keys s ON s.id = o.submission_set_id
  WHERE o.id = '$ss' OR o.submission_set_id = '$ss';
CREATE TABLE tmpl_codes AS SELECT c.*, o.id_k AS object_k FROM object_codes c JOIN tmpl_objects o ON o.id = c.object_id;
CREATE TABLE tmpl_assocs AS SELECT a.*, k.k AS id_k, src.k AS source_k, tgt.k AS target_k, s.k AS ss_k FROM associations a
  JOIN tmpl_keys k ON k.id = a.id JOIN tmpl_keys src ON src.id = a.source_id JOIN tmpl_keys tgt ON tgt.id = a.target_id
  JOIN tmpl_keys s ON s.id = a.submission_set_id WHERE a.submission_set_id = '$ss';
SQL
npat=$(psql -tA -d "$ref" -c "SELECT count(*) FROM patients")
cols="patient_id, kind, lid, version, unique_id, status, object_type, submission_set_id, submitter, class_code, type_code, format_code, practice_setting_code, healthcare_facility_type_code, creation_time, service_start_time, service_stop_time, submission_time, source_id, content_type_code, last_update_time, hash, size, repository_unique_id, mime_type, body, registered_at"
nid() { echo "'urn:uuid:t' || $1 || '-' || (:r)::text || '-' || (:client_id)::text"; }
pat="regexp_replace(patient_id, '[0-9]{8}\\^', lpad((:p)::text, 8, '0') || '^')"
cat > "$work/submit.sql" <<SQL
\\set r random(1, 9000000000000000000)
\\set p random(0, $npat - 1)
BEGIN;
INSERT INTO registry_objects (id, $cols)
  SELECT $(nid id_k), $pat, kind, $(nid id_k), version,
         unique_id || '.' || (:r)::text, status, object_type,
         CASE WHEN ss_k IS NULL THEN NULL ELSE $(nid ss_k) END,
         submitter, class_code, type_code, format_code, practice_setting_code, healthcare_facility_type_code,
         creation_time, service_start_time, service_stop_time, submission_time, source_id, content_type_code,
         last_update_time, hash, size, repository_unique_id, mime_type, body, now()
  FROM tmpl_objects ORDER BY kind DESC;
INSERT INTO object_codes (object_id, patient_id, kind, value)
  SELECT $(nid object_k), $pat, kind, value FROM tmpl_codes;
INSERT INTO associations (id, patient_id, association_type, source_id, target_id, status, submission_set_id, body, registered_at)
  SELECT $(nid id_k), $pat, association_type, $(nid source_k), $(nid target_k), status, $(nid ss_k), body, now()
  FROM tmpl_assocs;
COMMIT;
SQL
echo "pgbench: $clients clients x $txs submissions of $docs document(s) (SubmissionSet + DocumentEntries + codes + associations per transaction; tps x $docs = entries/s)"
pgbench -n -M ${PGBENCH_MODE:-simple} -c "$clients" -j "$clients" -t "$txs" -f "$work/submit.sql" "$ref" 2>&1 | grep -E "latency average|tps|failed|number of transactions actually|ERROR|error" | head -20
