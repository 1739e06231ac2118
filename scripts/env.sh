# Sourced by the scripts: where tools and build output live. Safe to source more than once.
RAPPORT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RAPPORT_ROOT
export RAPPORT_TOOLS="$RAPPORT_ROOT/.tools"
# Builds are cached outside the clone so a fresh clone (CI) reuses compiled dependencies.
# (`cargo install` in the bootstrap uses its own temporary folder, never this one.)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rapport/target}"
# Incremental caches are per clone path and grow by gigabytes per clone; CI builds each clone once.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export PATH="$RAPPORT_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
# Trunk would try to download tools it cannot find; the bootstrap installed them, so stay offline.
export TRUNK_OFFLINE="${TRUNK_OFFLINE:-true}"
# The app's browser tests are one wasm binary (app/tests/in_the_browser), and wasm-bindgen's runner
# gives a whole binary 20 s by default: enough alone (about 4 s), not beside the end-to-end tests'
# browsers on a 2-core machine (CI of 277d279: killed mid-suite). A guard against a hang, not a time
# the tests must meet.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
