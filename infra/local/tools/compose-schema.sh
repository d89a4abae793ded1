# shellcheck shell=bash
# The Compose Specification's JSON schema (JSON Schema draft 2020-12), the one Docker Compose
# embeds to validate compose files, taken from the compose-spec project's own Go module
# (schema/compose-spec.json of github.com/compose-spec/compose-go/v2). compose-schema_path
# prints the schema file.
#
# Apply it with ajv's 2020-12 build (ajv/dist/2020) and strictTypes off: the schema uses union
# types and untyped "properties", which ajv's strict mode reports as style, not as errors. It
# catches unknown keys and wrong shapes; it accepts strings for most numbers (so that ${VAR} may
# stand there) and any string as a duration, which Compose itself checks when it loads a file.

# shellcheck source=infra/local/tools/go-module.bash
source "$(dirname "${BASH_SOURCE[0]}")/go-module.bash"

COMPOSE_GO_VERSION=v2.16.2

compose-schema_path() { echo "$STACK_CACHE/compose-schema-$COMPOSE_GO_VERSION/compose-spec.json"; }

compose-schema_provision() {
  local target
  target=$(dirname "$(compose-schema_path)")
  [ -f "$(compose-schema_path)" ] && return 0
  say "fetching the Compose schema from github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION"
  mkdir -p "$STACK_CACHE"
  local build
  build=$(mktemp -d "$target.XXXXXX")
  go_module_copy "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" "$build" schema/compose-spec.json
  rm -rf "$target" && mv "$build" "$target"
}
