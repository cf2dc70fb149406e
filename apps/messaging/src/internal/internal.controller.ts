/**
 * The internal API, called by the mini-app only, behind bearer tokens (`MESSAGING_INTERNAL_API_TOKENS`; configureHttp
 * authenticates `/internal` before any body is read, and `RequirePrincipalGuard` fails closed). Served only when the
 * tokens are configured: otherwise the controller is not registered and its routes answer 404.
 *
 * - `POST /internal/v1/links/:tokenSha256/one-time-code` `{ "code": "123456" }` → 202 `{ channel, sentTo }`
 * - `POST /internal/v1/links/:tokenSha256/opt-out` `{ "source": "mini-app" }` → 200 `{ optedOut, alreadyOptedOut }`
 *
 * Bad input → 400 problem+json naming each field and rule; bodies over 1 KiB → 413. The code is never logged.
 */
import { Controller, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { principalOf, RequirePrincipalGuard } from '@closeout/platform';
import type { z } from 'zod';
import { UnsubscribeService } from '../unsubscribe/unsubscribe.service';
import { INTERNAL_API_STATUSES, InternalApiError, linkNotFound } from './internal-api.errors';
import {
  oneTimeCodeBody,
  optOutBody,
  problemsOf,
  TOKEN_SHA256_RULE,
  tokenSha256Schema,
  type FieldProblem,
} from './internal-api.validation';
import { OneTimeCodeService } from './one-time-code.service';

function problem(res: Response, status: number, title: string, extra: Record<string, unknown>): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: 'about:blank', title, status, ...extra });
}

const badRequest = (res: Response, errors: FieldProblem[]): void =>
  problem(res, 400, 'Bad Request', { errors });

function answerError(res: Response, error: unknown): void {
  if (!(error instanceof InternalApiError)) throw error;
  const { status, title } = INTERNAL_API_STATUSES[error.code];
  if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
  problem(
    res,
    status,
    title,
    error.field !== undefined
      ? { errors: [{ field: error.field, rule: error.rule }] }
      : { detail: error.rule },
  );
}

/** The link's hash from the path and the body, both checked: the body's data, or every problem named. */
function requestOf<S extends z.ZodType>(
  tokenSha256: string,
  raw: unknown,
  schema: S,
): { data: z.infer<S> } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = tokenSha256Schema.safeParse(tokenSha256).success
    ? []
    : [{ field: 'tokenSha256', rule: TOKEN_SHA256_RULE }];
  const body = schema.safeParse(raw);
  if (!body.success) problems.push(...problemsOf(body.error));
  return problems.length > 0 || !body.success ? { problems } : { data: body.data };
}

@Controller('internal/v1/links')
@UseGuards(RequirePrincipalGuard)
export class InternalController {
  constructor(
    private readonly codes: OneTimeCodeService,
    private readonly optOuts: UnsubscribeService,
  ) {}

  @Post(':tokenSha256/one-time-code')
  async oneTimeCode(
    @Param('tokenSha256') tokenSha256: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const body = requestOf(tokenSha256, req.body, oneTimeCodeBody);
    if ('problems' in body) return badRequest(res, body.problems);
    try {
      const sent = await this.codes.send(tokenSha256, body.data.code, principalOf(req).id);
      res.status(202).json(sent);
    } catch (error) {
      answerError(res, error);
    }
  }

  @Post(':tokenSha256/opt-out')
  async optOut(
    @Param('tokenSha256') tokenSha256: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const body = requestOf(tokenSha256, req.body, optOutBody);
    if ('problems' in body) return badRequest(res, body.problems);
    const outcome = await this.optOuts.optOut(tokenSha256, body.data.source);
    if (outcome.kind === 'unknown') return answerError(res, linkNotFound());
    res.status(200).json({ optedOut: true, alreadyOptedOut: !outcome.fresh });
  }
}
