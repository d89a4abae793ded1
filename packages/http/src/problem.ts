import { z } from 'zod';
/**
 * HTTP errors as RFC 9457 problem details. `type` is a URN naming the problem; services add
 * their own codes next to the generic ones below.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const GENERIC_PROBLEMS = {
  'invalid-request': { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Not allowed' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'Method not allowed on this resource' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body must be application/json' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'not-ready': { status: 503, title: 'A dependency is not available' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type GenericProblemCode = keyof typeof GENERIC_PROBLEMS;

export function problemType(code: string): string {
  return `urn:cqrs-shop:problem:${code}`;
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

/** An error that the HTTP layer answers with its problem body; anything else becomes a 500. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    problem: {
      code: string;
      status: number;
      title: string;
      detail?: string;
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
    },
    options?: { cause?: unknown },
  ) {
    super(problem.detail ?? problem.title, options);
    this.name = 'HttpProblem';
    this.code = problem.code;
    this.status = problem.status;
    this.title = problem.title;
    this.extensions = problem.extensions ?? {};
    this.headers = problem.headers ?? {};
  }

  static generic(
    code: GenericProblemCode,
    detail?: string,
    extras: { extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ): HttpProblem {
    return new HttpProblem({
      code,
      ...GENERIC_PROBLEMS[code],
      ...(detail === undefined ? {} : { detail }),
      ...extras,
    });
  }

  body(instance?: string): ProblemBody {
    return {
      ...this.extensions,
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance === undefined ? {} : { instance }),
    };
  }
}

/**
 * A problem document as the APIs answer it, for their OpenAPI documents. Open to members beyond
 * these (RFC 9457 §3.2 extension members: `readModel`, `unmet`, `checks`, …), which clients
 * ignore when they do not know them.
 */
export const problemResponse = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
