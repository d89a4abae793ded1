# shellcheck shell=bash
# Helpers for the tools that come from the Go module proxy, sourced by their tools/<name>.sh.
# Named .bash rather than .sh so that ./provision does not take it for a tool.
#
# Every module goes through the go command with the machine's GOPROXY and GOSUMDB, so each
# download is checked against the checksum database; none of these tools needs an exception.

# Builds PACKAGE@VERSION with `go install` into the folder TARGET. The binary is built beside
# the target and moved into place, so an interrupted build leaves nothing that a later
# `[ -x ... ]` check would take for a finished one.
go_install_into() { # target package@version [extra go install flags...]
  local target=$1 package=$2
  shift 2
  require_command go "install Go 1.21+ (https://go.dev/doc/install)"
  local name build log
  name=$(basename "$target")
  log=$STACK_HOME/$name-build.log
  mkdir -p "$STACK_HOME" "$(dirname "$target")"
  build=$(mktemp -d "$target.XXXXXX")
  say "building $package from the Go module proxy"
  GOBIN=$build CGO_ENABLED=0 go install -trimpath "$@" "$package" >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    rm -rf "$build"
    die "could not build $package (log: $log)"
  }
  rm -rf "$target" && mv "$build" "$target"
}

# Downloads MODULE@VERSION and copies the named files or folders out of it into DEST (which must
# exist). It uses a throwaway module cache: these modules are only a source of data files, and
# k8s.io/kubernetes unpacks to ~150 MB that no build here needs.
go_module_copy() { # module@version dest path-in-module...
  local module=$1 dest=$2
  shift 2
  require_command go "install Go 1.21+ (https://go.dev/doc/install)"
  local scratch dir log=$STACK_HOME/go-module-download.log
  mkdir -p "$STACK_HOME"
  scratch=$(mktemp -d)
  # Run outside the checkout and with GOWORK=off, so no go.mod or go.work around us is involved.
  if ! (cd "$scratch" && GOMODCACHE=$scratch/mod GOWORK=off go mod download -json "$module") >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    GOMODCACHE=$scratch/mod go clean -modcache >/dev/null 2>&1 || true
    rm -rf "$scratch"
    die "could not download $module from the Go module proxy (log: $log)"
  fi
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$log")
  local path status=0
  for path in "$@"; do
    cp -R "$dir/$path" "$dest/" || status=1
  done
  chmod -R u+w "$dest" # the copies keep the module cache's read-only modes
  # The module cache is read-only by design; go clean is the supported way to empty it.
  GOMODCACHE=$scratch/mod go clean -modcache >/dev/null 2>&1 || true
  rm -rf "$scratch"
  [ "$status" = 0 ] || die "$module does not contain all of: $*"
}
