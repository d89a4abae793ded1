# shellcheck shell=bash
# Elasticsearch, the real server, from the distribution Elastic publishes to Maven Central
# (integ-test-zip: core modules only, no bundled JDK, no x-pack features beyond security,
# which is switched off here). It refuses to run as root, so root runs it as a dedicated
# unprivileged user.

ES_VERSION=8.19.21
ES_USER=${ELASTICSEARCH_USER:-cqrs-shop-es}

elasticsearch_port() { echo "${ELASTICSEARCH_PORT:-9200}"; }
elasticsearch_transport_port() { echo "${ELASTICSEARCH_TRANSPORT_PORT:-9300}"; }
elasticsearch_dist() { echo "$STACK_CACHE/elasticsearch-$ES_VERSION"; }
elasticsearch_home() { own_user_data elasticsearch "$ES_USER"; }

elasticsearch_provision() {
  java_home >/dev/null
  if is_root && ! id "$ES_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" || die "elasticsearch: could not create user $ES_USER"
  fi
  [ -x "$(elasticsearch_dist)/bin/elasticsearch" ] && return 0
  require_command mvn "install Maven, e.g. apt-get install maven"
  require_command unzip "install unzip, e.g. apt-get install unzip"
  say "fetching Elasticsearch $ES_VERSION from Maven Central"
  local tmp
  tmp=$(mktemp -d "$STACK_CACHE/elasticsearch.XXXXXX")
  mvn -q -B dependency:copy \
    -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
    -DoutputDirectory="$tmp" >"$STACK_HOME/elasticsearch-fetch.log" 2>&1 || {
    tail -n 20 "$STACK_HOME/elasticsearch-fetch.log" >&2
    rm -rf "$tmp"
    die "elasticsearch: Maven could not fetch the distribution"
  }
  unzip -q "$tmp/elasticsearch-$ES_VERSION.zip" -d "$tmp" && rm -f "$tmp/elasticsearch-$ES_VERSION.zip"
  rm -rf "$(elasticsearch_dist)" && mv "$tmp/elasticsearch-$ES_VERSION" "$(elasticsearch_dist)" && rm -rf "$tmp"
  chmod -R a+rX "$(elasticsearch_dist)"
}

elasticsearch_prepare() {
  local home
  home=$(elasticsearch_home)
  mkdir -p "$home/config" "$home/data" "$home/logs" "$home/tmp"
  cp -n "$(elasticsearch_dist)/config/jvm.options" "$(elasticsearch_dist)/config/log4j2.properties" "$home/config/"
  mkdir -p "$home/config/jvm.options.d"
  printf -- '-Xms%s\n-Xmx%s\n' "${ELASTICSEARCH_HEAP:-768m}" "${ELASTICSEARCH_HEAP:-768m}" >"$home/config/jvm.options.d/heap.options"
  cat >"$home/config/elasticsearch.yml" <<YAML
cluster.name: cqrs-shop-local
node.name: local
path.data: $home/data
path.logs: $home/logs
network.host: 127.0.0.1
http.port: $(elasticsearch_port)
transport.port: $(elasticsearch_transport_port)
discovery.type: single-node
xpack.security.enabled: false
# A development stack must not turn read-only because the shared disk is fuller than 95%.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: true
YAML
  if is_root; then
    chown -R "$ES_USER:" "$home"
    setpriv --reuid="$ES_USER" --regid="$ES_USER" --clear-groups test -w "$home/data" ||
      die "elasticsearch: user $ES_USER cannot reach $home; put the checkout (or STACK_HOME) in a folder other users can enter"
  fi
}

elasticsearch_launch() {
  local home
  home=$(elasticsearch_home)
  cd "$home/logs"
  export ES_JAVA_HOME ES_PATH_CONF="$home/config" ES_TMPDIR="$home/tmp"
  ES_JAVA_HOME=$(java_home)
  if is_root; then
    exec setpriv --reuid="$ES_USER" --regid="$ES_USER" --clear-groups "$(elasticsearch_dist)/bin/elasticsearch"
  fi
  exec "$(elasticsearch_dist)/bin/elasticsearch"
}

elasticsearch_configure() { :; }
