import { OPENAPI_RATE_LIMIT_HEADERS } from '@cqrs-shop/rate-limit';
import { describeRule, OPENAPI_BEARER_SCHEME } from '@cqrs-shop/auth';
import { z } from 'zod';
import { CONSISTENCY_HEADER } from '../consistency.js';
import { FRESHNESS_HEADERS } from './handler.js';
import { QUERY_ACCESS } from './access.js';
import { QUERY_ROUTES } from './routes.js';
import { modelVersionQuery, problemResponse, projectionsResponse } from './schemas.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: jsonSchema(problemResponse, 'output') } },
});

/** Query parameters from a zod object schema, one per property. */
function queryParameters(schema: z.ZodType): unknown[] {
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

const freshnessHeaders = {
  [FRESHNESS_HEADERS.readModel]: {
    description: 'The read model that answered: order-history, search or analytics',
    schema: { type: 'string' },
  },
  [FRESHNESS_HEADERS.lagEvents]: {
    description:
      "Events its projection had not applied yet, at the gateway's last check (`unknown` if not reachable)",
    schema: { type: 'string' },
  },
  [FRESHNESS_HEADERS.lagSeconds]: {
    description: 'How many seconds its projection was behind the newest event, at that check',
    schema: { type: 'string' },
  },
  [FRESHNESS_HEADERS.modelVersion]: {
    description:
      'The version of the read model that answered (the live one unless `modelVersion` names another)',
    schema: { type: 'string' },
  },
};

/**
 * The query API as an OpenAPI 3.1 document, built from the route table and the zod schemas
 * that validate requests, so the document cannot drift from the behaviour.
 */
export function queryApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of QUERY_ROUTES) {
    const openApiPath = route.path.replace(/:(\w+)/g, '{$1}');
    const pathParameters = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string', format: 'uuid' },
    }));
    paths[openApiPath] = {
      get: {
        operationId: route.operationId,
        summary: route.summary,
        description: `For ${describeRule(QUERY_ACCESS[route.operationId])}.`,
        tags: [route.readModel],
        security: [{ bearer: [] }],
        parameters: [
          ...pathParameters,
          ...queryParameters(route.query),
          ...queryParameters(modelVersionQuery),
          {
            name: CONSISTENCY_HEADER,
            in: 'header',
            required: false,
            description:
              'Consistency tokens from command responses, separated by commas: the answer waits until the read model version it reads has applied those changes',
            schema: { type: 'string' },
          },
          {
            name: 'Prefer',
            in: 'header',
            required: false,
            description:
              '`wait=<seconds>`: how long to wait for the consistency tokens (capped by the server)',
            schema: { type: 'string', examples: ['wait=5'] },
          },
          ...(route.conditional
            ? [
                {
                  name: 'If-None-Match',
                  in: 'header',
                  required: false,
                  description: 'The ETag of an answer held: 304 while it is still the answer',
                  schema: { type: 'string' },
                },
              ]
            : []),
        ],
        responses: {
          '200': {
            description: 'The answer',
            headers: route.conditional
              ? {
                  ...freshnessHeaders,
                  ETag: {
                    description:
                      'Changes whenever the answer does (read-model version, order version and join)',
                    schema: { type: 'string' },
                  },
                }
              : freshnessHeaders,
            content: { 'application/json': { schema: jsonSchema(route.response, 'output') } },
          },
          ...(route.conditional
            ? {
                '304': {
                  description: 'The answer named by If-None-Match is still the answer',
                  headers: freshnessHeaders,
                },
              }
            : {}),
          '400': problem('Invalid parameters, cursor or consistency token'),
          '401': problem('No bearer token, or one that is malformed, expired or not trusted'),
          '403': problem("The token's role may not read this"),
          '404': problem(
            route.mayNotFind
              ? 'No such resource, or no such read-model version (`read-model-version-not-found`)'
              : 'No such read-model version (`read-model-version-not-found`)',
          ),
          '429': {
            ...problem(
              'The caller spent its query budget (without a valid token: its address), or has too many reads waiting on consistency tokens; see Retry-After',
            ),
            headers: OPENAPI_RATE_LIMIT_HEADERS,
          },
          '503': problem(
            `The read model has not applied the changes of the consistency tokens in time (\`not-yet-consistent\`), its store is not answering (\`store-unavailable\`), or it has too many reads waiting (\`store-busy\`); see Retry-After`,
          ),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'cqrs-shop query API',
      version,
      description:
        'Every read of the shop, served from the read models kept by the projectors. Answers may lag the write side by the projection lag the freshness headers report; send consistency tokens to read your own writes.',
    },
    components: { securitySchemes: { bearer: OPENAPI_BEARER_SCHEME } },
    paths,
  };
}

/** The admin listener's document: what operators and their tools read. */
export function adminApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'cqrs-shop query gateway, admin listener',
      version,
      description:
        'Served on the admin port only (GATEWAY_ADMIN_PORT), which no Ingress routes. `/metrics` (Prometheus text) is open to whoever reaches the port; the rest needs a token with the ops role.',
    },
    components: { securitySchemes: { bearer: OPENAPI_BEARER_SCHEME } },
    security: [{ bearer: [] }],
    paths: {
      '/projections': {
        get: {
          operationId: 'listProjections',
          summary:
            "Each projection's lag, newest event, dead letters, parked aggregates, health, and versions with rebuild progress; and the outbox backlog, which is behind them all",
          tags: ['operations'],
          responses: {
            '200': {
              description: 'Every projection',
              content: { 'application/json': { schema: jsonSchema(projectionsResponse, 'output') } },
            },
            '401': problem('No bearer token, or one that is malformed, expired or not trusted'),
            '403': problem('The token has no ops role'),
          },
        },
      },
    },
  };
}
