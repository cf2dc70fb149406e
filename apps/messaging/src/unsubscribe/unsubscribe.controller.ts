/**
 * `GET` and `POST /l/:token/unsubscribe`: the email's List-Unsubscribe URL (RFC 8058), on the public link host, whose
 * ingress routes `/l/<token>/unsubscribe` here (messaging owns the `link` table; the mini-app serves `/l/<token>`).
 *
 * - POST with the one-click body records the opt-out (`UnsubscribeService`) and answers a static confirmation page;
 *   a repeat answers the same page and changes nothing; an expired link still unsubscribes.
 * - GET never unsubscribes (mail scanners fetch links): a static page whose form posts the one-click body back to
 *   the same URL.
 *
 * A token not of our form, or of no link, → 404 problem+json that quotes nothing. The body is read here (the route
 * is under configureHttp's `rawBodyPrefixes`) up to `ONE_CLICK_MAX_BYTES`; at most `UNSUBSCRIBE_MAX_IN_FLIGHT`
 * lookups are worked at once, beyond that 429 with Retry-After.
 */
import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { raw } from 'express';
import { sendProblem } from '@closeout/platform';
import { checkOneClickBody, isLinkToken, ONE_CLICK_MAX_BYTES } from './one-click';
import { CONFIRM_PAGE, DONE_PAGE } from './unsubscribe-pages';
import { UnsubscribeService } from './unsubscribe.service';

/** The path prefix whose routes read their own body: in configureHttp's `rawBodyPrefixes` (main.ts). */
export const LINK_PREFIX = '/l/';

/** Requests worked at once (each holds a database connection for a moment); beyond it, 429. */
export const UNSUBSCRIBE_MAX_IN_FLIGHT = 8;

const NOT_FOUND = 'no unsubscribe link at this path';

function sendPage(res: Response, html: string): void {
  res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(html);
}

@Controller('l')
export class UnsubscribeController {
  private inFlight = 0;
  private readonly readBody = raw({ type: () => true, limit: ONE_CLICK_MAX_BYTES });

  constructor(private readonly unsubscribes: UnsubscribeService) {}

  @Get(':token/unsubscribe')
  async page(@Param('token') token: string, @Res() res: Response): Promise<void> {
    if (!isLinkToken(token)) return sendProblem(res, 404, 'Not Found', NOT_FOUND);
    await this.bounded(res, async () => {
      if (!(await this.unsubscribes.knows(token))) return sendProblem(res, 404, 'Not Found', NOT_FOUND);
      sendPage(res, CONFIRM_PAGE);
    });
  }

  @Post(':token/unsubscribe')
  async oneClick(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!isLinkToken(token)) return sendProblem(res, 404, 'Not Found', NOT_FOUND);
    // The body is read (bounded in size, and in time by the server's timeouts) before a slot is taken: a slow
    // client holds no slot.
    let body: Buffer;
    try {
      body = await this.bodyOf(req, res);
    } catch (error) {
      res.set('Connection', 'close');
      return (error as { type?: string }).type === 'entity.too.large'
        ? sendProblem(res, 413, 'Payload Too Large', `body: must be at most ${ONE_CLICK_MAX_BYTES} bytes`)
        : sendProblem(res, 400, 'Bad Request', 'body: could not be read');
    }
    const check = await checkOneClickBody(req.headers['content-type'], body);
    if (!check.ok)
      return sendProblem(
        res,
        check.status,
        check.status === 415 ? 'Unsupported Media Type' : 'Bad Request',
        check.rule,
      );
    await this.bounded(res, async () => {
      const outcome = await this.unsubscribes.unsubscribe(token);
      if (outcome.kind === 'unknown') return sendProblem(res, 404, 'Not Found', NOT_FOUND);
      sendPage(res, DONE_PAGE);
    });
  }

  /** Runs `work` unless too many requests are being worked already (429, Retry-After: 1). */
  private async bounded(res: Response, work: () => Promise<void>): Promise<void> {
    if (this.inFlight >= UNSUBSCRIBE_MAX_IN_FLIGHT) {
      res.set('Retry-After', '1');
      return sendProblem(
        res,
        429,
        'Too Many Requests',
        'too many unsubscribe requests at once; retry shortly',
      );
    }
    this.inFlight++;
    try {
      await work();
    } finally {
      this.inFlight--;
    }
  }

  private bodyOf(req: Request, res: Response): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      this.readBody(req, res, (error?: unknown) => {
        if (error) return reject(error as Error);
        resolve(Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0));
      }),
    );
  }
}
