# shellcheck shell=bash
# promtool, Prometheus's checker for configuration and rule files and runner of rule unit
# tests (infra/prometheus/alerts.int.test.ts), built from the Go module proxy. Prometheus 3.x
# is published there as module versions v0.3xx.y: v0.316.0 is Prometheus 3.16.0.

PROMTOOL_VERSION=v0.316.0
# Leaves out the cloud service discoveries (EC2, Azure, GCE, Consul, …), which the configs here
# do not use: the cold build takes a quarter of the time and downloads half as much. Static,
# file, HTTP and Kubernetes discovery stay. `enable_<name>_sd` adds one back, e.g. enable_aws_sd.
PROMTOOL_TAGS=remove_all_sd

promtool_path() { echo "$STACK_CACHE/promtool-$PROMTOOL_VERSION/promtool"; }

# The release version the module version stands for (v0.316.0 -> 3.16.0), for --version.
promtool_release() {
  local minor=${PROMTOOL_VERSION#v0.3} patch=${PROMTOOL_VERSION##*.}
  minor=${minor%%.*}
  echo "3.$((10#$minor)).$patch"
}

promtool_provision() {
  local target
  target=$(dirname "$(promtool_path)")
  # The tags are recorded beside the binary, so changing them above rebuilds it.
  [ -x "$(promtool_path)" ] && [ "$(cat "$target/build-tags" 2>/dev/null)" = "$PROMTOOL_TAGS" ] && return 0
  # The module asks for Go 1.26; an older go fetches that toolchain itself (GOTOOLCHAIN=auto).
  require_command go "install Go 1.21+ (https://go.dev/doc/install)"
  say "building promtool $(promtool_release) ($PROMTOOL_VERSION) from the Go module proxy"
  local build log=$STACK_HOME/promtool-build.log
  mkdir -p "$STACK_HOME" "$STACK_CACHE"
  # Built beside the target and moved into place, so an interrupted build leaves nothing
  # that the check at the top would take for a finished one.
  build=$(mktemp -d "$target.XXXXXX")
  GOBIN=$build CGO_ENABLED=0 go install -trimpath -tags "$PROMTOOL_TAGS" \
    -ldflags "-X github.com/prometheus/common/version.Version=$(promtool_release)" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    rm -rf "$build"
    die "promtool: could not build github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION (log: $log)"
  }
  echo "$PROMTOOL_TAGS" >"$build/build-tags"
  chmod 755 "$build" # mktemp made it private; the cache is shared
  rm -rf "$target" && mv "$build" "$target"
}
