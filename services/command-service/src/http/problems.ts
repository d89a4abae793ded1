import { HttpProblem } from '@cqrs-shop/http';
import { VersionMismatchError } from '../application/handlers.js';
import { IdempotencyKeyReusedError, type RefusalResponder } from '../application/execute.js';
import { type DomainError, isDomainError } from '../domain/index.js';

/**
 * The one place where refusals become HTTP problems. Invariant violations are 409, unknown
 * aggregates 404, input the domain finds invalid 400, a reused Idempotency-Key 422.
 */
export function toProblem(error: unknown): HttpProblem | undefined {
  if (isDomainError(error)) {
    switch (error.reason) {
      case 'invalid-value':
      case 'duplicate-product': {
        const field = 'field' in error.details ? error.details.field : 'items';
        return HttpProblem.generic('invalid-request', error.message, {
          extensions: { errors: [{ field, message: error.message }] },
        });
      }
      case 'not-found':
        return HttpProblem.generic('not-found', error.message, { extensions: { ...error.details } });
      case 'already-exists':
        return conflict('already-exists', 'The value is already taken', error);
      case 'mixed-currencies':
        return conflict('mixed-currencies', 'An order has one currency', error);
      case 'insufficient-stock':
        return conflict('insufficient-stock', 'Not enough stock', error);
      case 'stock-limit':
        return conflict('stock-limit', 'The stock cannot hold that many more units', error);
      case 'invalid-transition':
        return conflict('invalid-transition', 'The order cannot make this transition', error);
    }
  }
  if (error instanceof VersionMismatchError) {
    return new HttpProblem({
      code: 'version-mismatch',
      status: 409,
      title: 'The aggregate is not at the expected version',
      detail: error.message,
      extensions: { currentVersion: error.actual, expectedVersion: error.expected },
      headers: { ETag: `"${error.actual}"` },
    });
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return new HttpProblem({
      code: 'idempotency-key-reused',
      status: 422,
      title: 'The Idempotency-Key was used with a different request',
      detail: error.message,
    });
  }
  return undefined;
}

function conflict(code: string, title: string, error: DomainError): HttpProblem {
  return new HttpProblem({
    code,
    status: 409,
    title,
    detail: error.message,
    extensions: { ...error.details },
  });
}

/** Refusals as the executor stores them: status, problem body, and the code for the audit trail. */
export const refusalResponse: RefusalResponder = (error) => {
  const problem = toProblem(error);
  return (
    problem && {
      status: problem.status,
      body: problem.body(),
      problemCode: problem.code,
      headers: problem.headers,
    }
  );
};
