import { openApiController, openApiDocument, problem, zodInput, type JsonSchema } from '@closeout/platform';
import { oneTimeCodeBody, optOutBody, tokenSha256Schema } from '../internal/internal-api.validation';

const html: JsonSchema = { type: 'string' };
const channel: JsonSchema = { enum: ['SMS', 'EMAIL', 'WHATSAPP'] };
const linkParam = { tokenSha256: zodInput(tokenSha256Schema) };
const notFound = problem(
  'no link has this hash, or the internal API is not served (no MESSAGING_INTERNAL_API_TOKENS)',
);

/**
 * The messaging service's HTTP API as OpenAPI 3.1: the internal API the mini-app calls (its bodies are the zod schemas
 * the controller validates with), the public unsubscribe pages and the providers' webhooks.
 */
export const messagingOpenApi = openApiDocument(
  {
    title: 'Closeout messaging',
    version: '1',
    description:
      'The internal API (bearer tokens of MESSAGING_INTERNAL_API_TOKENS; not served without them) sends one-time codes ' +
      'and records opt-outs for a link, named by the SHA-256 of its token; the unsubscribe pages and the providers’ ' +
      'signed webhooks are public.',
  },
  [
    {
      method: 'post',
      path: '/internal/v1/links/:tokenSha256/one-time-code',
      summary: 'Send a one-time code to the link’s customer, on the link’s channel',
      tags: ['internal'],
      bearer: true,
      params: linkParam,
      body: oneTimeCodeBody,
      responses: {
        '202': {
          description: 'sent',
          json: {
            type: 'object',
            required: ['channel', 'sentTo'],
            properties: {
              channel,
              sentTo: { type: 'string', description: 'the contact point, masked' },
              fallbackFrom: channel,
              fallbackReason: { type: 'string' },
            },
          },
        },
        '400': problem('the hash or the body breaks its rule (errors name the field and rule)'),
        '401': problem('no or an unknown bearer token'),
        '404': notFound,
        '409': problem('the link cannot take a code now (expired, revoked, opted out, no contact point)'),
        '429': problem('too many codes for this link'),
        '503': problem('the provider did not take the message'),
      },
    },
    {
      method: 'post',
      path: '/internal/v1/links/:tokenSha256/opt-out',
      summary: 'Record the link’s customer’s opt-out',
      tags: ['internal'],
      bearer: true,
      params: linkParam,
      body: optOutBody,
      responses: {
        '200': {
          description: 'opted out',
          json: {
            type: 'object',
            required: ['optedOut', 'alreadyOptedOut'],
            properties: { optedOut: { const: true }, alreadyOptedOut: { type: 'boolean' } },
          },
        },
        '400': problem('the hash or the body breaks its rule'),
        '401': problem('no or an unknown bearer token'),
        '404': notFound,
      },
    },
    {
      method: 'get',
      path: '/l/:token/unsubscribe',
      summary: 'The unsubscribe page of an email’s link',
      tags: ['public'],
      responses: { '200': { description: 'the page', content: { 'text/html': html } } },
    },
    {
      method: 'post',
      path: '/l/:token/unsubscribe',
      summary: 'One-click unsubscribe (RFC 8058 List-Unsubscribe-Post) or the page’s form',
      tags: ['public'],
      responses: {
        '200': { description: 'the outcome page', content: { 'text/html': html } },
        '400': problem('the form is not a one-click unsubscribe'),
      },
    },
    {
      method: 'get',
      path: '/webhooks/:channel/:provider',
      summary: 'A provider’s webhook verification handshake (WhatsApp)',
      tags: ['webhooks'],
      responses: {
        '200': { description: 'the challenge, echoed', content: { 'text/plain': { type: 'string' } } },
        '403': problem('the verification is refused'),
        '404': problem('no such channel or provider'),
      },
    },
    {
      method: 'post',
      path: '/webhooks/:channel/:provider',
      summary: 'A provider’s signed delivery receipt or inbound message',
      tags: ['webhooks'],
      responses: {
        '204': { description: 'taken' },
        '400': problem('the body cannot be read'),
        '401': problem('the signature is missing or wrong'),
        '404': problem('no such channel or provider'),
      },
    },
  ],
);

export const MessagingOpenApiController = openApiController(messagingOpenApi);
