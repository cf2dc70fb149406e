/**
 * Test support: an ActionFormContext as the mini-app's pages build it (en-GB strings with `{name}` placeholders,
 * HTML escaping), and an axios instance whose answers a test scripts — no sockets.
 */
import axios, { type AxiosAdapter, type AxiosInstance } from 'axios';
import type { ActionFormContext, EligibleActionView } from '../../action-form';
import { FORM_STRINGS } from '../strings';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

export function formContext(
  overrides: Partial<Omit<ActionFormContext, 'eligible'>> & { eligible?: Partial<EligibleActionView> } = {},
): ActionFormContext {
  const strings = FORM_STRINGS['en-GB'] ?? {};
  const { eligible, ...rest } = overrides;
  return {
    caseId: 'case-1',
    workflowId: 'failed-payment-recovery',
    sessionRef: 'session-aaa',
    locale: 'en-GB',
    amount: { amountMinor: 123456, currency: 'GBP' },
    t: (key, vars = {}) =>
      (strings[key] ?? key).replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)),
    escape: escapeHtml,
    csrfField: '<input type="hidden" name="_csrf" value="csrf-token">',
    postPath: '/s/actions/update-card',
    publicBaseUrl: 'http://127.0.0.1:3004',
    now: new Date('2026-03-15T10:00:00Z'),
    ...rest,
    eligible: {
      actionId: 'update-card',
      action: 'card.update',
      label: 'Replace your card',
      parameterRules: [],
      ...eligible,
    },
  };
}

export interface ScriptedAnswer {
  status: number;
  body: string;
}

/** An axios instance answering each GET with `answer(url)`, recording the URLs and headers asked. */
export function scriptedHttp(answer: (url: string) => ScriptedAnswer | Error): {
  http: AxiosInstance;
  asked: { url: string; authorization: string | undefined }[];
} {
  const asked: { url: string; authorization: string | undefined }[] = [];
  const adapter: AxiosAdapter = (config) => {
    const url = config.url ?? '';
    asked.push({ url, authorization: config.headers?.get?.('Authorization') as string | undefined });
    const a = answer(url);
    if (a instanceof Error) return Promise.reject(a);
    return Promise.resolve({ data: a.body, status: a.status, statusText: '', headers: {}, config });
  };
  return { http: axios.create({ adapter, headers: { Authorization: 'Bearer test-key' } }), asked };
}
