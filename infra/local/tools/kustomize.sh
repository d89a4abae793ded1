# shellcheck shell=bash
# kustomize, which renders the Kubernetes manifests (k8s/: a base and the dev and prod
# overlays) for the checks that validate and lint them, built from the Go module proxy.
# v5.8.3 asks for Go 1.27; v5.8.2 is the newest that builds with the machine's Go 1.26.
#
#   "$(kustomize_path)" build k8s/overlays/dev

# shellcheck source=infra/local/tools/go-module.bash
source "$(dirname "${BASH_SOURCE[0]}")/go-module.bash"

KUSTOMIZE_VERSION=v5.8.2

kustomize_path() { echo "$STACK_CACHE/kustomize-$KUSTOMIZE_VERSION/kustomize"; }

kustomize_provision() {
  [ -x "$(kustomize_path)" ] && return 0
  # `kustomize version` reads its version from the module's build information.
  go_install_into "$(dirname "$(kustomize_path)")" \
    "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
}
