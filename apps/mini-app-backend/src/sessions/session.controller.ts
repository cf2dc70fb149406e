/**
 * The pages of a session (`/s/…`): verify (one-time code and/or known facts, as the workflow and its actions ask),
 * the eligible actions with their forms, decline, stop messages, done, and the session's documents. Every POST carries
 * the session's synchronizer CSRF token (refused 403 and audited without it); every page has the strict CSP.
 */
import { Controller, Get, Inject, Optional, Param, Post, Query, Req, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { insertOutboxMessages } from '@closeout/outbox';
import {
  ACTION_FORMS,
  type ActionForm,
  type ActionFormContext,
  type FieldError,
  type RenderState,
} from '../actions/action-form';
import { DOCUMENT_READER, formsByAction, type DocumentReader } from '../actions/action-forms.registry';
import { ActionFormUnavailableError } from '../actions/forms/form-errors';
import { RETURN_MARKER } from '../actions/forms/hosted-token-form';
import { publishAction } from '../actions/publish-action';
import { buildAuditMessage } from '@closeout/audit';
import { UpstreamError } from '../clients/bounded-json';
import { EligibilityCache } from '../clients/eligibility-cache';
import { type EligibleAction, type EligibleActions } from '../clients/orchestrator.client';
import { MessagingClient } from '../clients/messaging.client';
import { readForm } from '../http/form-body';
import { RateLimits } from '../http/rate-limits';
import { clientIp } from '../http/request-context';
import { continueCaseTrace } from '../http/case-trace';
import {
  checksOf,
  methodOf,
  requiredMethod,
  satisfies,
  type IdentityMethod,
} from '../identity/identity-method';
import { IdentityService, type CheckOutcome } from '../identity/identity.service';
import { PageRenderer, type ShownError } from '../pages/page-renderer';
import type { Translate } from '../pages/i18n';
import {
  clearedSessionCookie,
  sessionIdFrom,
  sha256Hex,
  touchSession,
  type SessionExtras,
  type SessionRow,
} from './session-store';
import type { MiniAppSettings } from '../settings';
import { MINIAPP_SETTINGS } from '../tokens';

export const DECLINE_REASON_MAX = 500;
const TERMS_VERSION = 'miniapp.terms.v1';
/** The query parameters the processor's return carries, kept on the bounce; and the bounce's own marker. */
const RETURN_FIELDS = new Set([RETURN_MARKER.name, 'state', 'token']);
const BOUNCED = 'bounced';
const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

interface PageState {
  /** The action whose form shows values, errors or a query (after a POST or the processor's return). */
  actionId?: string;
  state?: RenderState;
  decline?: { value: string; error?: string };
  summary?: ShownError[];
}

@Controller('s')
export class SessionController {
  private readonly forms: Map<string, ActionForm>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(MINIAPP_SETTINGS) private readonly settings: MiniAppSettings,
    private readonly pages: PageRenderer,
    private readonly limits: RateLimits,
    private readonly identity: IdentityService,
    private readonly orchestrator: EligibilityCache,
    private readonly messaging: MessagingClient,
    @Inject(ACTION_FORMS) forms: ActionForm[],
    @Optional() @Inject(DOCUMENT_READER) private readonly documents?: DocumentReader,
  ) {
    this.forms = formsByAction(forms);
  }

  // ── verify ──────────────────────────────────────────────────────────────────────────────────────────────────

  @Get('verify')
  async verify(@Req() req: Request, @Res() res: Response): Promise<void> {
    const found = await this.sessionWith(req, res, { codeLive: true });
    if (!found) return;
    const { session, extras } = found;
    const eligible = await this.eligible(session, res);
    if (!eligible) return;
    await this.nextVerifyStep(session, eligible, res, extras.codeLive === true);
  }

  @Post('verify/send-code')
  async sendCode(@Req() req: Request, @Res() res: Response): Promise<void> {
    const posted = await this.postedSession(req, res);
    if (!posted) return;
    const { session } = posted;
    try {
      const outcome = await this.identity.sendCode(session);
      if (outcome.kind === 'too-many')
        return this.pages.sendMessage(res, session.locale, 429, 'verify.title', 'verify.code.too_many');
      return this.codePage(res, session, 200, { sentTo: outcome.sent.sentTo });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      if (error.status === 409)
        return this.pages.sendMessage(res, session.locale, 409, 'verify.title', 'verify.code.optedout');
      if (error.status === 429) {
        res.set('Retry-After', String(error.retryAfterSeconds ?? 3600));
        return this.pages.sendMessage(res, session.locale, 429, 'verify.title', 'verify.code.limit');
      }
      return this.pages.sendMessage(res, session.locale, 503, 'verify.title', 'verify.code.unavailable');
    }
  }

  @Post('verify/code')
  async checkCode(@Req() req: Request, @Res() res: Response): Promise<void> {
    const posted = await this.postedSession(req, res);
    if (!posted) return;
    const { session, fields } = posted;
    const outcome = await this.identity.checkCode(session, fields['code'] ?? '');
    const t = this.pages.translator(session.locale);
    await this.afterCheck(res, session, outcome, (status, again) =>
      this.codePage(res, session, status, {
        codeError:
          again.triesLeft === undefined
            ? t('verify.code.invalid')
            : t('verify.code.wrong', { left: again.triesLeft }),
      }),
    );
  }

  @Post('verify/facts')
  async checkFacts(@Req() req: Request, @Res() res: Response): Promise<void> {
    const posted = await this.postedSession(req, res);
    if (!posted) return;
    const { session, fields } = posted;
    const outcome = await this.identity.checkFacts(session, fields);
    const t = this.pages.translator(session.locale);
    await this.afterCheck(res, session, outcome, (status, again) =>
      this.factsPage(res, session, status, fields, {
        ...Object.fromEntries(
          (again.errors ?? []).map((e) => [e.field, t(`verify.facts.${e.field}.invalid`)]),
        ),
        ...(again.triesLeft === undefined
          ? {}
          : { summary: t('verify.facts.wrong', { left: again.triesLeft }) }),
      }),
    );
  }

  // ── actions ─────────────────────────────────────────────────────────────────────────────────────────────────

  @Get('actions')
  async actions(@Req() req: Request, @Res() res: Response): Promise<void> {
    const found = await this.sessionWith(req, res, { acted: true });
    if (!found) return;
    const { session, extras } = found;
    const eligible = await this.verifiedEligible(session, res);
    if (!eligible) return;
    if (extras.acted) return void res.redirect(303, '/s/done');
    await this.actionsPage(res, session, eligible, 200, {});
  }

  /** The action's form again, with the query it was reached with (e.g. the card processor's return). */
  @Get('actions/:actionId')
  async action(
    @Param('actionId') actionId: string,
    @Query() query: Record<string, string>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (query[RETURN_MARKER.name] === RETURN_MARKER.value && !sessionIdFrom(req.headers.cookie))
      if (query[BOUNCED] === undefined) return this.returnBounce(actionId, query, req, res);
    const found = await this.sessionWith(req, res, { acted: true });
    if (!found) return;
    const { session, extras } = found;
    const eligible = await this.verifiedEligible(session, res);
    if (!eligible) return;
    if (extras.acted) return void res.redirect(303, '/s/done');
    await this.actionsPage(res, session, eligible, 200, { actionId, state: { query } });
  }

  /**
   * The card processor's 303 back to us ends a cross-site redirect chain, and the browser does not send a
   * SameSite=Strict cookie on it. Rather than answer "session ended" (and clear the cookie the browser still holds),
   * a small page of ours asks for the same URL again as a same-site navigation — at once by meta refresh, or by its
   * Continue button — and the cookie comes with it. The bounced request carries `bounced=1`: without a cookie then,
   * the session really is gone. Nothing is looked up or logged here, the token included.
   */
  private async returnBounce(
    actionId: string,
    query: Record<string, string>,
    req: Request,
    res: Response,
  ): Promise<void> {
    const ipWait = await this.limits.consume('ip', clientIp(req));
    if (ipWait !== undefined) return this.tooMany(res, this.pages.catalog.resolve(null), ipWait);
    const locale = this.pages.catalog.resolve(null);
    const t = this.pages.translator(locale);
    const fields = [
      ...Object.entries(query)
        .filter(([name, value]) => RETURN_FIELDS.has(name) && typeof value === 'string')
        .map(([name, value]) => ({ name, value })),
      { name: BOUNCED, value: '1' },
    ];
    const action = `/s/actions/${encodeURIComponent(actionId)}`;
    const again = `${action}?${new URLSearchParams(fields.map((f): [string, string] => [f.name, f.value])).toString()}`;
    const html = await this.pages.render(
      locale,
      'return-bounce',
      t('processor.return.title'),
      {
        body: t('processor.return.body'),
        continue: t('processor.return.continue'),
        action,
        fields,
      },
      [],
      again,
    );
    this.pages.send(res, 200, html);
  }

  @Post('actions/:actionId')
  async act(@Param('actionId') actionId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const session = await this.session(req, res);
    if (!session) return;
    const eligible = await this.eligible(session, res);
    if (!eligible) return;
    const verified = { otp: session.otpVerified, knownFact: session.factVerified };
    if (actionId === 'decline') return this.decline(req, res, session, eligible, verified);
    const offered = eligible.actions.find((a) => a.actionId === actionId);
    const form = offered ? this.forms.get(offered.action) : undefined;
    if (!offered || !form) {
      const read = await readForm(req, res, { multipart: false, ...this.settings.upload });
      if (read.ok && !(await this.csrfOk(session, read.fields, res))) return;
      return this.pages.sendMessage(
        res,
        session.locale,
        404,
        'actions.unavailable.title',
        'actions.unavailable.body',
      );
    }
    const read = await readForm(req, res, { multipart: form.multipart === true, ...this.settings.upload });
    if (!read.ok) return this.formRefused(res, session, read);
    if (!(await this.csrfOk(session, read.fields, res))) return;
    if (!satisfies(verified, offered.identity)) return void res.redirect(303, '/s/verify');
    const ctx = this.formContext(session, eligible, offered);
    let parsed;
    try {
      parsed = await form.parse(ctx, read.fields, read.files);
    } catch (error) {
      if (!(error instanceof ActionFormUnavailableError)) throw error;
      // Not the customer's doing: nothing saved, try again later (the code names the dependency, no input).
      await this.audit(
        session,
        'miniapp.action-unavailable',
        'FAILURE',
        `${offered.action} could not be decided: ${error.code}`,
      );
      res.set('Retry-After', String(error.retryAfterSeconds));
      return this.pages.sendMessage(
        res,
        session.locale,
        503,
        'action.unavailable.title',
        'action.unavailable.body',
      );
    }
    if (!parsed.ok) {
      if (parsed.refused)
        await this.audit(
          session,
          'document.refused',
          'DENIED',
          `an upload for ${offered.action} was refused: ${parsed.refused.rule} (${parsed.refused.scanner}: ${parsed.refused.signature})`,
          { rule: parsed.refused.rule, scanner: parsed.refused.scanner, signature: parsed.refused.signature },
        );
      const values = Object.fromEntries(Object.entries(read.fields).filter(([k]) => k !== '_csrf'));
      return this.actionsPage(res, session, eligible, 422, {
        actionId,
        state: { values, errors: parsed.errors },
        summary: parsed.errors.map((e) => this.shown(ctx.t, e)),
      });
    }
    const consentKey = `consent.${parsed.consentTextVersion}`;
    const t = this.pages.translator(session.locale);
    await publishAction(this.db.manager, this.settings.serviceName, {
      session,
      actionId,
      action: offered.action,
      parameters: parsed.parameters,
      identityMethod: methodOf(verified),
      consent: {
        textVersion: parsed.consentTextVersion,
        textSha256: this.pages.catalog.has(session.locale, consentKey) ? sha256Hex(t(consentKey)) : null,
      },
      reason: `the customer took the eligible action ${actionId} (${offered.action})`,
    });
    res.redirect(303, '/s/done');
  }

  @Post('opt-out')
  async optOut(@Req() req: Request, @Res() res: Response): Promise<void> {
    const posted = await this.postedSession(req, res);
    if (!posted) return;
    const { session } = posted;
    try {
      const { alreadyOptedOut } = await this.messaging.optOut(session.tokenSha256);
      await this.audit(
        session,
        'miniapp.opted-out',
        'SUCCESS',
        alreadyOptedOut ? 'already opted out' : 'the customer asked to stop messages about this',
      );
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      return this.pages.sendMessage(res, session.locale, 503, 'upstream.title', 'upstream.body');
    }
    await this.pages.sendMessage(res, session.locale, 200, 'optout.done.title', 'optout.done.body');
  }

  @Get('done')
  async done(@Req() req: Request, @Res() res: Response): Promise<void> {
    const session = await this.session(req, res);
    if (!session) return;
    await this.pages.sendMessage(res, session.locale, 200, 'done.title', 'done.body');
  }

  @Get('documents/:ref')
  async document(@Param('ref') ref: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const session = await this.session(req, res);
    if (!session) return;
    const found =
      /^[A-Za-z0-9_-]{1,80}$/.test(ref) && this.documents
        ? await this.documents.get(ref, session.caseId)
        : undefined;
    if (!found)
      return this.pages.sendMessage(res, session.locale, 404, 'notfound.title', 'document.notfound');
    res
      .status(200)
      .set({
        'Content-Type': found.contentType,
        'Content-Disposition': 'attachment',
        'Cache-Control': 'no-store',
        'Content-Security-Policy': "default-src 'none'; sandbox",
      })
      .send(found.bytes);
  }

  // ── the parts ───────────────────────────────────────────────────────────────────────────────────────────────

  /** The active session of the cookie (rate-limited per IP and per customer), or a page saying why there is none. */
  private async session(req: Request, res: Response): Promise<SessionRow | undefined> {
    return (await this.sessionWith(req, res, {}))?.session;
  }

  /** `session`, with what else the page needs of it read in the same statement (`touchSession`). */
  private async sessionWith(
    req: Request,
    res: Response,
    want: { codeLive?: boolean; acted?: boolean },
  ): Promise<{ session: SessionRow; extras: SessionExtras } | undefined> {
    const ipWait = await this.limits.consume('ip', clientIp(req));
    if (ipWait !== undefined) return void (await this.tooMany(res, this.pages.catalog.resolve(null), ipWait));
    const id = sessionIdFrom(req.headers.cookie);
    const found = id
      ? await touchSession(this.db.manager, id, this.settings.sessionIdleSeconds, want)
      : { kind: 'ended' as const };
    if (found.kind !== 'ended') continueCaseTrace(req, res, found.session);
    if (found.kind === 'locked') {
      res.set('Set-Cookie', clearedSessionCookie());
      return void (await this.pages.sendMessage(
        res,
        found.session.locale,
        403,
        'session.locked.title',
        'session.locked.body',
      ));
    }
    if (found.kind === 'ended') {
      res.set('Set-Cookie', clearedSessionCookie());
      return void (await this.pages.sendMessage(
        res,
        this.pages.catalog.resolve(found.locale),
        401,
        'session.ended.title',
        'session.ended.body',
      ));
    }
    const wait = await this.limits.consume('customer', found.session.customerId);
    if (wait !== undefined) return void (await this.tooMany(res, found.session.locale, wait));
    return { session: found.session, extras: found.extras };
  }

  /** The session of a urlencoded POST whose CSRF token is right, with the form's fields. */
  private async postedSession(
    req: Request,
    res: Response,
  ): Promise<{ session: SessionRow; fields: Record<string, string> } | undefined> {
    const session = await this.session(req, res);
    if (!session) return undefined;
    const read = await readForm(req, res, { multipart: false, ...this.settings.upload });
    if (!read.ok) return void (await this.formRefused(res, session, read));
    if (!(await this.csrfOk(session, read.fields, res))) return undefined;
    return { session, fields: read.fields };
  }

  private async csrfOk(session: SessionRow, fields: Record<string, string>, res: Response): Promise<boolean> {
    const given = Buffer.from(fields['_csrf'] ?? '', 'utf8');
    const expected = Buffer.from(session.csrfToken, 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    await this.audit(
      session,
      'miniapp.csrf-refused',
      'DENIED',
      'a form was posted without the session CSRF token',
    );
    await this.pages.sendMessage(res, session.locale, 403, 'csrf.title', 'csrf.body');
    return false;
  }

  private async formRefused(
    res: Response,
    session: SessionRow,
    read: { status: number; rule: string; field?: string; max?: number; tooMany?: boolean },
  ): Promise<void> {
    if (read.status === 413 && (read.field || read.tooMany)) {
      const max = read.tooMany ? String(read.max) : `${Math.round((read.max ?? 0) / 1024 / 1024)} MB`;
      const t = this.pages.translator(session.locale);
      const html = await this.pages.render(session.locale, 'message', t('toolarge.title'), {
        body: read.tooMany
          ? t('toomany.body', { max })
          : t('toolarge.body', { field: read.field ?? 'file', max }),
        call: t('error.call'),
      });
      return this.pages.send(res, 413, html);
    }
    res
      .status(read.status)
      .type('text/plain; charset=utf-8')
      .set('Cache-Control', 'no-store')
      .send(read.rule);
  }

  /**
   * The orchestrator's answer for the session's case (asked once per request at most, kept a few seconds per session:
   * EligibilityCache), or a 503 page when it cannot be had.
   */
  private async eligible(session: SessionRow, res: Response): Promise<EligibleActions | undefined> {
    try {
      return await this.orchestrator.eligibleActions(session.ref, session.caseId);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      await this.audit(
        session,
        'miniapp.eligibility-unavailable',
        'FAILURE',
        `eligible actions could not be had: ${error.message}`,
      );
      await this.pages.sendMessage(res, session.locale, 503, 'upstream.title', 'upstream.body');
      return undefined;
    }
  }

  private async verifiedEligible(session: SessionRow, res: Response): Promise<EligibleActions | undefined> {
    const eligible = await this.eligible(session, res);
    if (!eligible) return undefined;
    const required = requiredMethod(
      eligible.identity.method,
      eligible.actions.map((a) => a.identity),
    );
    if (!satisfies({ otp: session.otpVerified, knownFact: session.factVerified }, required)) {
      res.redirect(303, '/s/verify');
      return undefined;
    }
    return eligible;
  }

  private async nextVerifyStep(
    session: SessionRow,
    eligible: EligibleActions,
    res: Response,
    codeLive: boolean,
  ): Promise<void> {
    const required: IdentityMethod = requiredMethod(
      eligible.identity.method,
      eligible.actions.map((a) => a.identity),
    );
    const need = checksOf(required);
    if (need.otp && !session.otpVerified) return this.codePage(res, session, 200, { codeLive });
    if (need.knownFact && !session.factVerified) return this.factsPage(res, session, 200, {}, {});
    res.redirect(303, '/s/actions');
  }

  private async afterCheck(
    res: Response,
    session: SessionRow,
    outcome: CheckOutcome,
    again: (
      status: number,
      shown: { triesLeft?: number; errors?: Array<{ field: string; rule: string }> },
    ) => Promise<void>,
  ): Promise<void> {
    switch (outcome.kind) {
      case 'verified':
        return void res.redirect(303, '/s/verify');
      case 'locked':
        res.set('Set-Cookie', clearedSessionCookie());
        return this.pages.sendMessage(
          res,
          session.locale,
          403,
          'session.locked.title',
          'session.locked.body',
        );
      case 'wrong':
        return again(422, { triesLeft: outcome.triesLeft });
      case 'invalid':
        if (outcome.errors.some((e) => e.field === 'facts'))
          return this.pages.sendMessage(
            res,
            session.locale,
            200,
            'verify.facts.none.title',
            'verify.facts.none',
          );
        return again(422, { errors: outcome.errors });
      default: {
        const never: never = outcome;
        throw new Error(`unknown check outcome ${String(never)}`);
      }
    }
  }

  private async codePage(
    res: Response,
    session: SessionRow,
    status: number,
    /** `codeLive`: whether a code is live, when the session's read said so already. */
    shown: { sentTo?: string; codeError?: string; codeLive?: boolean },
  ): Promise<void> {
    const t = this.pages.translator(session.locale);
    const codeLive =
      shown.sentTo !== undefined || (shown.codeLive ?? (await this.identity.codeLive(session)));
    const errors: ShownError[] = shown.codeError ? [{ field: 'code', message: shown.codeError }] : [];
    const html = await this.pages.render(
      session.locale,
      'verify-code',
      t('verify.title'),
      {
        intro: t('verify.code.intro'),
        sentTo: shown.sentTo,
        sentText: shown.sentTo ? t('verify.code.sent', { sentTo: shown.sentTo }) : '',
        codeLive,
        codeLabel: t('verify.code.label'),
        codeHint: t('verify.code.hint'),
        codeError: shown.codeError,
        submit: t('verify.code.submit'),
        sendLabel: codeLive ? t('verify.code.resend') : t('verify.code.send'),
        csrf: session.csrfToken,
      },
      errors,
    );
    this.pages.send(res, status, html);
  }

  private async factsPage(
    res: Response,
    session: SessionRow,
    status: number,
    values: Record<string, string>,
    errorsByField: Record<string, string>,
  ): Promise<void> {
    const t = this.pages.translator(session.locale);
    const held = await this.identity.factsHeld(session.customerId);
    if (held.length === 0) {
      await this.audit(
        session,
        'miniapp.identity-unavailable',
        'FAILURE',
        'no known facts are held for the customer',
      );
      return this.pages.sendMessage(res, session.locale, 200, 'verify.facts.none.title', 'verify.facts.none');
    }
    const facts = held.map((name) => ({
      name,
      label: t(`verify.facts.${name}`),
      hint: t(`verify.facts.${name}.hint`),
      error: errorsByField[name],
      value: errorsByField[name] ? (values[name] ?? '').slice(0, 12) : '',
      autocomplete: name === 'dateOfBirth' ? 'bday' : 'postal-code',
    }));
    const errors: ShownError[] = [
      ...(errorsByField['summary'] ? [{ field: held[0]!, message: errorsByField['summary'] }] : []),
      ...facts.filter((f) => f.error).map((f) => ({ field: f.name, message: f.error! })),
    ];
    const html = await this.pages.render(
      session.locale,
      'verify-facts',
      t('verify.title'),
      { intro: t('verify.facts.intro'), facts, submit: t('verify.facts.submit'), csrf: session.csrfToken },
      errors,
    );
    this.pages.send(res, status, html);
  }

  private formContext(
    session: SessionRow,
    eligible: EligibleActions,
    offered: EligibleAction,
  ): ActionFormContext {
    const t = this.pages.translator(session.locale);
    return {
      caseId: session.caseId,
      workflowId: session.workflowId,
      sessionRef: session.ref,
      locale: session.locale,
      amount: eligible.amount,
      eligible: {
        actionId: offered.actionId,
        action: offered.action,
        label: offered.label,
        parameterRules: offered.parameterRules,
      },
      t,
      escape: escapeHtml,
      csrfField: `<input type="hidden" name="_csrf" value="${escapeHtml(session.csrfToken)}">`,
      postPath: `/s/actions/${encodeURIComponent(offered.actionId)}`,
      publicBaseUrl: this.settings.publicBaseUrl,
      now: new Date(),
    };
  }

  private shown(t: Translate, e: FieldError): ShownError {
    return { field: e.field, message: `${t(`field.${e.field}`)}: ${t(e.rule)}` };
  }

  private async actionsPage(
    res: Response,
    session: SessionRow,
    eligible: EligibleActions,
    status: number,
    page: PageState,
  ): Promise<void> {
    const t = this.pages.translator(session.locale);
    const actions = await Promise.all(
      eligible.actions.map(async (a) => {
        const form = this.forms.get(a.action);
        const html = form
          ? await form.render(
              this.formContext(session, eligible, a),
              page.actionId === a.actionId ? page.state : undefined,
            )
          : undefined;
        return { actionId: a.actionId, label: a.label, html };
      }),
    );
    const html = await this.pages.render(
      session.locale,
      'actions',
      t('actions.title'),
      {
        actions,
        none: t('actions.none'),
        call: t('actions.call'),
        canDecline: eligible.awaitingCustomer,
        csrf: session.csrfToken,
        decline: {
          title: t('decline.title'),
          label: t('decline.reason'),
          hint: t('decline.reason.hint'),
          submit: t('decline.submit'),
          value: page.decline?.value ?? '',
          error: page.decline?.error,
        },
        optout: { title: t('optout.title'), body: t('optout.body'), submit: t('optout.submit') },
        consent: t('actions.consent'),
      },
      page.summary ?? [],
    );
    this.pages.send(res, status, html);
  }

  private async decline(
    req: Request,
    res: Response,
    session: SessionRow,
    eligible: EligibleActions,
    verified: { otp: boolean; knownFact: boolean },
  ): Promise<void> {
    const read = await readForm(req, res, { multipart: false, ...this.settings.upload });
    if (!read.ok) return this.formRefused(res, session, read);
    if (!(await this.csrfOk(session, read.fields, res))) return;
    if (!eligible.awaitingCustomer)
      return this.pages.sendMessage(
        res,
        session.locale,
        409,
        'actions.unavailable.title',
        'actions.unavailable.body',
      );
    if (!satisfies(verified, eligible.identity.method)) return void res.redirect(303, '/s/verify');
    const reason = (read.fields['reason'] ?? '').trim();
    if (reason.length > DECLINE_REASON_MAX) {
      const t = this.pages.translator(session.locale);
      const error = t('decline.reason.too_long');
      return this.actionsPage(res, session, eligible, 422, {
        decline: { value: reason.slice(0, DECLINE_REASON_MAX), error },
        summary: [{ field: 'reason', message: error }],
      });
    }
    const t = this.pages.translator(session.locale);
    await publishAction(this.db.manager, this.settings.serviceName, {
      session,
      actionId: 'decline',
      action: 'decline',
      parameters: reason ? { reason } : {},
      identityMethod: methodOf(verified),
      consent: { textVersion: TERMS_VERSION, textSha256: sha256Hex(t(`consent.${TERMS_VERSION}`)) },
      reason: 'the customer declined every offered action',
    });
    res.redirect(303, '/s/done');
  }

  private async tooMany(res: Response, locale: string, wait: number): Promise<void> {
    res.set('Retry-After', String(wait));
    await this.pages.sendMessage(res, locale, 429, 'rate.title', 'rate.body', { seconds: wait });
  }

  private async audit(
    session: SessionRow,
    action: string,
    outcome: 'SUCCESS' | 'FAILURE' | 'DENIED',
    reason: string,
    references: Record<string, string> = {},
  ): Promise<void> {
    await insertOutboxMessages(this.db.manager, 'outbox', [
      buildAuditMessage(this.settings.serviceName, {
        actor: { type: 'CUSTOMER', id: session.ref },
        action,
        outcome,
        reason,
        correlationId: session.correlationId,
        caseId: session.caseId,
        references: { ...references, sessionRef: session.ref },
      }),
    ]);
  }
}
