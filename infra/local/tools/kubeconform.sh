# shellcheck shell=bash
# kubeconform, which validates Kubernetes manifests against JSON schemas of the API, built from
# the Go module proxy. It never fetches schemas here: they come from tools/k8s-schemas.sh.
#
#   "$(kubeconform_path)" -strict -summary \
#     -schema-location "$(k8s-schemas_path)" -kubernetes-version "$(k8s-schemas_version)" FILE...
#
# -strict rejects unknown fields; a kind with no schema (a CRD) is an error unless
# -ignore-missing-schemas or -skip KIND is given.

# shellcheck source=infra/local/tools/go-module.bash
source "$(dirname "${BASH_SOURCE[0]}")/go-module.bash"

KUBECONFORM_VERSION=v0.8.0

kubeconform_path() { echo "$STACK_CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform"; }

kubeconform_provision() {
  [ -x "$(kubeconform_path)" ] && return 0
  go_install_into "$(dirname "$(kubeconform_path)")" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" \
    -ldflags "-X main.version=$KUBECONFORM_VERSION"
}
