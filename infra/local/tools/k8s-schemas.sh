# shellcheck shell=bash
# JSON schemas of the Kubernetes API for kubeconform (tools/kubeconform.sh), made here from the
# API's own OpenAPI document: api/openapi-spec/swagger.json of the k8s.io/kubernetes module,
# fetched from the Go module proxy (and checked against the checksum database), then turned into
# one self-contained schema per kind by k8s-schemas.mts. k8s-schemas_path prints the folder to
# give kubeconform as -schema-location; k8s-schemas_version the matching -kubernetes-version.

# shellcheck source=infra/local/tools/go-module.bash
source "$(dirname "${BASH_SOURCE[0]}")/go-module.bash"

K8S_SCHEMAS_KUBERNETES=v1.37.2

k8s-schemas_version() { echo "${K8S_SCHEMAS_KUBERNETES#v}"; }

# The converter's own hash is part of the folder name, so a change to it makes new schemas.
k8s-schemas_path() {
  local converter
  converter=$(sha256sum "$LOCAL_DIR/tools/k8s-schemas.mts" | cut -c1-12)
  echo "$STACK_CACHE/k8s-schemas-$K8S_SCHEMAS_KUBERNETES-$converter"
}

k8s-schemas_provision() {
  local target
  target=$(k8s-schemas_path)
  [ -d "$target/$K8S_SCHEMAS_KUBERNETES-standalone-strict" ] && return 0
  require_command node "install Node.js 24 (scripts/toolchain.sh does)"
  say "making Kubernetes $(k8s-schemas_version) JSON schemas from k8s.io/kubernetes@$K8S_SCHEMAS_KUBERNETES"
  mkdir -p "$STACK_CACHE"
  local build
  build=$(mktemp -d "$target.XXXXXX")
  go_module_copy "k8s.io/kubernetes@$K8S_SCHEMAS_KUBERNETES" "$build" api/openapi-spec/swagger.json
  node "$LOCAL_DIR/tools/k8s-schemas.mts" "$build/swagger.json" "$build" "$(k8s-schemas_version)" >/dev/null || {
    rm -rf "$build"
    die "k8s-schemas: could not convert swagger.json of Kubernetes $K8S_SCHEMAS_KUBERNETES"
  }
  # The source stays beside the schemas, for reading what a schema was made from.
  rm -rf "$target" && mv "$build" "$target"
}
