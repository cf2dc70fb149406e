import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { z } from '@closeout/config';
import { createLogger } from '@closeout/telemetry';
import { LoginLimits } from '../auth/login-limits';
import { OPERATOR_ID, type Operator } from '../auth/operators';
import { DUMMY_HASH, verifyPassword } from '../auth/passwords';
import { SESSION_COOKIE, SessionStore, csrfMatches, type Session } from '../auth/sessions';
import { Sources } from '../clients/sources';
import { sloPage } from '../clients/slo';
import {
  CONTENT_SECURITY_POLICY,
  PageRenderer,
  type PageName,
  type ShownError,
} from '../pages/page-renderer';
import {
  RESOLUTION_LABELS,
  alertmanagerAlertRows,
  auditView,
  breakRows,
  caseView,
  exceptionView,
  reconcilerAlertRows,
  shown,
  type AlertmanagerAlert,
  type CaseRecord,
  type ExceptionItem,
  type TrailRecord,
} from '../pages/views';
import { clientIp, cookie, fromOwnOrigin, readForm } from './request';

export const CONSOLE_OPERATORS = Symbol('ops-console.operators');
export const CONSOLE_SESSION_SECONDS = Symbol('ops-console.session-seconds');

/** The pre-sign-in cookie whose value the sign-in form echoes (double submit): no sign-in CSRF. */
const LOGIN_COOKIE = '__Host-closeout_console_login';
const ID_RULE = 'must be 1–128 characters of letters, digits and . _ : -';
const id = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, ID_RULE);

const queueFilter = z
  .object({
    status: z.enum(['OPEN', 'RESOLVED'], { message: 'must be OPEN or RESOLVED' }).default('OPEN'),
    kind: z.union([z.literal(''), id]).optional(),
    workflowId: z.union([z.literal(''), id]).optional(),
    queue: z.union([z.literal(''), id]).optional(),
  })
  .strict();

const resolveForm = z
  .object({
    _csrf: z.string(),
    caseId: id,
    resolution: z.enum(['retry', 'close', 'hand_back'], { message: 'must be retry, close or hand_back' }),
    note: z
      .string({ message: 'must say why, for the audit trail' })
      .trim()
      .min(1, 'must say why, for the audit trail')
      .max(2000, 'must be at most 2000 characters')
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must not contain control characters'),
  })
  .strict();

const caseQuery = z
  .object({
    resolved: z
      .enum(['retry', 'close', 'hand_back'], { message: 'must be retry, close or hand_back' })
      .optional(),
  })
  .strict();

const zodErrors = (e: z.ZodError): ShownError[] =>
  e.issues.map((i) => ({
    field: i.path.join('.') || '(query)',
    rule:
      i.code === 'unrecognized_keys'
        ? `unknown ${i.keys.length > 1 ? 'fields' : 'field'}: not accepted`
        : i.message,
  }));

/**
 * The console's pages. Every page but the sign-in page needs a session; every POST must come from our own pages and
 * carry the session's CSRF token; agent actions need the agent role and go to the orchestrator's API with the
 * operator named in X-On-Behalf-Of, so the orchestrator audits the human agent.
 */
@Controller()
export class ConsoleController {
  private readonly log = createLogger('ops-console');
  private readonly operators: Map<string, Operator>;

  constructor(
    private readonly pages: PageRenderer,
    private readonly sessions: SessionStore,
    private readonly limits: LoginLimits,
    private readonly sources: Sources,
    @Inject(CONSOLE_OPERATORS) operators: readonly Operator[],
    @Inject(CONSOLE_SESSION_SECONDS) private readonly sessionSeconds: number,
  ) {
    this.operators = new Map(operators.map((o) => [o.id, o]));
  }

  @Get()
  home(@Res() res: Response): void {
    res.redirect(303, '/exceptions');
  }

  @Get('login')
  async loginPage(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (this.sessions.get(cookie(req, SESSION_COOKIE))) return void res.redirect(303, '/exceptions');
    await this.showLogin(res, 200, '', []);
  }

  @Post('login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!fromOwnOrigin(req))
      return this.message(res, 403, 'Not allowed', 'The form must be sent from this console.');
    const wait = await this.limits.attempt(clientIp(req));
    if (wait !== undefined) return this.tooMany(res, wait);
    const form = await readForm(req, res);
    if (!form.ok) return this.message(res, form.status, 'The form could not be read', form.rule);
    const { operator = '', password = '', _csrf } = form.fields;
    const expected = cookie(req, LOGIN_COOKIE);
    if (!expected || _csrf !== expected)
      return this.showLogin(res, 403, '', [
        { field: '_csrf', rule: 'the sign-in form expired: sign in again' },
      ]);
    if (!OPERATOR_ID.test(operator) || password.length === 0 || password.length > 256)
      return this.showLogin(res, 400, OPERATOR_ID.test(operator) ? operator : '', [
        !OPERATOR_ID.test(operator)
          ? {
              field: 'operator',
              rule: 'must be 1–64 characters of letters, digits and . _ @ -',
              anchor: 'operator',
            }
          : { field: 'password', rule: 'must be 1–256 characters', anchor: 'password' },
      ]);
    const blocked = await this.limits.blocked(operator);
    if (blocked !== undefined) return this.tooMany(res, blocked);
    const found = this.operators.get(operator);
    // The same work whether or not the operator exists: no way to tell ids apart by timing.
    const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH);
    if (!found || !ok) {
      await this.limits.failed(operator);
      this.log.info({ event: 'console.sign_in_failed' }, 'a sign-in failed');
      return this.showLogin(res, 401, operator, [
        { field: 'operator', rule: 'the operator id or the password is not right', anchor: 'operator' },
      ]);
    }
    await this.limits.succeeded(operator);
    const { id: sessionId } = this.sessions.create(found.id, found.role);
    this.log.info(
      { event: 'console.signed_in', operator: found.id, role: found.role },
      'an operator signed in',
    );
    res.clearCookie(LOGIN_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
    res.cookie(SESSION_COOKIE, sessionId, {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'strict',
      maxAge: this.sessionSeconds * 1000,
    });
    res.redirect(303, '/exceptions');
  }

  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = await this.postSession(req, res);
    if (!session) return;
    this.sessions.end(cookie(req, SESSION_COOKIE));
    res.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
    res.redirect(303, '/login');
  }

  @Get('exceptions')
  async exceptions(@Req() req: Request, @Query() query: unknown, @Res() res: Response): Promise<void> {
    const session = this.session(req, res);
    if (!session) return;
    const parsed = queueFilter.safeParse(query);
    if (!parsed.success)
      return this.message(res, 400, 'Invalid filter', '', zodErrors(parsed.error), session);
    const f = parsed.data;
    const params = new URLSearchParams({ status: f.status, limit: '200' });
    if (f.kind) params.set('kind', f.kind);
    if (f.workflowId) params.set('workflowId', f.workflowId);
    if (f.queue) params.set('queue', f.queue);
    const listed = await this.sources.orchestrator.get<{ items: ExceptionItem[] }>(
      `/v1/exceptions?${params}`,
    );
    await this.page(res, 200, 'exceptions', 'Exception queue', session, {
      nav: 'exceptions',
      data: {
        source: listed.ok ? undefined : `The queue could not be read: ${listed.reason}.`,
        items: listed.ok ? listed.body.items.map(exceptionView) : [],
        filters: {
          statuses: ['OPEN', 'RESOLVED'].map((s) => ({
            value: s,
            label: s === 'OPEN' ? 'Open' : 'Resolved',
            selected: s === f.status,
          })),
          kind: f.kind ?? '',
          workflowId: f.workflowId ?? '',
          queue: f.queue ?? '',
        },
      },
    });
  }

  @Post('exceptions/:exceptionId/resolve')
  async resolve(
    @Param('exceptionId') exceptionId: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const session = await this.postSession(req, res);
    if (!session) return;
    if (session.role !== 'agent')
      return this.message(
        res,
        403,
        'Not allowed',
        'Only an agent may resolve exceptions; your role is viewer.',
        [],
        session,
      );
    if (!id.safeParse(exceptionId).success)
      return this.message(
        res,
        400,
        'Invalid exception',
        '',
        [{ field: 'exceptionId', rule: ID_RULE }],
        session,
      );
    const form = (req as Request & { consoleForm?: Record<string, string> }).consoleForm ?? {};
    const parsed = resolveForm.safeParse(form);
    if (!parsed.success)
      return this.message(
        res,
        400,
        'The resolution was not sent',
        '',
        zodErrors(parsed.error),
        session,
        `/cases/${encodeURIComponent(form['caseId'] ?? '')}`,
      );
    const { caseId, resolution, note } = parsed.data;
    const answer = await this.sources.orchestrator.post<{ caseId: string; state: string }>(
      `/v1/exceptions/${encodeURIComponent(exceptionId)}/resolve`,
      { resolution, note },
      { 'x-on-behalf-of': session.operatorId },
    );
    if (!answer.ok) {
      const problem = (answer.body ?? {}) as {
        title?: string;
        errors?: { field: string; rule: string }[];
        detail?: string;
      };
      const status =
        answer.status !== undefined && answer.status >= 400 && answer.status < 500 ? answer.status : 502;
      return this.message(
        res,
        status,
        'The exception was not resolved',
        status === 502
          ? `${answer.reason}; nothing was changed by the console.`
          : shown(problem.title ?? answer.reason),
        (problem.errors ?? []).map((e) => ({ field: shown(e.field), rule: shown(e.rule) })),
        session,
        `/cases/${encodeURIComponent(caseId)}`,
      );
    }
    this.log.info(
      { event: 'console.exception_resolved', operator: session.operatorId, resolution, caseId },
      'an agent resolved an exception',
    );
    res.redirect(303, `/cases/${encodeURIComponent(answer.body.caseId)}?resolved=${resolution}`);
  }

  @Get('cases/:caseId')
  async casePage(
    @Param('caseId') caseId: string,
    @Query() query: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const session = this.session(req, res);
    if (!session) return;
    if (!id.safeParse(caseId).success)
      return this.message(res, 400, 'Invalid case id', '', [{ field: 'caseId', rule: ID_RULE }], session);
    const q = caseQuery.safeParse(query);
    if (!q.success) return this.message(res, 400, 'Invalid case page query', '', zodErrors(q.error), session);
    const [found, trail] = await Promise.all([
      this.sources.orchestrator.get<CaseRecord>(`/v1/cases/${encodeURIComponent(caseId)}`),
      this.sources.audit.get<{ records: TrailRecord[]; next: number | null }>(
        `/v1/audit?caseId=${encodeURIComponent(caseId)}&limit=500`,
      ),
    ]);
    if (!found.ok && found.status === 404)
      return this.message(
        res,
        404,
        'No such case',
        '',
        [{ field: 'caseId', rule: 'no case has this id' }],
        session,
        '/exceptions',
      );
    if (!found.ok)
      return this.message(
        res,
        502,
        'The case could not be read',
        `${found.reason}.`,
        [],
        session,
        '/exceptions',
      );
    const c = found.body;
    await this.page(res, 200, 'case', `Case ${caseId}`, session, {
      nav: 'exceptions',
      data: {
        c: caseView(c),
        exceptions: (c.exceptions ?? []).map((e) => exceptionView({ ...e, caseId: c.caseId })),
        traceUrl: this.sources.traceUrl(c.caseId),
        resolved: q.data.resolved
          ? `${RESOLUTION_LABELS[q.data.resolved]}: done, in your name (${session.operatorId}). The case is now ${c.state}.`
          : undefined,
        audit: trail.ok
          ? { records: auditView(trail.body.records), more: trail.body.next !== null }
          : { unavailable: `The audit story could not be read: ${trail.reason}.` },
      },
    });
  }

  @Get('slo')
  async slo(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = this.session(req, res);
    if (!session) return;
    const data = await sloPage(this.sources);
    await this.page(res, 200, 'slo', 'Service level objectives', session, {
      nav: 'slo',
      charts: data.charts.length > 0,
      data: data as unknown as Record<string, unknown>,
    });
  }

  @Get('breaks')
  async breaks(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = this.session(req, res);
    if (!session) return;
    const [breaks, alerts] = await Promise.all([
      this.sources.reconciler.get<{ data: Record<string, unknown>[] }>('/v1/breaks?status=open'),
      this.sources.alertmanager.configured
        ? this.sources.alertmanager.get<Record<string, unknown>[]>(
            '/api/v2/alerts?active=true&silenced=false&inhibited=false',
          )
        : this.sources.reconciler.get<{ data: Record<string, unknown>[] }>('/v1/alerts?status=open'),
    ]);
    const fromAlertmanager = this.sources.alertmanager.configured;
    const alertRows = !alerts.ok
      ? []
      : fromAlertmanager
        ? alertmanagerAlertRows(alerts.body as AlertmanagerAlert[])
        : reconcilerAlertRows((alerts.body as { data: Record<string, unknown>[] }).data);
    await this.page(res, 200, 'breaks', 'Breaks and alerts', session, {
      nav: 'breaks',
      data: {
        alertSource: fromAlertmanager
          ? 'Alertmanager (the Prometheus alert rules)'
          : 'the reconciler’s own alerts (ALERTMANAGER_URL is not set)',
        alertNote: alerts.ok ? undefined : `The alerts could not be read: ${alerts.reason}.`,
        alerts: alertRows.slice(0, 200),
        breakNote: breaks.ok ? undefined : `The breaks could not be read: ${breaks.reason}.`,
        breaks: breaks.ok
          ? breakRows(breaks.body.data.slice(0, 200), (caseId) => id.safeParse(caseId).success)
          : [],
      },
    });
  }

  /** The live session, or a redirect to the sign-in page (and undefined). */
  private session(req: Request, res: Response): Session | undefined {
    const session = this.sessions.get(cookie(req, SESSION_COOKIE));
    if (!session) res.redirect(303, '/login');
    return session;
  }

  /** For a POST: our own origin, a live session and its CSRF token in the form (which is read here, bounded). */
  private async postSession(req: Request, res: Response): Promise<Session | undefined> {
    if (!fromOwnOrigin(req)) {
      await this.message(res, 403, 'Not allowed', 'The form must be sent from this console.');
      return undefined;
    }
    const session = this.sessions.get(cookie(req, SESSION_COOKIE));
    if (!session) {
      res.redirect(303, '/login');
      return undefined;
    }
    const form = await readForm(req, res);
    if (!form.ok) {
      await this.message(res, form.status, 'The form could not be read', form.rule, [], session);
      return undefined;
    }
    if (!csrfMatches(session, form.fields['_csrf'])) {
      await this.message(
        res,
        403,
        'The form expired',
        '',
        [
          {
            field: '_csrf',
            rule: 'must be the token of this session’s pages: reload the page and try again',
          },
        ],
        session,
      );
      return undefined;
    }
    (req as Request & { consoleForm?: Record<string, string> }).consoleForm = form.fields;
    return session;
  }

  private async showLogin(
    res: Response,
    status: number,
    operatorId: string,
    errors: ShownError[],
  ): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    res.cookie(LOGIN_COOKIE, token, {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'strict',
      maxAge: 3_600_000,
    });
    await this.send(
      res,
      status,
      await this.pages.render(
        'login',
        'Sign in',
        { csrf: token, operatorId, invalid: errors.length > 0 },
        { errors },
      ),
    );
  }

  private async tooMany(res: Response, seconds: number): Promise<void> {
    res.set('Retry-After', String(seconds));
    await this.message(res, 429, 'Too many sign-in attempts', `Wait ${seconds} seconds, then try again.`);
  }

  private async message(
    res: Response,
    status: number,
    title: string,
    body: string,
    errors: ShownError[] = [],
    session?: Session,
    back?: string,
  ): Promise<void> {
    const html = await this.pages.render(
      'message',
      title,
      {
        body,
        back,
        backText: back?.startsWith('/cases/') ? 'Back to the case' : 'Back to the exception queue',
      },
      {
        errors,
        ...(session
          ? { viewer: { operator: session.operatorId, role: session.role, csrf: session.csrf } }
          : {}),
      },
    );
    await this.send(res, status, html);
  }

  private async page(
    res: Response,
    status: number,
    name: PageName,
    title: string,
    session: Session,
    options: { nav: string; data: Record<string, unknown>; charts?: boolean },
  ): Promise<void> {
    const html = await this.pages.render(name, title, options.data, {
      viewer: { operator: session.operatorId, role: session.role, csrf: session.csrf },
      nav: options.nav,
      charts: options.charts ?? false,
    });
    await this.send(res, status, html);
  }

  private async send(res: Response, status: number, html: string): Promise<void> {
    res
      .status(status)
      .set({
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      })
      .type('text/html; charset=utf-8')
      .send(html);
  }
}
