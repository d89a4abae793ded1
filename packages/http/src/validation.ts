import type { z } from 'zod';
import { HttpProblem } from './problem.js';

/** One invalid field: `items[0].quantity`, `(body)` for the body as a whole. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

function fieldName(path: readonly PropertyKey[], root: string): string {
  let name = '';
  for (const key of path)
    name += typeof key === 'number' ? `[${key}]` : name === '' ? String(key) : `.${String(key)}`;
  return name === '' ? root : name;
}

/** Flattens zod issues into one entry per field; unknown fields are named one by one. */
export function fieldErrors(error: z.ZodError, root = '(body)'): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: fieldName([...issue.path, key], root),
          message: 'is not a known field',
        }))
      : [{ field: fieldName(issue.path, root), message: issue.message }],
  );
}

/**
 * Parses untrusted input with a schema, or throws a 400 problem listing every invalid field.
 * `where` names the input in the problem's detail (request body, query, path).
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where = 'request body',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, where === 'request body' ? '(body)' : `(${where})`);
  throw HttpProblem.generic('invalid-request', `The ${where} is not valid`, { extensions: { errors } });
}
