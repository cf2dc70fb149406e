/**
 * TEST DOUBLE support — shared by the simulated cores in tools/simulators. Not production code.
 *
 * The `/_sim/*` admin API every HTTP core serves: `GET /_sim/journal`, `GET /_sim/stats`, and `GET`, `POST`
 * (a rule or an array of them, appended) and `DELETE` on `/_sim/faults`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';

export interface SimAdminTarget<R> {
  journal(): readonly unknown[];
  stats(): unknown;
  faults: { list(): R[]; clear(): void; add(...rules: R[]): void };
  parseRule(candidate: unknown): R;
  /** Answers JSON (`undefined`: no body). */
  send(res: ServerResponse, status: number, body: unknown): void;
  readText(req: IncomingMessage): Promise<string>;
}

/** Answers an admin request; false when `method path` is not one (the caller answers 404 its own way). */
export async function handleSimAdmin<R>(
  target: SimAdminTarget<R>,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const { send, faults } = target;
  const method = req.method ?? 'GET';
  if (path === '/_sim/journal' && method === 'GET') {
    send(res, 200, { entries: target.journal() });
    return true;
  }
  if (path === '/_sim/stats' && method === 'GET') {
    send(res, 200, target.stats());
    return true;
  }
  if (path !== '/_sim/faults') return false;
  if (method === 'GET') {
    send(res, 200, { rules: faults.list() });
    return true;
  }
  if (method === 'DELETE') {
    faults.clear();
    send(res, 204, undefined);
    return true;
  }
  if (method !== 'POST') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await target.readText(req));
  } catch {
    send(res, 400, { error: 'invalid_json', message: 'body must be a fault rule or an array of them' });
    return true;
  }
  try {
    const rules = (Array.isArray(parsed) ? parsed : [parsed]).map((r) => target.parseRule(r));
    faults.add(...rules);
    send(res, 201, { rules: faults.list() });
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    send(res, 400, {
      error: 'invalid_fault',
      errors: error.issues.map((i) => ({ field: i.path.join('.') || '(body)', rule: i.message })),
    });
  }
  return true;
}
