import { openApiController, openApiDocument, problem, zodInput, type JsonSchema } from '@closeout/platform';
import { RESOLUTIONS } from '../exceptions/resolve-exception.use-case';
import { id, listQuery, resolveBody } from './cases.controller';

const idParam = zodInput(id);
const record: JsonSchema = { type: 'object' };
const resolutions: JsonSchema = { type: 'array', items: { enum: [...RESOLUTIONS] } };

const exception: JsonSchema = {
  type: 'object',
  required: ['exceptionId', 'kind', 'status', 'allowedResolutions'],
  properties: {
    exceptionId: { type: 'string' },
    caseId: { type: 'string' },
    kind: { type: 'string' },
    status: { enum: ['OPEN', 'RESOLVED'] },
    allowedResolutions: {
      ...resolutions,
      description: 'What an agent may do with it now; [] once resolved.',
    },
  },
};

const caseView: JsonSchema = {
  type: 'object',
  required: ['caseId', 'workflowId', 'state', 'writebacks', 'timeline', 'timers', 'exceptions'],
  properties: {
    caseId: { type: 'string' },
    workflowId: { type: 'string' },
    definitionVersion: { type: 'string' },
    state: { type: 'string' },
    correlationId: { type: 'string' },
    openedAt: { type: 'string' },
    updatedAt: { type: 'string' },
    completedAt: { type: ['string', 'null'] },
    writebacks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['writebackId', 'destination', 'idempotencyKey', 'status'],
        properties: {
          writebackId: { type: 'string' },
          destination: { type: 'string' },
          idempotencyKey: { type: 'string' },
          status: { type: 'string' },
          attempts: { type: 'integer' },
          providerRef: { type: ['string', 'null'] },
        },
      },
    },
    timeline: {
      type: 'array',
      items: { type: 'object', required: ['kind'], properties: { kind: { type: 'string' }, detail: record } },
    },
    timers: { type: 'array', items: record },
    exceptions: { type: 'array', items: exception },
  },
};

const eligibleActions: JsonSchema = {
  type: 'object',
  required: [
    'caseId',
    'workflowId',
    'definitionVersion',
    'state',
    'awaitingCustomer',
    'identity',
    'amount',
    'actions',
  ],
  properties: {
    caseId: { type: 'string' },
    workflowId: { type: 'string' },
    definitionVersion: { type: 'string' },
    state: { type: 'string' },
    awaitingCustomer: { type: 'boolean' },
    identity: { type: 'object', required: ['method'], properties: { method: { type: 'string' } } },
    amount: {
      oneOf: [
        {
          type: 'object',
          required: ['amountMinor', 'currency'],
          properties: { amountMinor: { type: 'integer' }, currency: { type: 'string' } },
        },
        { type: 'null' },
      ],
    },
    actions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['actionId', 'action', 'label', 'identity', 'parameterRules'],
        properties: {
          actionId: { type: 'string' },
          action: { type: 'string' },
          label: { type: 'string' },
          identity: { type: 'string' },
          parameterRules: { type: 'array', items: record },
        },
      },
    },
  },
};

const unauthorized = problem('no or an unknown bearer token');
const noCase = problem('no case has this id');

/** The orchestrator's case and exception API as OpenAPI 3.1; ids, filters and the resolution are the controller's zod. */
export const orchestratorOpenApi = openApiDocument(
  {
    title: 'Closeout orchestrator',
    version: '1',
    description:
      'Cases with their timelines and writebacks, what the mini-app may offer, and the exception queue agents work. ' +
      'Bearer tokens of ORCHESTRATOR_API_TOKENS name the agent.',
  },
  [
    {
      method: 'get',
      path: '/v1/cases/:caseId',
      summary: 'A case: state, timeline, writebacks, timers and exceptions',
      tags: ['cases'],
      bearer: true,
      params: { caseId: idParam },
      responses: {
        '200': { description: 'the case', json: caseView },
        '400': problem('the case id breaks its rule'),
        '401': unauthorized,
        '404': noCase,
      },
    },
    {
      method: 'get',
      path: '/v1/cases/:caseId/eligible-actions',
      summary: 'What the mini-app may offer the customer now',
      tags: ['cases'],
      bearer: true,
      params: { caseId: idParam },
      responses: {
        '200': { description: 'the actions', json: eligibleActions },
        '400': problem('the case id breaks its rule'),
        '401': unauthorized,
        '404': noCase,
      },
    },
    {
      method: 'get',
      path: '/v1/exceptions',
      summary: 'The exception queue, most urgent first',
      tags: ['exceptions'],
      bearer: true,
      query: listQuery,
      responses: {
        '200': {
          description: 'the exceptions',
          json: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: exception } },
          },
        },
        '400': problem('a filter breaks its rule (errors name the field and rule)'),
        '401': unauthorized,
      },
    },
    {
      method: 'post',
      path: '/v1/exceptions/:exceptionId/resolve',
      summary: 'Resolve an exception (retry, close, hand back …), audited with the agent’s identity',
      description:
        'The agent is the one the bearer token names, or the X-On-Behalf-Of header when the token’s principal is ' +
        'one of ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS.',
      tags: ['exceptions'],
      bearer: true,
      params: { exceptionId: idParam },
      body: resolveBody,
      responses: {
        '200': {
          description: 'resolved: the case’s state now',
          json: {
            type: 'object',
            required: ['caseId', 'state'],
            properties: { caseId: { type: 'string' }, state: { type: 'string' } },
          },
        },
        '400': problem('the id, the body or X-On-Behalf-Of breaks its rule'),
        '401': unauthorized,
        '403': problem('the body names another agent, or this caller may not act on behalf of one'),
        '404': problem('no exception has this id'),
        '409': problem('the exception is resolved already, or the resolution is not allowed for its kind'),
      },
    },
  ],
);

export const OrchestratorOpenApiController = openApiController(orchestratorOpenApi);
