#!/usr/bin/env bash
# Starts the release build on a fresh SQLite database for Playwright, with
# the accounts and notices the tests expect.
set -euo pipefail
port="${1:-3100}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release/autobank"
data="$(mktemp -d)"
export AUTOBANK_DATA_DIR="$data" RUST_LOG="${RUST_LOG:-warn}"
unset DATABASE_URL
# The accounts and notices (end2end/seed.sh, shared with proxy/run.sh).
source "$root/end2end/seed.sh"
seed "$bin"
cd "$root"
export LEPTOS_SITE_ROOT="$root/target/site" LEPTOS_SITE_ADDR="127.0.0.1:$port"
# Every browser of the run comes from 127.0.0.1: the per-address throttle
# (tested in flood.rs) would otherwise count them all as one client.
export AUTOBANK_POST_BURST=10000 AUTOBANK_POSTS_PER_MINUTE=10000
# The demo business application (examples/dealer-app) on the next port,
# registered and bound to the `在庫登録` tile, for oidc.spec.ts.
app_port=$((port + 1))
out="$("$bin" client add --name "在庫登録（デモ）" \
  --redirect-uri "http://127.0.0.1:$app_port/cb" \
  --post-logout-uri "http://127.0.0.1:$app_port/" \
  --backchannel-logout-uri "http://127.0.0.1:$app_port/backchannel-logout" \
  --tile inventory --start-url "http://127.0.0.1:$app_port/login")"
"$bin" serve &
server=$!
trap 'kill "$server" ${app:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$data"' EXIT INT TERM
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
ISSUER="http://127.0.0.1:$port" PORT="$app_port" \
  CLIENT_ID="$(sed -n 's/^Registered. client ID: //p' <<<"$out")" \
  CLIENT_SECRET="$(sed -n 's/^client secret: //p' <<<"$out")" \
  node examples/dealer-app/server.mjs >/dev/null &
app=$!
wait "$server"
