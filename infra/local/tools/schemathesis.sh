# shellcheck shell=bash
# schemathesis, a fuzzer of HTTP APIs driven by their OpenAPI documents
# (e2e/contract-fuzz.e2e.test.ts), from PyPI into a virtual environment of its own in the cache:
# pip checks every file against the index's hashes, and nothing lands in the system's Python.
#
#   "$(schemathesis_path)" run http://127.0.0.1:3000/openapi.json --checks all --seed 1 …

SCHEMATHESIS_VERSION=4.32.5

schemathesis_path() { echo "$STACK_CACHE/schemathesis-$SCHEMATHESIS_VERSION/bin/st"; }

schemathesis_install() { # folder
  python3 -m venv "$1" &&
    "$1/bin/pip" install --disable-pip-version-check --no-input "schemathesis==$SCHEMATHESIS_VERSION"
}

schemathesis_provision() {
  [ -x "$(schemathesis_path)" ] && return 0
  require_command python3 "install Python 3 with its venv module (apt-get install python3-venv)"
  say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI"
  local target build log=$STACK_HOME/schemathesis-install.log
  target=$(dirname "$(dirname "$(schemathesis_path)")")
  mkdir -p "$STACK_HOME" "$STACK_CACHE"
  # A virtual environment is bound to its folder: it is made where it stays, and removed again
  # when any step fails, so a half-made one is never taken for a tool.
  rm -rf "$target"
  schemathesis_install "$target" >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    rm -rf "$target"
    die "schemathesis: could not install schemathesis==$SCHEMATHESIS_VERSION from PyPI (log: $log)"
  }
  "$(schemathesis_path)" --version >/dev/null || {
    rm -rf "$target"
    die "schemathesis: the installed st does not run"
  }
}
