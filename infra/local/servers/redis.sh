# shellcheck shell=bash
# Redis from Debian's packages, with append-only persistence so counters survive a restart.

redis_port() { echo "${REDIS_PORT:-6379}"; }

redis_provision() { apt_install redis-server redis-server; }

redis_prepare() { mkdir -p "$DATA_DIR/redis"; }

redis_launch() {
  exec redis-server --port "$(redis_port)" --bind 127.0.0.1 --protected-mode yes \
    --dir "$DATA_DIR/redis" --appendonly yes --appendfsync everysec --save '' \
    --daemonize no --logfile ''
}

redis_configure() { :; }
