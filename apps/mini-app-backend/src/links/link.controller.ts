/**
 * `GET /l/:token` shows a page with a Continue button and consumes nothing (mail scanners and link previews fetch
 * links); `POST /l/:token` (from our own origin) consumes the link atomically, creates the session and 303s to
 * /s/verify with the session cookie. A malformed, unknown, expired, used or revoked link gets a localised page saying
 * what to do next, a 4xx, and an audit event naming at most the first 12 hex digits of the token's hash.
 *
 * `/l/:token/unsubscribe` is an email's List-Unsubscribe link (RFC 8058): the mini-app is the public link host, so it
 * answers it and has messaging record the opt-out (its internal API, source `list-unsubscribe`). GET shows a page
 * with an Unsubscribe button and changes nothing; POST (a mail client's one-click `List-Unsubscribe=One-Click`, or
 * the button) unsubscribes, whether or not the link was used or has expired. No origin check there: one-click POSTs
 * come from mail providers' servers, and the token in the path is the capability.
 */
import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { insertOutboxMessages } from '@closeout/outbox';
import { buildAuditMessage } from '@closeout/audit';
import { UpstreamError } from '../clients/bounded-json';
import { MessagingClient } from '../clients/messaging.client';
import { RateLimits } from '../http/rate-limits';
import { continueCaseTrace } from '../http/case-trace';
import { clientIp, fromOwnOrigin } from '../http/request-context';
import { PageRenderer } from '../pages/page-renderer';
import {
  linkFactsOf,
  linkState,
  openLink,
  sessionCookie,
  type LinkFacts,
  type LinkRefusal,
} from '../sessions/session-store';
import type { MiniAppSettings } from '../settings';
import { MINIAPP_SETTINGS } from '../tokens';
import { LinkFactsCache } from './link-facts-cache';
import { hashPrefix, isLinkToken, linkTokenSha256 } from './link-token';

type Refusal = LinkRefusal | 'malformed' | 'cross-origin';

/** How long GET /l/:token waits for a link it does not know yet (see `arrivedLink`). */
export const LINK_ARRIVAL_GRACE_MS = 3_000;

const REFUSAL_PAGE: Record<Refusal, { status: number; key: string }> = {
  malformed: { status: 404, key: 'link.unknown' },
  unknown: { status: 404, key: 'link.unknown' },
  expired: { status: 410, key: 'link.expired' },
  used: { status: 410, key: 'link.used' },
  revoked: { status: 410, key: 'link.revoked' },
  'cross-origin': { status: 403, key: 'link.origin' },
};

@Controller('l')
export class LinkController {
  /** The facts of links whose page was just shown, for their Continue (see LinkFactsCache). */
  private readonly shownLinks = new LinkFactsCache();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(MINIAPP_SETTINGS) private readonly settings: MiniAppSettings,
    private readonly pages: PageRenderer,
    private readonly limits: RateLimits,
    private readonly messaging: MessagingClient,
  ) {}

  @Get(':token/unsubscribe')
  async unsubscribePage(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (await this.limited(req, res)) return;
    if (!isLinkToken(token)) return this.refuse(res, 'malformed', linkTokenSha256(token));
    const locale = await this.localeOf(linkTokenSha256(token));
    const t = this.pages.translator(locale);
    const html = await this.pages.render(locale, 'link', t('unsubscribe.title'), {
      intro: t('unsubscribe.intro'),
      continue: t('unsubscribe.confirm'),
    });
    this.pages.send(res, 200, html);
  }

  @Post(':token/unsubscribe')
  async unsubscribe(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (await this.limited(req, res)) return;
    const tokenSha256 = linkTokenSha256(token);
    if (!isLinkToken(token)) return this.refuse(res, 'malformed', tokenSha256);
    const wait = await this.limits.consume('link', tokenSha256);
    if (wait !== undefined) return this.tooMany(res, wait);
    const locale = await this.localeOf(tokenSha256);
    try {
      await this.messaging.optOut(tokenSha256, 'list-unsubscribe');
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      if (error.status === 404) return this.refuse(res, 'unknown', tokenSha256);
      return this.pages.sendMessage(res, locale, 503, 'upstream.title', 'upstream.body');
    }
    await this.pages.sendMessage(res, locale, 200, 'unsubscribe.done.title', 'unsubscribe.done.body');
  }

  /**
   * The link's state, allowing it a moment to arrive: the mini-app learns of a link from messaging's SENT event,
   * which travels about as fast as the SMS that carries the link (p50 0.16 s, 1 s at worst in the main job), so a
   * customer who taps at once can get here first. A well-formed token the mini-app does not know yet is looked for
   * again for up to LINK_ARRIVAL_GRACE_MS (rate-limited per IP like every request) before it is refused as unknown.
   */
  private async arrivedLink(tokenSha256: string): Promise<Awaited<ReturnType<typeof linkState>>> {
    const deadline = Date.now() + LINK_ARRIVAL_GRACE_MS;
    for (;;) {
      const link = await linkState(this.db.manager, tokenSha256);
      if (link || Date.now() >= deadline) return link;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The locale of the link's message when the mini-app holds the link, else the default. */
  private async localeOf(tokenSha256: string): Promise<string> {
    const rows: Array<{ locale: string | null }> = await this.db.query(
      'SELECT locale FROM link WHERE token_sha256 = $1',
      [tokenSha256],
    );
    return this.pages.catalog.resolve(rows[0]?.locale ?? null);
  }

  @Get(':token')
  async page(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (await this.limited(req, res)) return;
    if (!isLinkToken(token)) return this.refuse(res, 'malformed', linkTokenSha256(token));
    const tokenSha256 = linkTokenSha256(token);
    const link = await this.arrivedLink(tokenSha256);
    if (!link) return this.refuse(res, 'unknown', tokenSha256);
    const facts: LinkFacts = linkFactsOf(link);
    continueCaseTrace(req, res, facts);
    if (link.status === 'USED') return this.refuse(res, 'used', tokenSha256, facts);
    if (link.status === 'REVOKED') return this.refuse(res, 'revoked', tokenSha256, facts);
    if (link.expired) return this.refuse(res, 'expired', tokenSha256, facts);
    this.shownLinks.remember(tokenSha256, facts);
    const locale = this.pages.catalog.resolve(link.locale);
    const t = this.pages.translator(locale);
    const html = await this.pages.render(locale, 'link', t('link.title'), {
      intro: t('link.intro'),
      continue: t('link.continue'),
    });
    this.pages.send(res, 200, html);
  }

  @Post(':token')
  async open(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (await this.limited(req, res)) return;
    const tokenSha256 = linkTokenSha256(token);
    if (!isLinkToken(token)) return this.refuse(res, 'malformed', tokenSha256);
    const wait = await this.limits.consume('link', tokenSha256);
    if (wait !== undefined) return this.tooMany(res, wait);
    if (!fromOwnOrigin(req, this.settings.publicOrigin)) return this.refuse(res, 'cross-origin', tokenSha256);
    const outcome = await openLink(
      this.db.manager,
      tokenSha256,
      (tag) => this.pages.catalog.resolve(tag),
      this.settings.sessionMaxSeconds,
      (opened) =>
        buildAuditMessage(this.settings.serviceName, {
          actor: { type: 'CUSTOMER', id: opened.ref },
          action: 'miniapp.link-opened',
          outcome: 'SUCCESS',
          reason: 'the link was opened and a session started',
          correlationId: opened.correlationId,
          caseId: opened.caseId,
          references: { linkHashPrefix: hashPrefix(tokenSha256), sessionRef: opened.ref },
        }),
      this.shownLinks.take(tokenSha256),
      (link) => continueCaseTrace(req, res, link),
    );
    if (!outcome.opened) {
      if (outcome.link) continueCaseTrace(req, res, outcome.link);
      return this.refuse(res, outcome.refusal, tokenSha256, outcome.link);
    }
    res
      .status(303)
      .set({
        Location: '/s/verify',
        'Set-Cookie': sessionCookie(outcome.sessionId),
        'Cache-Control': 'no-store',
      })
      .end();
  }

  private async limited(req: Request, res: Response): Promise<boolean> {
    const wait = await this.limits.consume('ip', clientIp(req));
    if (wait === undefined) return false;
    await this.tooMany(res, wait);
    return true;
  }

  private async tooMany(res: Response, wait: number): Promise<void> {
    res.set('Retry-After', String(wait));
    await this.pages.sendMessage(res, this.pages.catalog.resolve(null), 429, 'rate.title', 'rate.body', {
      seconds: wait,
    });
  }

  private async refuse(
    res: Response,
    refusal: Refusal,
    tokenSha256: string,
    link?: LinkFacts,
  ): Promise<void> {
    const prefix = hashPrefix(tokenSha256);
    await insertOutboxMessages(this.db.manager, 'outbox', [
      buildAuditMessage(this.settings.serviceName, {
        actor: { type: 'CUSTOMER', id: 'anonymous' },
        action: 'miniapp.link-refused',
        outcome: 'DENIED',
        reason: `link refused: ${refusal}`,
        correlationId: link?.correlationId ?? `link-${prefix}`,
        caseId: link?.caseId ?? null,
        references: { linkHashPrefix: prefix, refusal },
      }),
    ]);
    const { status, key } = REFUSAL_PAGE[refusal];
    await this.pages.sendMessage(
      res,
      this.pages.catalog.resolve(link?.locale),
      status,
      `${key}.title`,
      `${key}.body`,
    );
  }
}
