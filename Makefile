# The two commands (see README.md). Each installs what it needs first.
.PHONY: run run-release test setup build-release

run:            ## build and serve on http://127.0.0.1:3000 (SQLite, dev mail)
	scripts/run.sh

test:           ## every test: fmt, clippy, unit, integration (SQLite + PostgreSQL), Playwright
	scripts/test.sh

run-release:    ## the same, optimised (wasm-release profile + wasm-opt)
	scripts/run.sh --release

build-release:  ## optimised build; prints the wasm/JS/CSS sizes
	scripts/setup.sh run && cargo xtask build --release

setup:          ## install everything the tests need
	scripts/setup.sh test

.PHONY: screenshots
screenshots:    ## regenerate the README's screenshots (docs/screenshots/) in Chromium
	scripts/screenshots.sh

.PHONY: bench bench-smoke
bench:          ## benchmarks: release build, SQLite + PostgreSQL; writes bench/RESULTS.md
	bench/run.sh

bench-smoke:    ## every benchmark scenario briefly (debug build, SQLite); fails unless all answer 2xx
	bench/run.sh --smoke
