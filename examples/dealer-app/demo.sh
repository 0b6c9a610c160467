#!/usr/bin/env bash
# `make demo`: the portal on SQLite with the demo account, and the demo
# business application signing in through it. The demo client is
# registered once per database and bound to the `在庫登録` tile.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/target/release/autobank"
portal_port="${PORTAL_PORT:-3000}"
app_port="${APP_PORT:-3001}"
export AUTOBANK_DATA_DIR="${AUTOBANK_DATA_DIR:-$root/data}"
unset DATABASE_URL
mkdir -p "$AUTOBANK_DATA_DIR"
"$bin" migrate >/dev/null
registration="$AUTOBANK_DATA_DIR/dealer-app.env"
if [ ! -f "$registration" ]; then
  out="$("$bin" client add --name "在庫登録（デモ）" \
    --redirect-uri "http://127.0.0.1:$app_port/cb" \
    --post-logout-uri "http://127.0.0.1:$app_port/" \
  --backchannel-logout-uri "http://127.0.0.1:$app_port/backchannel-logout" \
    --tile inventory --start-url "http://127.0.0.1:$app_port/login")"
  (umask 077
   printf 'CLIENT_ID=%s\nCLIENT_SECRET=%s\n' \
     "$(sed -n 's/^Registered. client ID: //p' <<<"$out")" \
     "$(sed -n 's/^client secret: //p' <<<"$out")" >"$registration")
fi
# shellcheck disable=SC1090
source "$registration"
cd "$root"
LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$portal_port" "$bin" serve --demo &
portal=$!
trap 'kill $portal ${app:-} 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$portal_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
ISSUER="http://127.0.0.1:$portal_port" CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$CLIENT_SECRET" \
  PORT="$app_port" node examples/dealer-app/server.mjs &
app=$!
echo "Portal:           http://127.0.0.1:$portal_port/  (the demo login is printed above)"
echo "Dealer app demo:  http://127.0.0.1:$app_port/  (or the 在庫登録 tile on the portal's menu)"
wait "$portal"
