"""Hooks of the contract fuzzing (e2e/contract-fuzz.e2e.test.ts), loaded by SCHEMATHESIS_HOOKS.

Two values only the APIs issue cannot be made up by a fuzzer: a page cursor (bound to the
query that produced it) and a consistency token (signed by the command service). Generated
ones would be refused, rightly; so cursors are left out, and every consistency token sent is
a genuine one. Both are covered by the e2e tests of pagination and read-your-own-writes.
"""

import os

import schemathesis

CONSISTENCY_HEADER = "X-Consistency-Token"


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.query:
        case.query.pop("cursor", None)
    if case.headers and CONSISTENCY_HEADER in case.headers:
        case.headers[CONSISTENCY_HEADER] = os.environ["FUZZ_CONSISTENCY_TOKEN"]
