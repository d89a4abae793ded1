# shellcheck shell=bash
# The OpenTelemetry Collector: takes the services' traces by OTLP over HTTP, batches them and
# sends them on to Zipkin (see zipkin.sh). A binary with only those components, made by the
# collector builder from the Go module proxy as otelcol/builder.yaml lists them.

OTELCOL_MANIFEST=$LOCAL_DIR/otelcol/builder.yaml
OTELCOL_VERSION=$(sed -n 's/^  version: *//p' "$OTELCOL_MANIFEST")

# Where the traces go; also needed when this file is sourced alone to launch the collector.
# shellcheck source=infra/local/servers/zipkin.sh
source "$LOCAL_DIR/servers/zipkin.sh"

otelcol_port() { echo "${OTLP_HTTP_PORT:-4318}"; }
# Keyed by the manifest's content as well as the version, so a changed manifest is built anew.
otelcol_binary() {
  echo "$STACK_CACHE/otelcol-$OTELCOL_VERSION-$(sha256sum "$OTELCOL_MANIFEST" | cut -c1-12)/otelcol-shop"
}
otelcol_config() { echo "$DATA_DIR/otelcol/config.yaml"; }

otelcol_provision() {
  [ -x "$(otelcol_binary)" ] && return 0
  require_command go "install Go 1.25+ (https://go.dev/doc/install)"
  say "building the OpenTelemetry Collector $OTELCOL_VERSION from the Go module proxy"
  local tmp log=$STACK_HOME/otelcol-build.log
  tmp=$(mktemp -d "$STACK_CACHE/otelcol-build.XXXXXX")
  (
    # The checksum database answers 404 for zipkinexporter v0.150.0, and Go refuses a module it
    # cannot look up there. Only that module is exempt; every other one is still verified.
    export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/open-telemetry/opentelemetry-collector-contrib/exporter/zipkinexporter
    cd "$tmp" &&
      GOBIN=$tmp/bin go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION" &&
      "$tmp/bin/builder" --config "$OTELCOL_MANIFEST"
  ) >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    rm -rf "$tmp"
    die "otelcol: could not build the OpenTelemetry Collector"
  }
  mkdir -p "$(dirname "$(otelcol_binary)")"
  mv "$tmp/build/otelcol-shop" "$(otelcol_binary)" && rm -rf "$tmp"
}

# The configuration with this stack's ports, in the data folder: the command line then names
# this checkout, as every other server's does.
otelcol_prepare() {
  mkdir -p "$DATA_DIR/otelcol"
  sed -e "s/@OTLP_HTTP_PORT@/$(otelcol_port)/g" -e "s/@ZIPKIN_PORT@/$(zipkin_port)/g" \
    "$LOCAL_DIR/otelcol/config.yaml" >"$(otelcol_config)"
}

otelcol_launch() {
  exec "$(otelcol_binary)" --config "file:$(otelcol_config)"
}

otelcol_configure() { :; }
