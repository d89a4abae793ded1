# shellcheck shell=bash
# Apache Kafka in KRaft mode, one process that is both broker and controller, run from the
# official jars on Maven Central on the machine's Java 17+.

KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$LOCAL_DIR/kafka/pom.xml")

kafka_port() { echo "${KAFKA_PORT:-9092}"; }
kafka_controller_port() { echo "${KAFKA_CONTROLLER_PORT:-9093}"; }
# TLS with SCRAM-SHA-512, as production brokers are reached (the suite's clients use PLAINTEXT).
kafka_sasl_ssl_port() { echo "${KAFKA_SASL_SSL_PORT:-9094}"; }
kafka_libs() { echo "$STACK_CACHE/kafka-$KAFKA_VERSION/libs"; }

kafka_provision() {
  java_home >/dev/null
  [ -f "$(kafka_libs)/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  require_command mvn "install Maven, e.g. apt-get install maven"
  say "fetching Apache Kafka $KAFKA_VERSION from Maven Central"
  local tmp
  tmp=$(mktemp -d "$STACK_CACHE/kafka-libs.XXXXXX")
  mvn -q -B -f "$LOCAL_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$STACK_HOME/kafka-fetch.log" 2>&1 || {
    tail -n 20 "$STACK_HOME/kafka-fetch.log" >&2
    rm -rf "$tmp"
    die "kafka: Maven could not fetch the broker jars"
  }
  mkdir -p "$(dirname "$(kafka_libs)")"
  rm -rf "$(kafka_libs)" && mv "$tmp" "$(kafka_libs)"
}

kafka_config() { echo "$DATA_DIR/kafka/server.properties"; }

kafka_prepare() {
  local dir=$DATA_DIR/kafka
  mkdir -p "$dir/logs"
  # Single node: every internal topic needs replication factor 1, or consumer groups and
  # transactions never find a coordinator.
  cat >"$(kafka_config)" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$(kafka_controller_port)
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$(kafka_port),CONTROLLER://127.0.0.1:$(kafka_controller_port),SASL_SSL://127.0.0.1:$(kafka_sasl_ssl_port)
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_port),SASL_SSL://127.0.0.1:$(kafka_sasl_ssl_port)
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$(tls_dir)/server.pem
log.dirs=$dir/logs
num.partitions=6
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# The controller appends a no-op record to the metadata log this often when nothing else
# changes (default 500 ms): one node has no follower to prove itself to, and at 500 ms it cost
# a few per cent of a core at rest.
metadata.max.idle.interval.ms=5000
log.retention.hours=-1
PROPS
  [ -f "$dir/logs/meta.properties" ] && return 0
  # A cluster id is 16 random bytes in unpadded base64url, as the storage tool makes them. It
  # may start with '-', so it is passed as --cluster-id=<id>, never as a separate argument.
  local cluster_id
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  kafka_java_command
  "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --ignore-formatted --cluster-id="$cluster_id" -c "$(kafka_config)" \
    >"$LOG_DIR/kafka-format.log" 2>&1 || {
    tail -n 20 "$LOG_DIR/kafka-format.log" >&2
    die "kafka: could not format the KRaft storage in $dir/logs"
  }
}

# The JVM command line shared by the storage tool and the broker, into KAFKA_JAVA.
kafka_java_command() {
  KAFKA_JAVA=("$(java_home)/bin/java" -Xms256m "-Xmx${KAFKA_HEAP:-768m}" -XX:+UseG1GC
    -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.xml" -cp "$(kafka_libs)/*")
}

kafka_launch() {
  kafka_java_command
  exec "${KAFKA_JAVA[@]}" kafka.Kafka "$(kafka_config)"
}

# The SCRAM user of the SASL_SSL listener, set through the PLAINTEXT one (again at every start:
# the password file is the truth).
kafka_configure() {
  kafka_java_command
  "${KAFKA_JAVA[@]}" kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$(kafka_port)" \
    --alter --entity-type users --entity-name shop \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(cat "$STACK_HOME/kafka-scram-password")]" \
    >"$LOG_DIR/kafka-scram.log" 2>&1 || {
    tail -n 20 "$LOG_DIR/kafka-scram.log" >&2
    die "kafka: could not set the SCRAM user of the SASL_SSL listener"
  }
}
