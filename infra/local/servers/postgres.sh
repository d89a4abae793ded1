# shellcheck shell=bash
# PostgreSQL from Debian's packages, as the storage of FerretDB (the MongoDB wire server) and
# nothing else. FerretDB on PostgreSQL pushes filters and updates down to indexed SQL; on its
# SQLite backend every update scans the whole collection, which no projector can keep up with.
# PostgreSQL refuses to run as root, so root runs it as a dedicated unprivileged user.

PG_USER=${POSTGRES_OS_USER:-cqrs-shop-pg}

postgres_port() { echo "${POSTGRES_PORT:-5432}"; }
postgres_bin() { find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1; }
postgres_data() { own_user_data postgres "$PG_USER"; }
postgres_password() { cat "$STACK_HOME/postgres-password"; }

# Runs a PostgreSQL program as the user that owns the data (root cannot).
postgres_as_owner() {
  if is_root; then setpriv --reuid="$PG_USER" --regid="$PG_USER" --clear-groups "$@"; else "$@"; fi
}

postgres_provision() {
  # The server's programs live outside PATH, so check for them rather than for a command.
  [ -n "$(postgres_bin)" ] || apt_install "" postgresql
  [ -n "$(postgres_bin)" ] || die "postgres: no server found under /usr/lib/postgresql after installing postgresql"
  if is_root && ! id "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER" || die "postgres: could not create user $PG_USER"
  fi
}

postgres_prepare() {
  local data password_file=$STACK_HOME/postgres-password
  data=$(postgres_data)
  if [ ! -s "$password_file" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$password_file")
  fi
  [ -f "$data/PG_VERSION" ] && return 0
  mkdir -p "$data"
  local pwfile
  # Beside the data, where the PostgreSQL user can read it (see own_user_data).
  pwfile=$(mktemp "$(dirname "$data")/.pg-init.XXXXXX")
  cp "$password_file" "$pwfile"
  if is_root; then chown -R "$PG_USER:" "$data" "$pwfile"; fi
  chmod 700 "$data"
  postgres_as_owner "$(postgres_bin)/initdb" -D "$data" -U ferretdb --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$STACK_HOME/postgres-init.log" 2>&1 || {
    rm -f "$pwfile"
    tail -n 20 "$STACK_HOME/postgres-init.log" >&2
    die "postgres: initdb failed; if user $PG_USER cannot reach $data, put the checkout (or STACK_HOME) in a folder other users can enter"
  }
  rm -f "$pwfile"
}

postgres_launch() {
  local server=(
    "$(postgres_bin)/postgres" -D "$(postgres_data)" -p "$(postgres_port)"
    -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200
  )
  if is_root; then exec setpriv --reuid="$PG_USER" --regid="$PG_USER" --clear-groups "${server[@]}"; fi
  exec "${server[@]}"
}

postgres_answers() { "$(postgres_bin)/pg_isready" -q -h 127.0.0.1 -p "$(postgres_port)"; }

# FerretDB keeps every MongoDB database as a schema of this one database.
postgres_configure() {
  local psql
  psql=("$(postgres_bin)/psql" -X -q -h 127.0.0.1 -p "$(postgres_port)" -U ferretdb -d postgres -v ON_ERROR_STOP=1)
  if [ "$(PGPASSWORD=$(postgres_password) "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'")" != 1 ]; then
    PGPASSWORD=$(postgres_password) "${psql[@]}" -c 'CREATE DATABASE ferretdb' || die "postgres: could not create the database of FerretDB"
  fi
  psql=("$(postgres_bin)/psql" -X -q -h 127.0.0.1 -p "$(postgres_port)" -U ferretdb -d ferretdb -v ON_ERROR_STOP=1)
  PGPASSWORD=$(postgres_password) "${psql[@]}" -f "$LOCAL_DIR/servers/ferretdb-lookup-indexes.sql" ||
    die "postgres: could not install the lookup indexes of FerretDB's tables"
}
