#!/usr/bin/env bash
# Copies what the services need at run time from a built checkout into <target>: each
# workspace package's package.json, dist/ and node_modules links, the files read at run time
# (event schemas, migrations, the operations page), and the root node_modules. Run after
# `pnpm run build` and a fresh production-only install (the Dockerfile's build stage), so no
# development dependency is copied.
#
#   infra/container/assemble.sh <target>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
target=${1:?usage: assemble.sh <target>}

# Files read at run time besides the compiled code, relative to the repository root.
RUNTIME_FILES=(
  packages/event-codec/schemas
  services/command-service/migrations
  services/query-gateway/src/ops/page
  infra/container/healthcheck.mjs
)

mkdir -p "$target"
cp -a package.json node_modules "$target/"
for dir in packages/* services/* tools/*; do
  [ -f "$dir/package.json" ] || continue
  mkdir -p "$target/$dir"
  cp -a "$dir/package.json" "$dir/dist" "$target/$dir/"
  if [ -d "$dir/node_modules" ]; then cp -a "$dir/node_modules" "$target/$dir/"; fi
done
for path in "${RUNTIME_FILES[@]}"; do
  mkdir -p "$target/$(dirname "$path")"
  cp -a "$path" "$target/$path"
done
# Readable by any user (the images run as 10001, not as the files' owner), whatever the umask
# of the checkout the files were copied from.
chmod -R a+rX "$target"
# Compiler leftovers are not needed to run.
find "$target/packages" "$target/services" "$target/tools" -path '*/dist/*' \
  \( -name '*.tsbuildinfo' -o -name '*.d.ts.map' \) -delete
