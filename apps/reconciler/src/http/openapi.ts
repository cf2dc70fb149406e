import { z } from 'zod';
import { openApiController, openApiDocument, problem, type JsonSchema } from '@closeout/platform';
import { BREAK_KINDS } from '@closeout/reconciler-domain';
import { DESTINATION } from './reconciler.controller';

/** The filters the controller checks, from the same constants (break kinds, the destination rule). */
const status = z.enum(['open', 'resolved', 'all']).optional();
const breaksQuery = z.object({
  status,
  kind: z.enum(BREAK_KINDS).optional(),
  destination: z.string().regex(DESTINATION).optional(),
});

const rows = (item: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['data'],
  properties: { data: { type: 'array', items: item } },
});

const breakRow: JsonSchema = {
  type: 'object',
  required: ['destination', 'kind', 'status', 'detectedAt', 'command', 'commandId'],
  properties: {
    destination: { type: 'string' },
    kind: { enum: [...BREAK_KINDS] },
    status: { enum: ['OPEN', 'RESOLVED'] },
    idempotencyKey: { type: ['string', 'null'] },
    caseId: { type: ['string', 'null'] },
    workflowId: { type: ['string', 'null'] },
    detectedAt: { type: 'string', format: 'date-time' },
    resolvedAt: { type: ['string', 'null'] },
    command: { enum: ['RESOLVE', 'REPLAY', 'FLAG'] },
    commandId: { type: 'string' },
    context: { type: 'object' },
  },
};

const alertRow: JsonSchema = {
  type: 'object',
  required: ['id', 'key', 'kind', 'status', 'raisedAt'],
  properties: {
    id: { type: 'string' },
    key: { type: 'string' },
    kind: { type: 'string' },
    status: { enum: ['OPEN', 'RESOLVED'] },
    raisedAt: { type: 'string', format: 'date-time' },
    resolvedAt: { type: ['string', 'null'] },
    context: { type: 'object' },
  },
};

const array: JsonSchema = { type: 'array', items: { type: 'object' } };
const sloReport: JsonSchema = {
  type: 'object',
  required: ['computedAt', 'windows', 'backlog', 'openBreaks', 'toReverse'],
  properties: {
    computedAt: { type: 'string', format: 'date-time' },
    windows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['window', 'writebacks', 'workflows'],
        properties: { window: { type: 'string' }, writebacks: array, workflows: array },
      },
    },
    backlog: array,
    openBreaks: array,
    toReverse: array,
  },
};

const passSummary: JsonSchema = {
  type: 'object',
  required: ['ran', 'opened', 'resolved', 'commandsSent', 'alertsRaised', 'alertsCleared', 'extractFailures'],
  properties: {
    ran: { type: 'boolean' },
    skippedReason: { type: 'string' },
    opened: { type: 'integer' },
    resolved: { type: 'integer' },
    commandsSent: { type: 'integer' },
    alertsRaised: { type: 'integer' },
    alertsCleared: { type: 'integer' },
    extractFailures: array,
  },
};

const unauthorized = problem('no or an unknown bearer token');

/** The reconciler's operator API as OpenAPI 3.1. */
export const reconcilerOpenApi = openApiDocument(
  {
    title: 'Closeout reconciler',
    version: '1',
    description:
      'SLO figures, reconciliation breaks and alerts, and a pass on demand; bearer tokens of RECONCILER_API_TOKENS.',
  },
  [
    {
      method: 'get',
      path: '/v1/slo',
      summary: 'SLO figures per window, workflow and destination; backlog and open breaks',
      tags: ['slo'],
      bearer: true,
      responses: { '200': { description: 'the figures', json: sloReport }, '401': unauthorized },
    },
    {
      method: 'get',
      path: '/v1/breaks',
      summary: 'Reconciliation breaks',
      tags: ['breaks'],
      bearer: true,
      query: breaksQuery,
      responses: {
        '200': { description: 'the breaks', json: rows(breakRow) },
        '400': problem('a filter breaks its rule (the detail names the field and rule)'),
        '401': unauthorized,
      },
    },
    {
      method: 'get',
      path: '/v1/alerts',
      summary: 'The reconciler’s alerts',
      tags: ['alerts'],
      bearer: true,
      query: z.object({ status }),
      responses: {
        '200': { description: 'the alerts', json: rows(alertRow) },
        '400': problem('status is not open, resolved or all'),
        '401': unauthorized,
      },
    },
    {
      method: 'post',
      path: '/v1/reconcile',
      summary: 'Run a reconciliation pass now',
      tags: ['breaks'],
      bearer: true,
      responses: { '200': { description: 'what the pass did', json: passSummary }, '401': unauthorized },
    },
  ],
);

export const ReconcilerOpenApiController = openApiController(reconcilerOpenApi);
