import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Post,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import type { Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { FieldProblem, TriggerRefusalCode } from '../ingest/trigger-refused.error';
import { TriggerRefusedError } from '../ingest/trigger-refused.error';
import { IngestTriggerUseCase } from './ingest-trigger.use-case';
import { INGEST_API_TOKENS } from './tokens';

function problem(res: Response, status: number, title: string, errors: FieldProblem[]): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, errors });
}

function refusalStatus(code: TriggerRefusalCode): { status: number; title: string } {
  switch (code) {
    case 'TRIGGER_INVALID':
      return { status: 400, title: 'The event is not a valid upstream trigger' };
    case 'TRIGGER_UNMAPPED':
      return { status: 422, title: 'No workflow handles this event type and version' };
    default: {
      const unreachable: never = code;
      throw new Error(`unhandled refusal ${String(unreachable)}`);
    }
  }
}

/** POST /v1/triggers: an upstream event as JSON, authenticated by a bearer token. 202 new, 200 duplicate. */
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
    @Res() res: Response,
  ): Promise<void> {
    if (!this.authorized(authorization)) throw new UnauthorizedException('a valid bearer token is required');
    try {
      const outcome = await this.ingest.execute(body, { kind: 'http' });
      res.status(outcome.duplicate ? 200 : 202).json(outcome);
    } catch (err) {
      if (!(err instanceof TriggerRefusedError)) throw err;
      const { status, title } = refusalStatus(err.code);
      problem(res, status, title, err.problems);
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
