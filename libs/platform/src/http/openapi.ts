/**
 * OpenAPI 3.1 documents for the services' HTTP APIs, served by each service at GET /openapi.json. Request bodies and
 * query strings are given as the zod schemas the controllers validate with and converted with zod's own JSON Schema
 * output (`z.toJSONSchema`, draft 2020-12, the dialect OpenAPI 3.1 uses), so a rule is never written twice. Response
 * bodies are JSON Schema. Every error is problem+json (configureHttp's ProblemDetailsFilter): one `Problem` schema.
 */
import { Controller, Get, type INestApplication, type Type } from '@nestjs/common';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';

export const OPENAPI_PATH = '/openapi.json';

export type JsonSchema = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface OpenApiResponse {
  description: string;
  /** A JSON body (JSON Schema or a zod schema, read as what the route sends). */
  json?: JsonSchema | z.ZodType;
  /** Another media type (text/html, text/plain) with its schema. */
  content?: Record<string, JsonSchema>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface OpenApiRoute {
  method: Method;
  /** Nest's form (`/v1/cases/:caseId`); written as `/v1/cases/{caseId}` in the document. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Behind the service's bearer tokens (configureHttp's protected prefixes). */
  bearer?: boolean;
  /** The zod object the route validates its query string with. */
  query?: z.ZodType;
  /** Path parameters with their rules; a `:name` without one is a plain string. */
  params?: Record<string, JsonSchema>;
  /** The zod schema the route validates its JSON body with. */
  body?: z.ZodType;
  /** Keyed by status code. Problem responses: `problem('…')`. */
  responses: Record<string, OpenApiResponse>;
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

/** A problem+json answer (RFC 9457) as configureHttp and the controllers write it. */
export const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Each refused field and the rule it broke; never the value.',
      items: {
        type: 'object',
        required: ['field', 'rule'],
        properties: { field: { type: 'string' }, rule: { type: 'string' } },
      },
    },
  },
};

/** A problem+json response for a route's `responses`. */
export function problem(description: string): OpenApiResponse {
  return { description, content: { 'application/problem+json': { $ref: '#/components/schemas/Problem' } } };
}

/** The zod schema's JSON Schema, as a request carries it (before transforms and defaults). */
export function zodInput(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  delete out['$schema'];
  return out;
}

/** The zod schema's JSON Schema, as a response carries it. */
export function zodOutput(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io: 'output',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  delete out['$schema'];
  return out;
}

const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;

function parameters(route: OpenApiRoute): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const name of route.path.match(/:([A-Za-z0-9_]+)/g)?.map((p) => p.slice(1)) ?? []) {
    out.push({ name, in: 'path', required: true, schema: route.params?.[name] ?? { type: 'string' } });
  }
  if (route.query) {
    const schema = zodInput(route.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, s] of Object.entries(schema.properties ?? {})) {
      out.push({ name, in: 'query', required: (schema.required ?? []).includes(name), schema: s });
    }
  }
  return out;
}

function response(r: OpenApiResponse): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (r.json) content['application/json'] = { schema: isZod(r.json) ? zodOutput(r.json) : r.json };
  for (const [type, schema] of Object.entries(r.content ?? {})) content[type] = { schema };
  return {
    description: r.description,
    ...(r.headers ? { headers: r.headers } : {}),
    ...(Object.keys(content).length ? { content } : {}),
  };
}

/** The platform's own routes (libs/platform HealthController) and the document itself: in every service. */
export const platformRoutes: OpenApiRoute[] = [
  {
    method: 'get',
    path: '/health/live',
    summary: 'Liveness: the process answers',
    tags: ['platform'],
    responses: { '200': { description: 'alive', json: { type: 'object' } } },
  },
  {
    method: 'get',
    path: '/health/ready',
    summary: 'Readiness: Kafka, the registry and the database answer',
    tags: ['platform'],
    responses: {
      '200': { description: 'ready', json: { type: 'object' } },
      '503': { description: 'not ready', json: { type: 'object' } },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['platform'],
    responses: { '200': { description: 'metrics', content: { 'text/plain': { type: 'string' } } } },
  },
  {
    method: 'get',
    path: OPENAPI_PATH,
    summary: 'This document',
    tags: ['platform'],
    responses: { '200': { description: 'the OpenAPI 3.1 document', json: { type: 'object' } } },
  },
];

/** The OpenAPI 3.1 document of a service: its routes and the platform's. */
export function openApiDocument(info: OpenApiInfo, routes: readonly OpenApiRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of [...routes, ...platformRoutes]) {
    const path = toOpenApiPath(route.path);
    const params = parameters(route);
    (paths[path] ??= {})[route.method] = {
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.tags ? { tags: route.tags } : {}),
      ...(route.bearer ? { security: [{ bearer: [] }] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: zodInput(route.body) } },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, r]) => [status, response(r)]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from the service’s *_API_TOKENS' },
      },
    },
  };
}

/** A controller serving the document at GET /openapi.json; one line in the service's module registers it. */
export function openApiController(document: Record<string, unknown>): Type<unknown> {
  @Controller()
  class OpenApiController {
    @Get(OPENAPI_PATH.slice(1))
    openApi(): Record<string, unknown> {
      return document;
    }
  }
  return OpenApiController;
}

/** Every route the running Nest app (express) registered, as `GET /v1/cases/{caseId}`: for the documents' tests. */
export function registeredRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as {
    router?: { stack: RouteLayer[] };
    _router?: { stack: RouteLayer[] };
  };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const out = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (on && method !== '_all') out.add(`${method.toUpperCase()} ${toOpenApiPath(layer.route.path)}`);
    }
  }
  return [...out].sort();
}

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every operation in a document, in the same form as `registeredRoutes`. */
export function documentedRoutes(document: Record<string, unknown>): string[] {
  const paths = document['paths'] as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

/** `#/components/schemas/X` references replaced by the schemas, so a response schema stands alone. */
function inlineRefs(schema: unknown, document: Record<string, unknown>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(s, document));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const components = (document['components'] as { schemas: Record<string, unknown> }).schemas;
    return inlineRefs(components[ref.slice('#/components/schemas/'.length)], document);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inlineRefs(v, document)]));
}

/**
 * Checks a real answer against the document: the operation (`GET /v1/cases/{caseId}`) must document the status and
 * the media type, and the body must match its schema (ajv, JSON Schema 2020-12). Returns the problems, [] when none.
 */
export function responseProblems(
  document: Record<string, unknown>,
  operation: string,
  status: number,
  contentType: string,
  body: unknown,
): string[] {
  const [method = '', path = ''] = operation.split(' ');
  const paths = document['paths'] as Record<string, Record<string, { responses: Record<string, unknown> }>>;
  const op = paths[path]?.[method.toLowerCase()];
  if (!op) return [`${operation} is not in the document`];
  const answer = op.responses[String(status)] as
    { content?: Record<string, { schema: unknown }> } | undefined;
  if (!answer) return [`${operation} does not document status ${status}`];
  const media = contentType.split(';')[0]!.trim();
  const schema = answer.content?.[media]?.schema;
  if (!schema) return [`${operation} ${status} does not document ${media}`];
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(inlineRefs(schema, document) as object);
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (e) => `${operation} ${status}: ${e.instancePath || '(body)'} ${e.message ?? ''}`,
  );
}
