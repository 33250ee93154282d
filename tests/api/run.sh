#!/usr/bin/env bash
# Schemathesis over the running demo's OpenAPI document, signed in as two roles (an Idva and a
# team manager), with every check, bounded in examples and time. Called by scripts/test with the
# demo's address, database and key file; fails if schemathesis finds anything or cannot run.
set -euo pipefail
base="$1" database="$2" key_file="$3"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/schemathesis-venv"
# Schemathesis keeps a cache in the working directory: keep it out of the source tree.
mkdir -p "$root/target/schemathesis"
cd "$root/target/schemathesis"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
for account in idva@demo.hearth.example idva.manager@demo.hearth.example; do
  token=$(HEARTH_LOG=warn HEARTH_DATABASE_URL="$database" HEARTH_KEY_FILE="$key_file" \
    "${CARGO_TARGET_DIR:-$root/target}/debug/hearth" token create --org demo --email "$account" --name "schemathesis" 2>&1 | tail -n 1)
  echo "Schemathesis as $account"
  timeout 300 "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run \
    "$base/api/openapi.json" --url "$base" -H "Authorization: Bearer $token" \
    --checks all --max-examples 20 --seed 20261201 --no-color
done
