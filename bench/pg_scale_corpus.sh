#!/usr/bin/env bash
# Grows a PostgreSQL corpus that `renkei-load generate` made to COPIES times
# its size by cloning its registry rows with rewritten keys, for scale points
# that generating through the registry code would take hours to reach
# (10^5 entries take ~4 min there; 6x10^6 would take ~4 h).
#
#   bench/pg_scale_corpus.sh DBNAME COPIES BASE_PATIENTS
#
# DBNAME holds a generated corpus of BASE_PATIENTS patients (BENCH00000000..)
# and nothing else registered. Copy k (1..COPIES-1) of every patient, consent,
# registry object, code row and association gets:
#   - patient BENCH<n+k*BASE_PATIENTS>, so the load tool's --patients
#     BASE_PATIENTS*COPIES draws from the whole corpus;
#   - every entryUUID the generator made (all of them start urn:uuid:01;
#     the XDS scheme and type UUIDs never do) re-prefixed with copy k's own
#     two hex digits, in the columns and inside the stored ebRIM bodies, so
#     ids stay unique, nested classification ids included;
#   - uniqueId <uid>.<k> and the source patient's local id L-2.25.<k>.<n>.
# Everything else (codes, dates, authors, body sizes) repeats the base, so
# each patient still has the base's 10 entries with its distribution.
#
# Indexes and constraints are dropped for the load and re-created from their
# own definitions afterwards (so they are freshly built, denser than indexes
# grown by random inserts; BENCHMARKS.md says so next to the figures).
set -euo pipefail
db=${1:?usage: pg_scale_corpus.sh DBNAME COPIES BASE_PATIENTS}
copies=${2:?copies}
base=${3:?base patients}
server=${PGURL:-postgres://postgres@127.0.0.1}
q() { psql -v ON_ERROR_STOP=1 -q -At "$server/$db" "$@"; }
say() { echo "[$(date +%T)] $*"; }
tables="'patients','registry_objects','object_codes','associations','consent_grants'"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Definitions to restore: primary keys, then other indexes, then foreign keys.
q -c "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s;', conrelid::regclass, conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE conrelid::regclass::text IN ($tables) AND contype IN ('p','u') ORDER BY 1" > "$work/restore.sql"
q -c "SELECT indexdef || ';' FROM pg_indexes WHERE tablename IN ($tables)
      AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY 1" >> "$work/restore.sql"
q -c "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s;', conrelid::regclass, conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE conrelid::regclass::text IN ($tables) AND contype = 'f' ORDER BY 1" >> "$work/restore.sql"
q -c "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I;', conrelid::regclass, conname)
      FROM pg_constraint WHERE conrelid::regclass::text IN ($tables) AND contype IN ('p','u','f') ORDER BY contype <> 'f', 1" > "$work/drop.sql"
q -c "SELECT format('DROP INDEX %I;', indexname) FROM pg_indexes WHERE tablename IN ($tables)
      AND indexname NOT IN (SELECT conname FROM pg_constraint)" >> "$work/drop.sql"
say "$(grep -c . "$work/restore.sql") constraints and indexes to rebuild"

n=$(q -c "SELECT count(*) FROM patients")
[ "$n" = "$base" ] || { echo "expected $base patients in $db, found $n" >&2; exit 1; }
q -f "$work/drop.sql"
# The base rows, read by every copy (the live tables grow as copies land).
q -c "CREATE TABLE base_patients AS SELECT * FROM patients;
      CREATE TABLE base_consents AS SELECT * FROM consent_grants;
      CREATE TABLE base_objects AS SELECT * FROM registry_objects;
      CREATE TABLE base_codes AS SELECT * FROM object_codes;
      CREATE TABLE base_associations AS SELECT * FROM associations;"

for k in $(seq 1 $((copies - 1))); do
  hx=$(printf '%02x' $((k + 16)))
  # $1: a patient id column; the number after BENCH moves up by k*base.
  pat="'BENCH' || lpad((substr(\$P,6,8)::bigint + $k * $base)::text, 8, '0') || substr(\$P,14)"
  p() { echo "${pat//\$P/$1}"; }
  id() { echo "replace($1, 'urn:uuid:01', 'urn:uuid:$hx')"; }
  body() { echo "replace(replace(replace(replace(body, 'urn:uuid:01', 'urn:uuid:$hx'), patient_id, $(p patient_id)), 'L-2.25.', 'L-2.25.$k.'), $1)"; }
  q <<SQL
BEGIN;
INSERT INTO patients SELECT $(p patient_id), created_at, merged_into FROM base_patients;
INSERT INTO consent_grants SELECT md5(id || '$k')::uuid::text, $(p patient_id), facility_oid, scope, given_at,
  expires_at, withdrawn_at, recorded_by, source, document_unique_id, document_entry_id FROM base_consents;
INSERT INTO registry_objects SELECT $(id id), $(p patient_id), kind, $(id lid), version, unique_id || '.$k', status,
  object_type, $(id submission_set_id), submitter, class_code, type_code, format_code, practice_setting_code,
  healthcare_facility_type_code, creation_time, service_start_time, service_stop_time, submission_time, source_id,
  content_type_code, last_update_time, hash, size, repository_unique_id, mime_type,
  $(body "unique_id, unique_id || '.$k'"), registered_at FROM base_objects;
INSERT INTO object_codes SELECT $(id object_id), $(p patient_id), kind, value FROM base_codes;
INSERT INTO associations SELECT $(id id), $(p patient_id), association_type, $(id source_id), $(id target_id), status,
  $(id submission_set_id), $(body "'', ''"), registered_at FROM base_associations;
COMMIT;
SQL
  say "copy $k of $((copies - 1)): $(q -c "SELECT pg_size_pretty(pg_database_size(current_database()))"), $(df -h --output=avail /var/lib/postgresql | tail -1) free"
done
q -c "DROP TABLE base_patients, base_consents, base_objects, base_codes, base_associations"
say "rebuilding indexes and constraints"
q -c "SET maintenance_work_mem = '1GB'" -f "$work/restore.sql"
say "VACUUM ANALYZE"
q -c "VACUUM ANALYZE"
say "done: $(q -c "SELECT count(*) FROM registry_objects WHERE kind = 'DocumentEntry'") DocumentEntries, $(q -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
