# shellcheck shell=bash
# A MongoDB wire-protocol server: a real mongod when one is installed, otherwise FerretDB
# v1 on PostgreSQL (see postgres.sh), built from the Go module proxy. FerretDB v1 lacks
# transactions, change streams, $lookup, most $group accumulators, partial and TTL indexes
# and arrayFilters; the read models stay within what both servers support.

FERRETDB_VERSION=v1.24.2

# FerretDB's storage; also needed when this file is sourced alone to launch the server.
# shellcheck source=infra/local/servers/postgres.sh
source "$LOCAL_DIR/servers/postgres.sh"

mongodb_port() { echo "${MONGODB_PORT:-27017}"; }
mongodb_ferretdb() { echo "$STACK_CACHE/ferretdb-$FERRETDB_VERSION/ferretdb"; }
mongodb_use_mongod() { [ "${MONGODB_SERVER:-auto}" != ferretdb ] && command -v mongod >/dev/null 2>&1; }

mongodb_provision() {
  mongodb_use_mongod && return 0
  [ -x "$(mongodb_ferretdb)" ] && return 0
  require_command go "install Go 1.22+ (https://go.dev/doc/install or apt-get install golang)"
  say "building FerretDB $FERRETDB_VERSION from the Go module proxy"
  local module src
  module=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" 2>"$STACK_HOME/ferretdb-build.log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$module" ] && [ -d "$module" ] || { tail -n 20 "$STACK_HOME/ferretdb-build.log" >&2; die "mongodb: could not download FerretDB"; }
  src=$(mktemp -d "$STACK_CACHE/ferretdb-src.XXXXXX")
  cp -r "$module/." "$src" && chmod -R u+w "$src"
  # The module omits the generated version file that the program embeds and checks at start.
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$src/ferretdb.bin" ./cmd/ferretdb) >>"$STACK_HOME/ferretdb-build.log" 2>&1 || {
    tail -n 20 "$STACK_HOME/ferretdb-build.log" >&2
    rm -rf "$src"
    die "mongodb: could not build FerretDB"
  }
  mkdir -p "$(dirname "$(mongodb_ferretdb)")"
  mv "$src/ferretdb.bin" "$(mongodb_ferretdb)" && rm -rf "$src"
}

mongodb_prepare() { mkdir -p "$DATA_DIR/mongodb"; }

mongodb_launch() {
  if mongodb_use_mongod; then
    exec mongod --dbpath "$DATA_DIR/mongodb" --port "$(mongodb_port)" --bind_ip 127.0.0.1
  fi
  # The URL carries the password, so it goes by environment rather than on the command line.
  # A pool larger than FerretDB's 50: with every connection taken, a collection being created
  # or dropped meanwhile can leave FerretDB 1.x waiting for itself (PostgreSQL allows 200).
  FERRETDB_POSTGRESQL_URL="postgres://ferretdb:$(cat "$STACK_HOME/postgres-password")@127.0.0.1:$(postgres_port)/ferretdb?pool_max_conns=150" \
    exec "$(mongodb_ferretdb)" --handler=pg \
    --state-dir="$DATA_DIR/mongodb" --listen-addr="127.0.0.1:$(mongodb_port)" \
    --debug-addr=- --telemetry=disable --log-level=error --log-format=text
}

mongodb_configure() { :; }
