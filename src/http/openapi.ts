import { z } from 'zod';
import {
  answerSchema,
  budgetParams,
  budgetQuery,
  budgetSchema,
  dayParams,
  eraseAnswerSchema,
  eraseBodySchema,
  errorSchema,
  eventBodySchema,
  exhaustedSchema,
  healthSchema,
  ingestedSchema,
  mauQuery,
  openApiSchema,
  pendingSchema,
} from './schemas.js';

type Schema = z.ZodType;

/** A documented answer: a JSON schema, or `text` for `text/plain`. */
export interface ResponseSpec {
  readonly description: string;
  readonly schema: Schema | 'text';
}

/** One operation of the API: what it takes and what it answers, by status. */
export interface RouteSpec {
  readonly method: 'get' | 'post';
  /** Hono's pattern (`/dau/:day`); the OpenAPI path is derived (`/dau/{day}`). */
  readonly path: string;
  readonly summary: string;
  /** Needs `X-API-Key` (`key`), the metrics token if one is set (`metrics`), or nothing. */
  readonly auth: 'key' | 'metrics' | 'none';
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: Schema;
  /** JSON answers by status; `text` for a `text/plain` answer. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

const err = (description: string): ResponseSpec => ({
  description,
  schema: errorSchema,
});
const common = {
  400: err('invalid_request: a one-line message naming the field and value'),
  401: err('unauthorized: missing or invalid X-API-Key'),
  500: err('internal or misconfigured: the server log says more'),
};
const release = {
  200: { description: 'The DP estimate', schema: answerSchema },
  ...common,
  409: { description: 'data_pending: retry after Retry-After seconds', schema: pendingSchema },
  429: { description: 'budget_exhausted: the cap that was hit', schema: exhaustedSchema },
};

/** Every route of the app. The OpenAPI document and the response checks of the tests come from here. */
export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    auth: 'none',
    responses: { 200: { description: 'Up', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus counters (no personal data); behind DP_METRICS_TOKEN if set',
    auth: 'metrics',
    responses: { 200: { description: 'Prometheus text 0.0.4', schema: 'text' }, 401: common[401] },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    auth: 'none',
    responses: { 200: { description: 'OpenAPI 3.1', schema: openApiSchema } },
  },
  {
    method: 'get',
    path: '/dau/:day',
    summary: 'Daily active users of a closed day',
    auth: 'key',
    params: dayParams,
    responses: release,
  },
  {
    method: 'get',
    path: '/mau',
    summary: 'Distinct users in the window ending on a closed day',
    auth: 'key',
    query: mauQuery,
    responses: release,
  },
  {
    method: 'get',
    path: '/budget/:metric',
    summary: "A metric's budget in a month (?day= or ?month=, default this month)",
    auth: 'key',
    params: budgetParams,
    query: budgetQuery,
    responses: { 200: { description: 'The budget', schema: budgetSchema }, ...common },
  },
  {
    method: 'post',
    path: '/event',
    summary: 'Ingest activity events (+) and erasures (-)',
    auth: 'key',
    body: eventBodySchema,
    responses: {
      202: { description: 'Accepted', schema: ingestedSchema },
      ...common,
      413: err('payload_too_large'),
    },
  },
  {
    method: 'post',
    path: '/erase',
    summary: "Request a user's erasure",
    auth: 'key',
    body: eraseBodySchema,
    responses: {
      202: { description: 'Accepted', schema: eraseAnswerSchema },
      ...common,
      413: err('payload_too_large'),
    },
  },
];

const NOT_FOUND = err('not_found: no such route');

const ref = (id: string): string => `#/components/schemas/${id}`;

/** `$ref` to the component of a named schema (every body and answer has an id in `schemas.ts`). */
function refTo(s: Schema): Record<string, unknown> {
  const id = z.globalRegistry.get(s)?.id;
  if (id === undefined) throw new Error('openapi: a body or answer schema without an id');
  return { $ref: ref(id) };
}

/** The named schemas the routes use, as OpenAPI 3.1 (JSON Schema 2020-12) components. */
function components(): Record<string, unknown> {
  const ids = new Set<string>();
  const visit = (s: Schema | 'text' | undefined): void => {
    const id = s === undefined || s === 'text' ? undefined : z.globalRegistry.get(s)?.id;
    if (id !== undefined) ids.add(id);
  };
  for (const r of ROUTES) {
    visit(r.body);
    for (const spec of Object.values(r.responses)) visit(spec.schema);
  }
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: ref,
  }) as { schemas: Record<string, Record<string, unknown>> };
  const out: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : 1))) {
    // Nested named schemas (BudgetSnapshot's MonthlyTotal) are components too.
    if (ids.has(id) || JSON.stringify(schemas).includes(`"${ref(id)}"`)) {
      out[id] = withoutKeys(schema, ['$schema', '$id']);
    }
  }
  return out;
}

function withoutKeys(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** A parameter's schema, inline (the dialect is the document's). */
const inline = (s: Schema): Record<string, unknown> =>
  withoutKeys(
    z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >,
    ['$schema'],
  );

/** The OpenAPI 3.1 document of the API, generated from the zod schemas the handlers use. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, obj] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!obj) continue;
      for (const [name, field] of Object.entries(obj.shape as Record<string, Schema>)) {
        parameters.push({
          name,
          in: where,
          required: where === 'path' || !field.safeParse(undefined).success,
          schema: inline(field),
        });
      }
    }
    const responses: Record<string, unknown> = {};
    const documented: Record<number, ResponseSpec> = { ...r.responses, 404: NOT_FOUND };
    for (const [status, { description, schema }] of Object.entries(documented)) {
      responses[status] = {
        description,
        content:
          schema === 'text'
            ? { 'text/plain': { schema: { type: 'string' } } }
            : { 'application/json': { schema: refTo(schema) } },
      };
    }
    paths[path] = {
      ...paths[path],
      [r.method]: {
        summary: r.summary,
        ...(r.auth === 'key' ? { security: [{ apiKey: [] }] } : {}),
        ...(r.auth === 'metrics' ? { security: [{}, { metricsToken: [] }] } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(r.body
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: refTo(r.body) } },
              },
            }
          : {}),
        responses,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'dp-pipeline HTTP API',
      version,
      description:
        'Differentially private DAU/MAU, budgets, events and erasure. Wire-compatible with the DAU/MAU service it replaces. Every error is {"error", "message", "hint"}.',
    },
    components: {
      schemas: components(),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'DP_METRICS_TOKEN, when set' },
      },
    },
    paths,
  };
}

/**
 * Checks an answer against the route's documented response: the zod schema behind the OpenAPI
 * document. Returns the problem in one line, or undefined when the answer conforms.
 */
export function checkResponse(
  method: string,
  routePath: string,
  status: number,
  body: unknown,
): string | undefined {
  const route = ROUTES.find((r) => r.method === method.toLowerCase() && r.path === routePath);
  const documented: Record<number, ResponseSpec> = { ...route?.responses, 404: NOT_FOUND };
  const spec = documented[status];
  if (!spec) return `${method} ${routePath}: status ${status} is not documented`;
  if (spec.schema === 'text') return typeof body === 'string' ? undefined : 'expected text';
  const r = spec.schema.safeParse(body);
  return r.success ? undefined : `${method} ${routePath} ${status}: ${z.prettifyError(r.error)}`;
}
