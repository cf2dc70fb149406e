/**
 * Provider webhooks: `POST /webhooks/sms/:provider` and `POST /webhooks/whatsapp/:provider`. The raw body is read
 * here (bounded; configureHttp leaves `/webhooks` to the route), the request is checked against the exact public URL
 * the provider signed, and only a verified call is read and applied. `GET /webhooks/whatsapp/:provider` answers the
 * WhatsApp Cloud API's verification handshake.
 */
import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { raw } from 'express';
import { WebhookPayloadError, type Channel, type WebhookRequest } from '@closeout/messaging-channels';
import { sendProblem } from '@closeout/platform';
import { createLogger } from '@closeout/telemetry';
import { checkVerificationHandshake } from '../whatsapp/verification-handshake';
import { WebhookHandler } from './webhook-handler';

export const WEBHOOK_PREFIX = '/webhooks';

const CHANNELS: Readonly<Record<string, Channel>> = { sms: 'SMS', whatsapp: 'WHATSAPP' };

function plain(headers: Request['headers']): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]),
  );
}

@Controller('webhooks')
export class WebhookController {
  private readonly log = createLogger('webhooks');
  private readonly readBody: ReturnType<typeof raw>;

  constructor(private readonly handler: WebhookHandler) {
    this.readBody = raw({ type: () => true, limit: handler.settings.maxBodyBytes });
  }

  /**
   * Meta's verification of the webhook: `hub.mode=subscribe`, `hub.verify_token` (compared in constant time with
   * WHATSAPP_VERIFY_TOKEN) and `hub.challenge`, echoed as text/plain. Anything else → 403, echoing nothing.
   */
  @Get(':channel/:provider')
  verify(
    @Param('channel') channelName: string,
    @Param('provider') providerName: string,
    @Req() req: Request,
    @Res() res: Response,
  ): void {
    const provider = this.handler.settings.providers.get('WHATSAPP');
    if (channelName !== 'whatsapp' || provider === undefined || provider.name !== providerName)
      return sendProblem(
        res,
        404,
        'Not Found',
        'no webhook verification of a configured provider at this path',
      );
    const at = req.originalUrl.indexOf('?');
    const answer = checkVerificationHandshake(
      at < 0 ? '' : req.originalUrl.slice(at + 1),
      this.handler.settings.whatsappVerifyToken,
    );
    if (!answer.ok) {
      this.log.warn(
        { channel: 'WHATSAPP', provider: provider.name, why: answer.why },
        'webhook verification refused',
      );
      return sendProblem(res, 403, 'Forbidden', 'the webhook verification is refused');
    }
    res
      .status(200)
      .set({ 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
      .send(answer.challenge);
  }

  @Post(':channel/:provider')
  @HttpCode(204)
  async receive(
    @Param('channel') channelName: string,
    @Param('provider') providerName: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const channel = CHANNELS[channelName];
    const provider = channel !== undefined ? this.handler.settings.providers.get(channel) : undefined;
    if (channel === undefined || provider === undefined || provider.name !== providerName)
      return sendProblem(res, 404, 'Not Found', 'no webhook of a configured provider at this path');
    const base = this.handler.settings.publicBaseUrl;
    if (base === undefined)
      return sendProblem(res, 503, 'Service Unavailable', 'MESSAGING_PUBLIC_BASE_URL is not set');
    let rawBody: Buffer;
    try {
      rawBody = await this.bodyOf(req, res);
    } catch (error) {
      const e = error as { status?: number; type?: string };
      return e.type === 'entity.too.large'
        ? sendProblem(
            res,
            413,
            'Payload Too Large',
            `body: must be at most ${this.handler.settings.maxBodyBytes} bytes`,
          )
        : sendProblem(res, 400, 'Bad Request', 'body: could not be read');
    }
    const request: WebhookRequest = {
      url: `${base}${req.originalUrl}`,
      headers: plain(req.headers),
      rawBody,
    };
    if (!provider.verifyWebhook(request)) {
      await this.handler.refused(channel, provider.name, 'the signature is missing or does not verify');
      return sendProblem(res, 403, 'Forbidden', 'the webhook signature is missing or does not verify');
    }
    let events;
    try {
      events = provider.parseWebhook(request);
    } catch (error) {
      if (error instanceof WebhookPayloadError)
        return sendProblem(res, 400, 'Bad Request', `${error.field ?? 'body'}: ${error.rule}`);
      throw error;
    }
    await this.handler.apply(channel, provider, events);
    this.log.debug({ channel, provider: provider.name, events: events.length }, 'webhook applied');
    res.status(204).end();
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
