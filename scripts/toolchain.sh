# shellcheck shell=bash
# Puts the pinned toolchain on PATH: Node >= 24 and pnpm (the version in package.json's
# packageManager field, run through corepack). When the machine's Node is older, Node 24 is
# installed from the npm registry's `node` package, which carries the binary, into a cache
# shared by every checkout of this repository on the machine.

NODE_MAJOR=24
COREPACK_VERSION=0.36.0
TOOLS_CACHE=${CQRS_SHOP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cqrs-shop}/toolchain

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_toolchain() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is not installed; install Node.js (any version with npm) first, e.g. apt-get install nodejs npm" >&2
    return 1
  fi
  local prefix="$TOOLS_CACHE/node$NODE_MAJOR"
  if [ "$(node_major)" -lt "$NODE_MAJOR" ]; then
    if [ ! -x "$prefix/node_modules/.bin/node" ]; then
      echo "Node $(node --version 2>/dev/null || echo '(none)') is older than $NODE_MAJOR; installing node@$NODE_MAJOR into $prefix"
      mkdir -p "$prefix"
      npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR" >/dev/null
    fi
    export PATH="$prefix/node_modules/.bin:$PATH"
  fi
  # corepack is pinned here rather than taken from the machine: Node 25+ no longer bundles it.
  local corepack_prefix="$TOOLS_CACHE/corepack-$COREPACK_VERSION"
  if [ ! -x "$corepack_prefix/node_modules/.bin/corepack" ]; then
    mkdir -p "$corepack_prefix"
    npm install --prefix "$corepack_prefix" --no-save --no-audit --no-fund --loglevel=error "corepack@$COREPACK_VERSION" >/dev/null
  fi
  mkdir -p "$corepack_prefix/shims"
  export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
  if [ ! -x "$corepack_prefix/shims/pnpm" ]; then
    "$corepack_prefix/node_modules/.bin/corepack" enable --install-directory "$corepack_prefix/shims" pnpm
  fi
  export PATH="$corepack_prefix/shims:$PATH"
  echo "node $(node --version), pnpm $(pnpm --version)"
}
