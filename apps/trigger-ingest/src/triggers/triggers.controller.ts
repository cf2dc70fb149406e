import { Body, Controller, Headers, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { upstreamEventSchema } from './upstream-event';
import { IngestTriggerUseCase, UnmappedEventTypeError } from './ingest-trigger.use-case';
import { INGEST_API_TOKENS } from './tokens';
import { Inject } from '@nestjs/common';

function problem(res: Response, status: number, title: string, errors: { field: string; rule: string }[]): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, errors });
}

@Controller('v1/triggers')
export class TriggersController {
  constructor(
    private readonly ingest: IngestTriggerUseCase,
    @Inject(INGEST_API_TOKENS) private readonly tokens: string[],
  ) {}

  @Post()
  @HttpCode(202)
  async post(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (!this.authorized(authorization)) throw new UnauthorizedException('a valid bearer token is required');
    const parsed = upstreamEventSchema.safeParse(body);
    if (!parsed.success) {
      return problem(
        res,
        400,
        'The event is not a valid upstream trigger',
        parsed.error.issues.map((i) => ({ field: i.path.join('.'), rule: i.message })),
      );
    }
    try {
      const outcome = await this.ingest.execute(parsed.data, JSON.stringify(req.body));
      res.status(outcome.duplicate ? 200 : 202).json(outcome);
    } catch (err) {
      if (err instanceof UnmappedEventTypeError) {
        return problem(res, 422, 'No workflow handles this event type', [{ field: 'eventType', rule: err.message }]);
      }
      throw err;
    }
  }

  private authorized(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (!token) return false;
    const given = Buffer.from(token);
    return this.tokens.some((t) => {
      const known = Buffer.from(t);
      return known.length === given.length && timingSafeEqual(known, given);
    });
  }
}
