#!/usr/bin/env bash
# The deployment of docs/DEPLOY.md, on loopback, walked in a browser:
# Debian's nginx with TLS (a self-signed certificate for `localhost`) and
# the very config in docs/deploy/nginx.conf, in front of two release
# servers on a fresh PostgreSQL database, then the Playwright specs in
# end2end/proxy/ (end2end/proxy.config.ts) through nginx.
#
#   bash end2end/proxy/run.sh                  the whole suite (make test-proxy)
#   bash end2end/proxy/run.sh -- --grep HSTS   the same, arguments after -- to Playwright
#   bash end2end/proxy/run.sh --check-config   nginx -t on the generated config only
#
# Needs: target/release/autobank and target/site (make site), nginx and
# openssl (make proxy-tools), a PostgreSQL server at TEST_DATABASE_URL,
# Debian's Chromium (make browser). Everything it starts, and the
# database it creates, is gone when it exits.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/target/release/autobank"
base_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
# A low throttle, so that one client can exceed it in a test; each
# browser in the specs comes from an address of its own.
burst="${PROXY_POST_BURST:-20}"
per_minute="${PROXY_POSTS_PER_MINUTE:-60}"

check_only=0
case "${1:-}" in
  --check-config) check_only=1; shift ;;
  --) shift ;;
  "") ;;
  *) echo "usage: $0 [--check-config | -- PLAYWRIGHT_ARGS...]" >&2; exit 2 ;;
esac

[ -x "$nginx" ] || { echo "run.sh: nginx is missing (make proxy-tools)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "run.sh: openssl is missing (make proxy-tools)" >&2; exit 1; }

work="$(mktemp -d)"
db=""
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" != 0 ] && [ "$check_only" = 0 ]; then
    for log in "$work"/instance-*.log "$work/nginx/error.log"; do
      [ -s "$log" ] || continue
      echo "---- last lines of $(basename "$log") ----" >&2
      tail -n 30 "$log" >&2
    done
  fi
  if [ -n "$db" ]; then
    psql "$base_url" -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free TCP port on loopback (the kernel's pick; free again once closed).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

https_port="$(free_port)"
http_port="$(free_port)"
port1="$(free_port)"
port2="$(free_port)"
origin="https://localhost:$https_port"

# The certificate: self-signed, for the name the browser uses.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null

# nginx: docs/deploy/nginx.conf with its placeholders filled in, inside a
# main config of its own (pid file, logs and temporary files in $work; no
# daemon), so that no path of the system's nginx is needed.
ngx="$work/nginx"
mkdir -p "$ngx/temp"
sed -e "s|@SERVER_NAME@|localhost|g" \
    -e "s|@ORIGIN@|$origin|g" \
    -e "s|@LISTEN@|127.0.0.1:$https_port|g" \
    -e "s|@HTTP_LISTEN@|127.0.0.1:$http_port|g" \
    -e "s|@CERT@|$work/tls.crt|g" \
    -e "s|@CERT_KEY@|$work/tls.key|g" \
    -e "s|@UPSTREAM_1@|127.0.0.1:$port1|g" \
    -e "s|@UPSTREAM_2@|127.0.0.1:$port2|g" \
    -e "s|@LOG_DIR@|$ngx|g" \
    "$root/docs/deploy/nginx.conf" >"$ngx/autobank.conf"
if grep -n '@[A-Z_0-9]*@' "$ngx/autobank.conf"; then
  echo "run.sh: a placeholder of docs/deploy/nginx.conf is not filled in (above)" >&2
  exit 1
fi
user_line=""
if [ "$(id -u)" = 0 ]; then
  # As root, nginx's workers drop to Debian's www-data, as in production:
  # they must reach the temporary folders (the key stays root's).
  user_line="user www-data;"
  chmod 0711 "$work"
  chown -R www-data "$ngx/temp"
fi
cat >"$ngx/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $ngx/temp/body;
    proxy_temp_path $ngx/temp/proxy;
    fastcgi_temp_path $ngx/temp/fastcgi;
    uwsgi_temp_path $ngx/temp/uwsgi;
    scgi_temp_path $ngx/temp/scgi;
    include $ngx/autobank.conf;
}
EOF
ngx_args=(-p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log")
"$nginx" -t "${ngx_args[@]}" || { cat "$ngx/error.log" >&2; exit 1; }
if [ "$check_only" = 1 ]; then
  echo "nginx -t: docs/deploy/nginx.conf, filled in, is valid (nginx $("$nginx" -v 2>&1 | sed 's|.*/||'))"
  exit 0
fi

for need in "$bin" "$root/target/site/pkg"; do
  [ -e "$need" ] || { echo "run.sh: $need is missing (make site)" >&2; exit 1; }
done
psql "$base_url" -Atqc 'select 1' >/dev/null \
  || { echo "run.sh: no PostgreSQL answers at $base_url" >&2; exit 1; }

# A database of this run's own.
db="autobank_proxy_$(date +%s)_$$"
psql "$base_url" -qc "create database \"$db\""
export DATABASE_URL="${base_url%/*}/$db"
# Every instance the same key, as DEPLOY.md says.
export AUTOBANK_SECRET_KEY="$(head -c32 /dev/urandom | base64)"
export RUST_LOG="${RUST_LOG:-warn}"
source "$root/end2end/seed.sh"
seed "$bin" >/dev/null

# The two instances: the settings of DEPLOY.md, each on its own port.
export LEPTOS_SITE_ROOT="$root/target/site"
export AUTOBANK_TRUSTED_PROXIES=127.0.0.1
export AUTOBANK_ISSUER="$origin"
export AUTOBANK_LOG_FORMAT=json
export AUTOBANK_POST_BURST="$burst" AUTOBANK_POSTS_PER_MINUTE="$per_minute"
export PROXY_INSTANCES="$work/instances"
cd "$root"
: >"$PROXY_INSTANCES"
for port in "$port1" "$port2"; do
  LEPTOS_SITE_ADDR="127.0.0.1:$port" "$bin" serve >"$work/instance-$port.log" 2>&1 &
  pids+=("$!")
  echo "$! $port" >>"$PROXY_INSTANCES"
done
for port in "$port1" "$port2"; do
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && continue 2
    sleep 0.1
  done
  echo "run.sh: the instance on port $port is not ready" >&2
  exit 1
done

"$nginx" "${ngx_args[@]}" -g 'daemon off;' &
pids+=("$!")
for _ in $(seq 100); do
  curl -fsk --resolve "localhost:$https_port:127.0.0.1" "$origin/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsk --resolve "localhost:$https_port:127.0.0.1" "$origin/readyz" >/dev/null \
  || { echo "run.sh: nginx does not answer at $origin" >&2; exit 1; }

echo "proxy suite: nginx at $origin (http on $http_port), instances on $port1 and $port2, database $db"
export PROXY_ORIGIN="$origin" PROXY_HTTP_PORT="$http_port" PROXY_BIN="$bin"
export PROXY_POST_BURST="$burst" PROXY_POSTS_PER_MINUTE="$per_minute"
cd "$root/end2end"
npx playwright test --config proxy.config.ts "$@"
