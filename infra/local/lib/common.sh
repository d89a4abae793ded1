# shellcheck shell=bash
# Shared by the local stack: where things live, how a server process is started, watched,
# probed and stopped. Every server file in ../servers defines the same five functions:
#   <name>_provision   install or build what is missing (idempotent, cached)
#   <name>_prepare     first-start work on its data folder (idempotent)
#   <name>_launch      exec the server in the foreground (called in a new session)
#   <name>_configure   work that needs the running server (users, grants); may be a no-op
#   <name>_port        print the port the server listens on

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd "$LOCAL_DIR/../.." && pwd)

# Data, logs, pids and generated credentials of this checkout's stack.
STACK_HOME=${STACK_HOME:-$REPO_ROOT/.local/stack}
# Downloads and builds, shared by every checkout on the machine. Root's cache lives outside
# /root so that the unprivileged Elasticsearch user can read the distribution.
if [ "$(id -u)" = 0 ]; then
  STACK_CACHE=${STACK_CACHE:-/var/cache/cqrs-shop}
else
  STACK_CACHE=${STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cqrs-shop}
fi
# How long one server may take to answer after it was started.
STACK_START_TIMEOUT=${STACK_START_TIMEOUT:-180}

DATA_DIR=$STACK_HOME/data
LOG_DIR=$STACK_HOME/logs
RUN_DIR=$STACK_HOME/run
ENV_FILE=$STACK_HOME/stack.env

# The data folder of a server that runs as a system user of its own (PostgreSQL and
# Elasticsearch, when the stack runs as root): in the checkout when that user can reach it;
# otherwise — a checkout in a folder no other user may enter, such as /root — under
# /var/lib/cqrs-shop, in a folder named after the stack's home, so it is found again.
own_user_data() { # server user
  local inside=$DATA_DIR/$1
  if ! is_root || ! id "$2" >/dev/null 2>&1 ||
    setpriv --reuid="$2" --regid="$2" --clear-groups test -x "$STACK_HOME" 2>/dev/null; then
    echo "$inside"
    return
  fi
  echo "/var/lib/cqrs-shop/$(printf '%s' "$STACK_HOME" | sha256sum | cut -c1-12)/$1"
}

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() { warn "error: $*"; exit 1; }

require_command() { # command, what to install
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; $2"
}

is_root() { [ "$(id -u)" = 0 ]; }

# Installs Debian packages when a command is missing. Keeps the distribution's own service
# from starting (it would take the port this stack wants) by a temporary policy-rc.d.
apt_install() { # command package... (command: skip when it is on PATH; empty: always install)
  local cmd=$1; shift
  [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "'$cmd' is not installed and apt-get is not available; install: $*"
  is_root || die "'$cmd' is not installed; run as root or install it: sudo apt-get install $*"
  say "installing $* from Debian packages"
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  fi
  if ! apt-get install -y -qq --no-install-recommends "$@" >"$STACK_HOME/apt.log" 2>&1; then
    apt-get update -qq >>"$STACK_HOME/apt.log" 2>&1 || true
    apt-get install -y -qq --no-install-recommends "$@" >>"$STACK_HOME/apt.log" 2>&1 || {
      [ "$own_policy" = 1 ] && rm -f "$policy"
      tail -n 20 "$STACK_HOME/apt.log" >&2
      die "apt-get could not install $*"
    }
  fi
  [ "$own_policy" = 1 ] && rm -f "$policy"
  return 0
}

java_home() {
  require_command java "install a Java 17+ runtime, e.g. apt-get install openjdk-17-jre-headless"
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

# --- processes ---------------------------------------------------------------------------

pid_file() { echo "$RUN_DIR/$1.pid"; }

# A recorded process is ours only if its start time still matches: pids get reused.
process_start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

running_pid() { # name -> prints pid when the recorded process is alive and ours
  local file pid started
  file=$(pid_file "$1")
  [ -f "$file" ] || return 1
  read -r pid started <"$file" || return 1
  [ -n "$pid" ] && [ "$(process_start_time "$pid")" = "$started" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

# Starts a command detached from this script, output to a log file, id recorded in a pid file.
# setsid gives it its own process group, so stop_process can stop it with its children; the
# subshell around it hands it to init, so one that dies is reaped at once instead of lingering
# as a zombie child of this script.
spawn_detached() { # pid-file log-file command...
  local pid_path=$1 log=$2
  shift 2
  [ -f "$log" ] && mv -f "$log" "$log.previous"
  (
    setsid "$@" >"$log" 2>&1 </dev/null &
    echo "$! $(process_start_time $!)" >"$pid_path"
  )
}

launch() { # name: runs <name>_launch of ../servers/<name>.sh
  spawn_detached "$(pid_file "$1")" "$LOG_DIR/$1.log" \
    bash -c "source '$LOCAL_DIR/lib/common.sh'; source '$LOCAL_DIR/servers/$1.sh'; $1_launch"
}

log_tail() { # name [log file]
  local log=${2:-$LOG_DIR/$1.log}
  warn "---- last lines of $log ----"
  if [ -s "$log" ]; then tail -n "${STACK_LOG_TAIL:-40}" "$log" >&2; else warn "(empty)"; fi
  warn "----"
}

stop_process() { # name [grace seconds]
  local name=$1 grace=${2:-30} pid
  pid=$(running_pid "$name") || { rm -f "$(pid_file "$name")"; return 0; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((grace * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name did not stop within ${grace}s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pid_file "$name")"
}

# Probes a server with the same client library the services use (see probe.mts).
probe() { # name
  node "$LOCAL_DIR/probe.mts" "$1" >/dev/null 2>&1
}

answers() { # name
  if declare -F "${1}_answers" >/dev/null; then "${1}_answers"; else probe "$1"; fi
}

port_in_use() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A certificate authority of this stack and a certificate it signed for 127.0.0.1 and
# localhost, made once in $STACK_HOME/tls: MariaDB and Kafka's SASL_SSL listener serve it, so
# that the services' TLS settings (MYSQL_TLS, KAFKA_TLS) are tested against real servers.
tls_dir() { echo "$STACK_HOME/tls"; }

tls_prepare() {
  local dir
  dir=$(tls_dir)
  [ -s "$dir/server.pem" ] && return 0
  require_command openssl "install OpenSSL (apt-get install openssl)"
  local build
  build=$(mktemp -d "$STACK_HOME/tls.XXXXXX")
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=cqrs-shop local CA" \
      -keyout "$build/ca.key" -out "$build/ca.crt" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$build/server.key" -out "$build/server.csr" &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$build/ext.cnf" &&
      openssl x509 -req -in "$build/server.csr" -CA "$build/ca.crt" -CAkey "$build/ca.key" \
        -CAcreateserial -days 3650 -extfile "$build/ext.cnf" -out "$build/server.crt" &&
      # Kafka takes a PEM key store as one file: the key (PKCS#8) and the certificate.
      cat "$build/server.key" "$build/server.crt" >"$build/server.pem"
  ) >"$LOG_DIR/tls.log" 2>&1 || {
    tail -n 20 "$LOG_DIR/tls.log" >&2
    rm -rf "$build"
    die "tls: could not make the stack's certificates"
  }
  chmod 644 "$build/ca.crt"
  rm -rf "$dir" && mv "$build" "$dir"
}
