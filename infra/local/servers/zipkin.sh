# shellcheck shell=bash
# Zipkin, the trace store and UI behind the OpenTelemetry Collector (see otelcol.sh): the
# executable server jar from Maven Central, spans kept in memory only, on the machine's Java 17+.

ZIPKIN_VERSION=3.6.1

zipkin_port() { echo "${ZIPKIN_PORT:-9411}"; }
zipkin_jar() { echo "$STACK_CACHE/zipkin-$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"; }

zipkin_provision() {
  java_home >/dev/null
  [ -f "$(zipkin_jar)" ] && return 0
  require_command mvn "install Maven, e.g. apt-get install maven"
  say "fetching Zipkin $ZIPKIN_VERSION from Maven Central"
  local tmp
  tmp=$(mktemp -d "$STACK_CACHE/zipkin.XXXXXX")
  mvn -q -B dependency:copy -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
    -DoutputDirectory="$tmp" >"$STACK_HOME/zipkin-fetch.log" 2>&1 || {
    tail -n 20 "$STACK_HOME/zipkin-fetch.log" >&2
    rm -rf "$tmp"
    die "zipkin: Maven could not fetch the server jar"
  }
  rm -rf "$(dirname "$(zipkin_jar)")" && mv "$tmp" "$(dirname "$(zipkin_jar)")"
}

zipkin_prepare() { mkdir -p "$DATA_DIR/zipkin/tmp"; }

zipkin_launch() {
  # Zipkin starts every collector whose connection variable is set (KAFKA_BOOTSTRAP_SERVERS,
  # RABBIT_ADDRESSES, ...) and could pick one up from the caller's environment: all off, so
  # spans come in by HTTP only, on the one port. Beyond MEM_MAX_SPANS the oldest traces go.
  local port
  port=$(zipkin_port)
  export STORAGE_TYPE=mem MEM_MAX_SPANS=${ZIPKIN_MAX_SPANS:-50000} QUERY_PORT=$port
  export COLLECTOR_KAFKA_ENABLED=false COLLECTOR_RABBITMQ_ENABLED=false COLLECTOR_ACTIVEMQ_ENABLED=false \
    COLLECTOR_PULSAR_ENABLED=false COLLECTOR_SCRIBE_ENABLED=false COLLECTOR_GRPC_ENABLED=false \
    DISCOVERY_EUREKA_ENABLED=false SELF_TRACING_ENABLED=false
  # Native libraries (brotli4j's, for one) are unpacked into the temporary folder, kept with the
  # stack's data; that also puts this checkout's path on the command line, as for other servers.
  # A list given here replaces Zipkin's own armeria.ports entirely, so the entry is complete.
  exec "$(java_home)/bin/java" -Xms64m "-Xmx${ZIPKIN_HEAP:-384m}" -XX:+ExitOnOutOfMemoryError \
    -Djava.io.tmpdir="$DATA_DIR/zipkin/tmp" -jar "$(zipkin_jar)" \
    '--armeria.ports[0].ip=127.0.0.1' "--armeria.ports[0].port=$port" '--armeria.ports[0].protocols[0]=http'
}

zipkin_configure() { :; }
