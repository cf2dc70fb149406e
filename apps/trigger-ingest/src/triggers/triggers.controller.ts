import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RequirePrincipalGuard, principalOf } from '@closeout/platform';
import type { FieldProblem, TriggerRefusalCode } from '../ingest/trigger-refused.error';
import { TriggerRefusedError } from '../ingest/trigger-refused.error';
import { IngestTriggerUseCase } from './ingest-trigger.use-case';

function problem(res: Response, status: number, title: string, errors: FieldProblem[]): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, errors });
}

function refusalStatus(code: TriggerRefusalCode): { status: number; title: string } {
  switch (code) {
    case 'TRIGGER_INVALID':
      return { status: 400, title: 'The event is not a valid upstream trigger' };
    case 'TRIGGER_FORBIDDEN':
      return { status: 403, title: 'This token may not publish events for this source system' };
    case 'TRIGGER_UNMAPPED':
      return { status: 422, title: 'No workflow handles this event type and version' };
    case 'TRIGGER_CONFLICT':
      return { status: 409, title: 'The event id was already used for a different event' };
    default: {
      const unreachable: never = code;
      throw new Error(`unhandled refusal ${String(unreachable)}`);
    }
  }
}

/**
 * POST /v1/triggers: an upstream event as JSON, authenticated by a bearer token naming the sources its caller may
 * publish for. 202 new, 200 duplicate, 4xx problem+json naming the field and rule (never the value).
 */
@Controller('v1/triggers')
@UseGuards(RequirePrincipalGuard)
export class TriggersController {
  constructor(private readonly ingest: IngestTriggerUseCase) {}

  @Post()
  @HttpCode(202)
  async post(@Req() req: Request, @Body() body: unknown, @Res() res: Response): Promise<void> {
    // Authenticated by configureHttp's BearerAuth before the body was read.
    const principal = principalOf(req);
    try {
      const outcome = await this.ingest.execute(body, { kind: 'http', principal: principal.id, sources: principal.sources });
      res.status(outcome.duplicate ? 200 : 202).json(outcome);
    } catch (err) {
      if (!(err instanceof TriggerRefusedError)) throw err;
      const { status, title } = refusalStatus(err.code);
      problem(res, status, title, err.problems);
    }
  }
}
