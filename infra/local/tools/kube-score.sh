# shellcheck shell=bash
# kube-score, a linter for Kubernetes objects that reports what they miss for reliability and
# security (probes, resources, security context, PodDisruptionBudgets, NetworkPolicies, ...),
# built from the Go module proxy. It reads the manifests only and works offline.
#
#   "$(kube-score_path)" score --output-format ci --kubernetes-version v1.37 FILE...
#
# It exits 1 on any CRITICAL finding (and on warnings with --exit-one-on-warning); a check the
# suite deliberately does without is turned off with --ignore-test NAME or, per object, with the
# annotation kube-score/ignore: NAME (`kube-score list` names them).

# shellcheck source=infra/local/tools/go-module.bash
source "$(dirname "${BASH_SOURCE[0]}")/go-module.bash"

KUBE_SCORE_VERSION=v1.20.0

kube-score_path() { echo "$STACK_CACHE/kube-score-$KUBE_SCORE_VERSION/kube-score"; }

kube-score_provision() {
  [ -x "$(kube-score_path)" ] && return 0
  go_install_into "$(dirname "$(kube-score_path)")" \
    "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" \
    -ldflags "-X main.version=${KUBE_SCORE_VERSION#v}"
}
