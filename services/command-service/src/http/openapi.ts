import { OPENAPI_RATE_LIMIT_HEADERS } from '@cqrs-shop/rate-limit';
import { describeRule, OPENAPI_BEARER_SCHEME } from '@cqrs-shop/auth';
import { z } from 'zod';
import { COMMAND_ACCESS } from './access.js';
import { COMMAND_ROUTES } from './routes.js';
import { COMMAND_HEADER_LIMITS, emptyBody, HEADER_VALUE, IF_MATCH, problemResponse } from './schemas.js';

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });

const headerSchema = (name: keyof typeof COMMAND_HEADER_LIMITS) => ({
  type: 'string',
  minLength: 1,
  maxLength: COMMAND_HEADER_LIMITS[name],
  pattern: HEADER_VALUE.source,
});

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: jsonSchema(problemResponse) } },
});

/**
 * The command API as an OpenAPI 3.1 document, built from the same route table and zod schemas
 * that validate requests, so the document cannot drift from the behaviour.
 */
export function commandApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of COMMAND_ROUTES) {
    const openApiPath = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Retries with the same key and body get the first response and cause no second effect.',
        schema: headerSchema('Idempotency-Key'),
      },
      {
        name: 'X-Correlation-Id',
        in: 'header',
        required: false,
        description: 'Carried into every event of the command; defaults to the command id.',
        schema: headerSchema('X-Correlation-Id'),
      },
    ];
    if (route.existing) {
      parameters.unshift({
        name: 'id',
        in: 'path',
        required: true,
        schema: { type: 'string', format: 'uuid' },
      });
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: false,
        description: 'The version the aggregate must have; otherwise 409 with the current version.',
        schema: { type: 'string', pattern: IF_MATCH.source, examples: ['"3"'] },
      });
    }
    paths[openApiPath] = {
      post: {
        operationId: route.commandType,
        summary: route.summary,
        description: `For ${describeRule(COMMAND_ACCESS[route.commandType])}.`,
        security: [{ bearer: [] }],
        parameters,
        requestBody: {
          required: route.body !== emptyBody,
          content: { 'application/json': { schema: jsonSchema(route.body) } },
        },
        responses: {
          [String(route.status)]: {
            description: 'The command was applied (or replayed for a repeated Idempotency-Key).',
            content: { 'application/json': { schema: jsonSchema(route.response) } },
          },
          '400': problem('The request is not valid; `errors` lists each invalid field.'),
          '401': problem('No bearer token, or one that is malformed, expired or not trusted.'),
          '403': problem("The token's role may not send this command."),
          ...(route.mayNotFind ? { '404': problem('An aggregate the command names does not exist.') } : {}),
          '409': problem('A business rule refused the command, or If-Match did not match.'),
          '413': problem('The body is too large.'),
          '415': problem('The body is not JSON.'),
          '422': problem('The Idempotency-Key was used before with a different request.'),
          '429': {
            ...problem(
              'The caller spent its command budget (or, without a valid token, its address spent its budget); see Retry-After and RateLimit.',
            ),
            headers: OPENAPI_RATE_LIMIT_HEADERS,
          },
          '503': problem(
            'The database did not answer (`write-model-unavailable`); send it again after Retry-After, with the same Idempotency-Key.',
          ),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'cqrs-shop command API', version },
    components: {
      securitySchemes: {
        bearer: OPENAPI_BEARER_SCHEME,
      },
    },
    paths,
  };
}
