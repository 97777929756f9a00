#!/usr/bin/env bash
# Fuzzes the running HTTP API from its own OpenAPI document with Schemathesis:
# every operation, positive and negative data, with every check Schemathesis
# has (`--checks all`: 5xx, schema, status code, content type and header
# conformance, accepted invalid data, rejected valid data, undeclared methods
# without 405 + Allow, ignored auth...), then the stateful phase, which chains
# calls along the OpenAPI links the controllers declare (src/common/openapi-links.ts).
# Builds the app, starts `node dist/main` on a free
# port against MONGODB_URI (its own database), with a temp sessions folder and
# WhatsApp pointed at a closed local port, so no socket can reach the internet.
#
# Needs: MONGODB_URI, python3, npm deps installed. Called by .ci/run; runs
# alone too: MONGODB_URI=mongodb://127.0.0.1:27017/ .ci/fuzz-api.sh
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE_DIR=${CACHE_DIR:-${RELANCE_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relance-ci}}
SCHEMATHESIS_VERSION=4.32.5
# Per operation and phase: several hundred cases over the whole API in well under a minute.
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-100}
: "${MONGODB_URI:?MONGODB_URI must point at a MongoDB-compatible server}"
mkdir -p "$CACHE_DIR"
export PATH="$ROOT/node_modules/.bin:$PATH" # the pinned Node 24

log() { printf '\n==> [fuzz] %s\n' "$*"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

with_database() {
  python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$1" "$2"
}

WORK=$(mktemp -d)
APP_PID=
ST_PID=
TAIL_PID=
DB_NAME="relance_fuzz_$(date +%s)_$$"
DB_URI=$(with_database "$MONGODB_URI" "$DB_NAME")
cleanup() {
  local status=$?
  local pid
  for pid in "$ST_PID" "$TAIL_PID"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID" 2>/dev/null || true
    wait "$APP_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$WORK/app.log" ]; then
    echo "--- last lines of the app's log ($WORK/app.log) ---" >&2
    tail -n 15 "$WORK/app.log" | cut -c1-300 >&2 || true
  fi
  # Best effort: the database only holds fuzzing data.
  DB_URI="$DB_URI" timeout 20 node -e '
    const mongoose = require("mongoose");
    mongoose.connect(process.env.DB_URI, { serverSelectionTimeoutMS: 3000 })
      .then((m) => m.connection.dropDatabase().then(() => m.disconnect()))
      .catch((e) => console.error(`could not drop the fuzzing database: ${e.message}`));
  ' || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

VENV="$CACHE_DIR/schemathesis-$SCHEMATHESIS_VERSION"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION in $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
else
  log "reusing schemathesis $SCHEMATHESIS_VERSION from $VENV"
fi

log "npm run build"
npm run build

PORT=$(free_port)
CLOSED_PORT=$(free_port) # bound then released: nothing listens there
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export JWT_SECRET
mkdir -m 700 "$WORK/sessions"

log "starting the app on 127.0.0.1:$PORT (database $DB_NAME)"
env PORT="$PORT" \
  MONGODB_URI="$DB_URI" \
  MONGODB_SERVER_SELECTION_TIMEOUT_MS=3000 \
  WHATSAPP_SESSIONS_DIR="$WORK/sessions" \
  WHATSAPP_WS_URL="ws://127.0.0.1:$CLOSED_PORT/ws/chat" \
  WHATSAPP_QR_WAIT_MS=300 \
  WHATSAPP_RECONNECT_BASE_MS=60000 \
  WHATSAPP_RECONNECT_MAX_MS=60000 \
  RATE_LIMIT_QR_PER_MINUTE=100000 \
  RATE_LIMIT_DISCONNECT_PER_MINUTE=100000 \
  node dist/main >"$WORK/app.log" 2>&1 &
APP_PID=$!

tries=0
until python3 -c 'import sys, urllib.request as r; r.urlopen(sys.argv[1], timeout=2)' \
  "http://127.0.0.1:$PORT/api/health/ready" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if ! kill -0 "$APP_PID" 2>/dev/null || [ "$tries" -gt 150 ]; then
    echo "the app did not become ready on 127.0.0.1:$PORT" >&2
    exit 1
  fi
  sleep 0.2
done

# One worker: with several, CPython 3.11's ast.parse (Hypothesis describes
# filter lambdas with it) can fail in two threads at once with "AST
# constructor recursion depth mismatch", a crash of the tool, not a finding.
# use_after_free is excluded: the API's one DELETE of a resource,
# DELETE /messages/{id}, cancels a follow-up, which stays readable as
# `cancelled` (its history matters to the client); it is not a deletion.
# With the admin role, so the admin-only routes are fuzzed too, not just refused.
TOKEN=$(node scripts/mint-token.mjs fuzz_user 2h admin)

log "schemathesis run (max $MAX_EXAMPLES examples per operation and phase)"
# Exists before tail starts, whichever process the scheduler runs first.
: >"$WORK/schemathesis.log"
# In the background with `wait`, so a TERM/INT reaches the traps (and stops
# the app) at once. From the temp folder: Schemathesis keeps a .schemathesis
# cache in its working directory.
(cd "$WORK" && exec "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/docs-json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks all \
  --exclude-checks use_after_free \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --seed 20261128 \
  --workers 1 \
  --request-timeout 10 \
  --no-color \
  --report junit --report-dir "$ROOT/test-artifacts/schemathesis") \
  >>"$WORK/schemathesis.log" 2>&1 &
ST_PID=$!
tail -n +1 -f --pid="$ST_PID" "$WORK/schemathesis.log" &
TAIL_PID=$!
st_status=0
wait "$ST_PID" || st_status=$?
ST_PID=
wait "$TAIL_PID" || true

cases=$(grep -A1 '^Test cases:' "$WORK/schemathesis.log" | tail -n 1 | sed 's/^ *//' || true)
log "schemathesis test cases: ${cases:-count not found} (exit $st_status)"
exit "$st_status"
