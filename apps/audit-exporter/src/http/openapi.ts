import { openApiController, openApiDocument, problem, type JsonSchema } from '@closeout/platform';
import { TRAIL_LIMITS, trailQuery } from './audit.controller';

const trailPage: JsonSchema = {
  type: 'object',
  required: ['caseId', 'records', 'next'],
  properties: {
    caseId: { type: 'string' },
    records: {
      type: 'array',
      maxItems: TRAIL_LIMITS.maxLimit,
      items: {
        type: 'object',
        required: ['seq', 'storedAt', 'hash', 'event'],
        properties: {
          seq: { type: 'integer', minimum: 1 },
          storedAt: { type: 'string', format: 'date-time' },
          hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          event: {
            type: 'object',
            description: 'The audit.event.v1 value as stored (schemas/audit.event.v1-value.avsc).',
          },
        },
      },
    },
    next: { type: ['integer', 'null'], description: 'The `after` of the next page; null on the last one.' },
  },
};

const verifyReport: JsonSchema = {
  type: 'object',
  required: [
    'ok',
    'records',
    'lastRecordSeq',
    'checkpoints',
    'lastCheckpointSeq',
    'unsealedRecords',
    'signaturesChecked',
  ],
  properties: {
    ok: { type: 'boolean' },
    records: { type: 'integer', minimum: 0 },
    lastRecordSeq: { type: 'integer', minimum: 0 },
    checkpoints: { type: 'integer', minimum: 0 },
    lastCheckpointSeq: { type: 'integer', minimum: 0 },
    unsealedRecords: { type: 'integer', minimum: 0 },
    signaturesChecked: { type: 'boolean' },
    broken: {
      type: 'object',
      description: 'Where the chain or a checkpoint first fails (present when ok is false).',
    },
  },
};

/** The audit-exporter's HTTP API as OpenAPI 3.1; the query rules are the controller's own zod schema. */
export const auditOpenApi = openApiDocument(
  {
    title: 'Closeout audit-exporter',
    version: '1',
    description: 'A case’s audit trail from the hash-chained store, and the verification of the whole store.',
  },
  [
    {
      method: 'get',
      path: '/v1/audit',
      summary: 'A case’s audit records in store order, a page at a time',
      tags: ['audit'],
      bearer: true,
      query: trailQuery,
      responses: {
        '200': { description: 'a page of the trail', json: trailPage },
        '400': problem('a query parameter breaks its rule (errors name the field and the rule)'),
        '401': problem('no or an unknown bearer token'),
      },
    },
    {
      method: 'get',
      path: '/v1/audit/verify',
      summary: 'Walks the whole store: hash chain and signed checkpoints',
      tags: ['audit'],
      bearer: true,
      responses: {
        '200': { description: 'the store is intact', json: verifyReport },
        '401': problem('no or an unknown bearer token'),
        '409': { description: 'the store is broken: where', json: verifyReport },
        '429': problem('a verification is already running (Retry-After)'),
      },
    },
  ],
);

export const AuditOpenApiController = openApiController(auditOpenApi);
