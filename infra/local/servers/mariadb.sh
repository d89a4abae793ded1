# shellcheck shell=bash
# MariaDB from Debian's packages (or a MySQL/MariaDB server already installed), run with its
# own data folder and no system option files. Only SQL that MySQL 8 also accepts is used by
# the suite; the SQL mode below is MySQL 8's default, so both servers judge queries alike.

mariadb_port() { echo "${MYSQL_PORT:-3306}"; }
mariadb_socket() { echo "$RUN_DIR/mariadb.sock"; }
mariadb_server() { command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -n 1; }

mariadb_provision() {
  [ -n "$(mariadb_server)" ] || apt_install mariadb-install-db mariadb-server mariadb-client
  [ -n "$(mariadb_server)" ] || die "no MariaDB or MySQL server found; install mariadb-server"
  require_command mariadb-install-db "install mariadb-server"
  require_command mariadb "install mariadb-client"
}

mariadb_prepare() {
  local data=$DATA_DIR/mariadb
  [ -d "$data/mysql" ] && return 0
  mkdir -p "$data"
  # The administrator account authenticates by unix socket as the current OS user only;
  # the suite connects over TCP with its own password user (see mariadb_configure).
  mariadb-install-db --no-defaults --datadir="$data" --user="$(id -un)" --skip-test-db \
    --auth-root-authentication-method=socket --auth-root-socket-user="$(id -un)" \
    >"$LOG_DIR/mariadb-install.log" 2>&1 || {
    tail -n 20 "$LOG_DIR/mariadb-install.log" >&2
    die "mariadb: could not initialise $data"
  }
}

mariadb_launch() {
  exec "$(mariadb_server)" --no-defaults \
    --datadir="$DATA_DIR/mariadb" --user="$(id -un)" \
    --port="$(mariadb_port)" --bind-address=127.0.0.1 --socket="$(mariadb_socket)" \
    --pid-file="$RUN_DIR/mariadb.server.pid" --skip-name-resolve \
    --sql-mode=ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --default-time-zone=+00:00 --max-connections=500 \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=1 --binlog-format=ROW \
    --ssl-ca="$(tls_dir)/ca.crt" --ssl-cert="$(tls_dir)/server.crt" --ssl-key="$(tls_dir)/server.key"
}

# The client prefers MYSQL_HOST from the environment (the TCP address) even over --protocol.
mariadb_admin() { env -u MYSQL_HOST -u MYSQL_TCP_PORT -u MYSQL_PWD mariadb --no-defaults --protocol=socket --socket="$(mariadb_socket)" -u"$(id -un)" "$@"; }

mariadb_answers() { mariadb_admin -e 'SELECT 1' >/dev/null 2>&1; }

# The suite's account may only touch databases named shop*: the service database and the
# per-test-file databases of the test suite.
mariadb_configure() {
  local password
  password=$(cat "$STACK_HOME/mysql-password")
  mariadb_admin <<SQL || die "mariadb: could not create the suite's database user"
CREATE DATABASE IF NOT EXISTS shop;
CREATE USER IF NOT EXISTS 'shop'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER 'shop'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`shop%\`.* TO 'shop'@'127.0.0.1';
SQL
  probe mariadb || die "mariadb: the suite's user cannot connect over TCP"
}
