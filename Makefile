# autoBank portal. `make run` and `make test` work on a fresh machine:
# every tool the build needs is installed here, only when missing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

# wasm-opt comes from npm's binaryen (Debian's is too old and breaks
# hydration), so the local node_modules come first on PATH.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export TEST_DATABASE_URL
SITE_ADDR ?= 127.0.0.1:3000
# What cargo-leptos gives its builds: leptos reads it when compiled, so the
# same value here keeps cargo test and clippy from building leptos again.
export LEPTOS_OUTPUT_NAME := autobank

.PHONY: run build site tools browser proxy-tools test lint test-rust test-sqlite test-postgres test-oidc test-e2e test-proxy check-unit bench demo clean-test-databases

## Install what is missing, build in release mode, serve on SQLite with a demo account.
run: build
	LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR=$(SITE_ADDR) target/release/autobank serve --demo

# --precompress: a brotli (quality 11) and a gzip copy of every built file,
# served as they are (no compression work per request). --split: the pages
# in app/src/lazy_pages.rs go to WASM parts of their own, fetched when shown.
build: tools
	cargo leptos build --release --precompress --split

# What the tests serve: the WASM, JS and CSS from cargo-leptos, and the
# server binary from the test build (the one `make test-sqlite` builds
# anyway for its HTTP tests). A separate `cargo build` of the server would
# compile the whole server a second time: the tests' dev-dependencies
# change features of shared crates (hyper, axum, leptos).
site: tools target/site/.built
	cargo test --release -p app -p server --no-run

# cargo-leptos runs wasm-bindgen and wasm-opt again even when cargo built
# nothing (90 s on these machines), so the front end is built only when
# one of its inputs is newer than the last build.
SITE_INPUTS := $(shell find app frontend style -type f) Cargo.toml Cargo.lock
target/site/.built: $(SITE_INPUTS) | tools
	cargo leptos build --release --precompress --split --frontend-only
	touch $@

## The portal and the demo business application (examples/dealer-app),
## signed in through the portal: the demo client is registered and bound
## to `在庫登録`. Prints both URLs and the demo login.
demo: build examples/dealer-app/node_modules/.installed
	bash examples/dealer-app/demo.sh

## The toolchain pieces, each only if missing (see ../shared/TOOLCHAIN.md).
tools: end2end/node_modules/.installed examples/dealer-app/node_modules/.installed
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" \
		|| cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli --version =$(WASM_BINDGEN_VERSION)

## Debian's Chromium and a Japanese font, each only if missing. Without
## the font Chromium draws every Japanese character as a blank box, and the
## browser tests' layout checks would measure nothing dealers see.
browser:
	@[ -x /usr/bin/chromium ] && [ -n "$$(fc-list :lang=ja 2>/dev/null)" ] \
		|| { apt-get update && apt-get install -y chromium fonts-noto-cjk; }

## Debian's nginx and openssl, for `make test-proxy`, each only if missing.
## Not pulled in by a plain `make test-proxy`: on a machine with systemd,
## apt starts Debian's nginx on port 80 at once (the suite runs its own,
## on loopback). With REQUIRE_PROXY=1 (CI) it is.
proxy-tools:
	@[ -x /usr/sbin/nginx ] && command -v openssl >/dev/null \
		|| { apt-get update && apt-get install -y nginx openssl; }

# The demo application's one dependency: openid-client.
examples/dealer-app/node_modules/.installed: examples/dealer-app/package.json examples/dealer-app/package-lock.json
	cd examples/dealer-app && npm ci --no-audit --no-fund
	touch $@

# npm: wasm-opt (binaryen), Playwright, the test-only QR/TOTP readers, and
# openid-client (the certified relying party that judges the provider).
end2end/node_modules/.installed: end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	touch $@

## Everything: formatting, lints for both builds, Rust tests on SQLite and
## PostgreSQL, the OpenID Connect suite (openid-client) on both, Playwright,
## and the deployment of docs/DEPLOY.md behind nginx (test-proxy).
## The front end builds alongside the Rust stages (.ci/test-stages). Each
## stage's time is printed at the end (and where it stopped, if one
## failed).
TEST_STAGES := lint test-sqlite test-postgres site test-oidc test-e2e test-proxy
test: tools
	@MAKE="$(MAKE)" .ci/test-stages $(TEST_STAGES)

lint: tools
	cargo fmt --all --check
	cargo clippy -p app -p server -p testkit --all-targets -- -D warnings
	cargo clippy -p app -p frontend --target wasm32-unknown-unknown -- -D warnings

test-rust: test-sqlite test-postgres

test-sqlite:
	cargo test --release -p app -p server

# PostgreSQL: each run creates and drops its own databases on the server at
# TEST_DATABASE_URL. Without a server the run is skipped loudly, or fails
# when REQUIRE_POSTGRES=1 (as in CI). Tests that need PostgreSQL itself
# (an outage, both engines' schemas) are #[ignore]d in the SQLite pass and
# run here.
test-postgres:
	@if ! psql "$(TEST_DATABASE_URL)" -Atqc 'select 1' >/dev/null 2>&1; then \
		echo "################################################################"; \
		echo "# PostgreSQL tests SKIPPED: no server answers at $(TEST_DATABASE_URL)"; \
		echo "################################################################"; \
		if [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then echo "REQUIRE_POSTGRES=1: failing."; exit 1; fi; \
	else \
		prefix="autobank_test_$$(date +%s)_$$$$_"; status=0; \
		TEST_ENGINE=postgres TEST_DB_PREFIX="$$prefix" cargo test --release -p app -p server -- --include-ignored || status=$$?; \
		$(MAKE) --no-print-directory clean-test-databases PREFIX="$$prefix"; exit $$status; \
	fi

# Drops the test databases of one run (PREFIX), or of every run.
PREFIX ?= autobank_test_
clean-test-databases:
	@psql "$(TEST_DATABASE_URL)" -Atqc "select datname from pg_database where starts_with(datname, '$(PREFIX)')" \
		| while read -r db; do psql "$(TEST_DATABASE_URL)" -qc "drop database if exists \"$$db\" with (force)"; done

# The provider judged by Node's openid-client (OpenID Certified), against
# the release server: on SQLite, then on a PostgreSQL database of its own
# when a server answers (required with REQUIRE_POSTGRES=1).
test-oidc: site
	node --test --test-concurrency=1 end2end/oidc/
	@if psql "$(TEST_DATABASE_URL)" -Atqc 'select 1' >/dev/null 2>&1; then \
		db="autobank_oidc_$$(date +%s)_$$$$"; status=0; \
		psql "$(TEST_DATABASE_URL)" -qc "create database $$db"; \
		OIDC_DATABASE_URL="$${TEST_DATABASE_URL%/*}/$$db" node --test --test-concurrency=1 end2end/oidc/ || status=$$?; \
		psql "$(TEST_DATABASE_URL)" -qc "drop database if exists $$db with (force)"; exit $$status; \
	elif [ "$${REQUIRE_POSTGRES:-0}" = 1 ]; then echo "REQUIRE_POSTGRES=1: no PostgreSQL for the OIDC suite."; exit 1; fi

test-e2e: site browser
	cd end2end && npx playwright test

# The deployment of docs/DEPLOY.md on loopback (end2end/proxy/run.sh):
# Debian's nginx with TLS and docs/deploy/nginx.conf in front of two
# release servers on a PostgreSQL database of its own at TEST_DATABASE_URL,
# walked in the browser (end2end/proxy/*.spec.ts). Without nginx or
# PostgreSQL it is skipped loudly, or fails when REQUIRE_PROXY=1 (as in
# CI; then proxy-tools installs nginx first).
test-proxy: site browser $(if $(filter 1,$(REQUIRE_PROXY)),proxy-tools) check-unit
	@missing=""; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="nginx (make proxy-tools)"; \
	psql "$(TEST_DATABASE_URL)" -Atqc 'select 1' >/dev/null 2>&1 \
		|| missing="$${missing:+$$missing and }PostgreSQL at $(TEST_DATABASE_URL)"; \
	if [ -n "$$missing" ]; then \
		echo "################################################################"; \
		echo "# Proxy suite SKIPPED: missing $$missing"; \
		echo "################################################################"; \
		if [ "$${REQUIRE_PROXY:-0}" = 1 ]; then echo "REQUIRE_PROXY=1: failing."; exit 1; fi; \
	else \
		bash end2end/proxy/run.sh; \
	fi

# docs/deploy/autobank@.service as systemd reads it (instance 3001, its
# ExecStart pointed at the built binary, or /bin/true before a build):
# any word from systemd-analyze fails. Skipped loudly without systemd-analyze.
check-unit:
	@if command -v systemd-analyze >/dev/null 2>&1; then \
		d="$$(mktemp -d)"; bin="$(CURDIR)/target/release/autobank"; [ -x "$$bin" ] || bin=/bin/true; \
		sed "s|^ExecStart=/opt/autobank/autobank|ExecStart=$$bin|" docs/deploy/autobank@.service >"$$d/autobank@3001.service"; \
		out="$$(systemd-analyze verify "$$d/autobank@3001.service" 2>&1)" || out="$${out:-systemd-analyze verify failed}"; \
		rm -rf "$$d"; \
		if [ -n "$$out" ]; then echo "$$out"; echo "docs/deploy/autobank@.service: systemd-analyze verify says the above."; exit 1; fi; \
		echo "systemd-analyze verify: docs/deploy/autobank@.service is clean."; \
	else \
		echo "# systemd-analyze missing: docs/deploy/autobank@.service NOT checked."; \
	fi

## Benchmarks, each figure beside its reference, against the release build
## (see docs/BENCHMARKS.md, which it rewrites between its markers).
# The reference page is built as Leptos's template builds it: without the
# portal's own flags (.cargo/config.toml's --cfg erase_components, which
# slows its render), in a target directory of its own so that neither
# build undoes the other.
bench: build browser
	CARGO_ENCODED_RUSTFLAGS= cargo build --release -p hello --target-dir target/hello
	rm -f target/bench/slow-phone.json
	mkdir -p target/bench && cp target/release/autobank target/release/hash.txt target/hello/release/hello target/bench/
	cd end2end && npx playwright test --config bench.config.ts
	status=0; TEST_DB_PREFIX=autobank_bench_ cargo bench -p server --bench side_by_side || status=$$?; \
	$(MAKE) --no-print-directory clean-test-databases PREFIX=autobank_bench_; exit $$status
