# proofmarket — the two commands the README gives are `make devnet` and `make test`.
# Every target installs the pinned toolchain into the repo first (node_modules/, from package-lock.json)
# when it is missing or stale; nothing is installed outside the repo.

SHELL := /bin/bash
.DEFAULT_GOAL := help

FOUNDRY_BIN := $(CURDIR)/node_modules/@foundry-rs
export PATH := $(FOUNDRY_BIN)/forge-linux-amd64/bin:$(FOUNDRY_BIN)/anvil-linux-amd64/bin:$(FOUNDRY_BIN)/cast-linux-amd64/bin:$(PATH)
export FOUNDRY_DISABLE_NIGHTLY_WARNING := 1
# CI runs the `ci` forge profile (more fuzz and invariant runs) and fails on gas-snapshot drift.
ifeq ($(CI),true)
export FOUNDRY_PROFILE := ci
export FORGE_SNAPSHOT_CHECK := true
# A clean clone builds once: incremental caches would only take disk (≈1.2 GB) and time.
export CARGO_INCREMENTAL := 0
endif

TOOLCHAIN_STAMP := node_modules/.proofmarket-toolchain

.PHONY: help toolchain build contracts test test-contracts test-rust devnet fmt fmt-check lint bench snapshots clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

toolchain: $(TOOLCHAIN_STAMP) ## Install the pinned Foundry, solcjs, forge-std and OpenZeppelin into node_modules/

# `npm install` with the committed lock file installs exactly the locked versions; `npm ci` is not used
# because npm 11 leaves other platforms' optional Foundry packages out of the lock and then refuses it.
$(TOOLCHAIN_STAMP): package.json package-lock.json
	@echo "==> installing the pinned toolchain into node_modules/ (npm install from the lock file)"
	@npm install --no-audit --no-fund --loglevel=error >/dev/null
	@forge --version >/dev/null && anvil --version >/dev/null && tools/solc --version >/dev/null
	@touch $@

contracts: toolchain ## Compile the contracts
	@forge build

build: contracts ## Compile contracts and the Rust workspace
	@cargo build --workspace --all-targets

test: test-contracts test-rust ## Run every forge test and every cargo test

test-contracts: contracts
	@echo "==> forge test (profile: $${FOUNDRY_PROFILE:-default})"
	@forge test

test-rust: contracts
	@echo "==> cargo test"
	@cargo test --workspace

devnet: contracts ## Run the whole system on an embedded anvil and print what happened
	@cargo run --release -q -p proofmarket -- devnet $(DEVNET_ARGS)

bench: contracts ## Gas snapshots (forge) and proving benchmarks (criterion)
	@forge test --match-path 'test/gas/*' -vv
	@cargo bench --workspace

snapshots: contracts ## Rewrite the gas snapshots under snapshots/
	@FORGE_SNAPSHOT_CHECK=false forge test --match-path 'test/gas/*'

fmt: toolchain ## Format Solidity and Rust
	@forge fmt
	@cargo fmt --all

fmt-check: toolchain
	@forge fmt --check
	@cargo fmt --all -- --check

lint: fmt-check ## Formatting check plus clippy with warnings as errors
	@cargo clippy --workspace --all-targets -- -D warnings

clean: ## Remove build output (keeps the toolchain)
	@forge clean
	@cargo clean
