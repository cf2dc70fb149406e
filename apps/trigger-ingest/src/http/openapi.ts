import { openApiController, openApiDocument, problem, type JsonSchema } from '@closeout/platform';
import { upstreamEnvelopeSchema } from '../ingest/upstream-envelope';

const outcome: JsonSchema = {
  type: 'object',
  required: ['caseId', 'duplicate'],
  additionalProperties: false,
  properties: {
    caseId: { type: 'string', description: 'The case the event opened (or opened before, when duplicate).' },
    duplicate: { type: 'boolean' },
    masked: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Free-text fields whose card numbers or contact points were masked before anything stored them.',
    },
  },
};

/**
 * trigger-ingest's HTTP API as OpenAPI 3.1. The body is the envelope every upstream event shares, from the zod schema
 * the use case validates with (`upstreamEnvelopeSchema`); `amount` and `amountDue` are checked by the mapping of the
 * event's type and version, so the document leaves them open.
 */
export const triggerIngestOpenApi = openApiDocument(
  {
    title: 'Closeout trigger-ingest',
    version: '1',
    description:
      'Upstream events in, canonical case.triggered.v1 out, deduplicated by source system and event id. Bearer tokens ' +
      'name the source systems their caller may publish for (INGEST_API_TOKENS).',
  },
  [
    {
      method: 'post',
      path: '/v1/triggers',
      summary: 'Accept an upstream event',
      description:
        'Committed with its dedupe row, outbox messages and audit event; published once committed.',
      tags: ['triggers'],
      bearer: true,
      body: upstreamEnvelopeSchema,
      responses: {
        '200': { description: 'a duplicate of an event already accepted: its case', json: outcome },
        '202': { description: 'accepted: a new case', json: outcome },
        '400': problem('the event breaks a field rule (errors name each field and rule, never the value)'),
        '401': problem('no or an unknown bearer token'),
        '403': problem('this token may not publish events for this source system'),
        '409': problem('the event id was already used for a different event'),
        '413': problem('the body is larger than the limit'),
        '415': problem('the body is not application/json'),
        '422': problem('no workflow handles this event type and version'),
      },
    },
  ],
);

export const TriggerIngestOpenApiController = openApiController(triggerIngestOpenApi);
