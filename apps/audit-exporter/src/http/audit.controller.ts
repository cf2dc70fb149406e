import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { RequirePrincipalGuard } from '@closeout/platform';
import { z } from 'zod';
import { CaseTrailQuery } from '../store/case-trail.query';
import { StoreVerificationService } from '../verify/store-verification.service';

const CASE_ID_RULE = 'must be 1–256 characters of letters, digits and . _ : -';
const AFTER_RULE = 'must be a whole number from 0 to 9007199254740991 (the seq of the last record read)';
const LIMIT_RULE = 'must be a whole number from 1 to 500';

export const TRAIL_LIMITS = { defaultLimit: 100, maxLimit: 500 } as const;

export const trailQuery = z
  .object({
    caseId: z.string({ message: 'is required' }).regex(/^[A-Za-z0-9._:-]{1,256}$/, CASE_ID_RULE),
    after: z
      .string()
      .regex(/^\d{1,16}$/, AFTER_RULE)
      .transform(Number)
      .refine(Number.isSafeInteger, AFTER_RULE)
      .default(0),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, LIMIT_RULE)
      .transform(Number)
      .refine((n) => n >= 1 && n <= TRAIL_LIMITS.maxLimit, LIMIT_RULE)
      .default(TRAIL_LIMITS.defaultLimit),
  })
  .strict();

function problem(
  res: Response,
  status: number,
  title: string,
  errors: { field: string; rule: string }[],
): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, errors });
}

/** The audit store's read side: a case's whole trail, and the store's verification. */
@Controller('v1/audit')
@UseGuards(RequirePrincipalGuard)
export class AuditController {
  constructor(
    private readonly trail: CaseTrailQuery,
    private readonly verification: StoreVerificationService,
  ) {}

  /** `GET /v1/audit?caseId=…&after=<seq>&limit=…`: the case's records in store order, `next` for the page after. */
  @Get()
  async caseTrail(@Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const parsed = trailQuery.safeParse(query);
    if (!parsed.success)
      return problem(
        res,
        400,
        'Invalid audit query',
        parsed.error.issues.map((i) =>
          i.code === 'unrecognized_keys'
            ? { field: '(query)', rule: 'only caseId, after and limit are accepted' }
            : { field: i.path.join('.'), rule: i.message },
        ),
      );
    const { caseId, after, limit } = parsed.data;
    res.json(await this.trail.page(caseId, after, limit));
  }

  /** Walks the whole store; one verification at a time (429 with Retry-After while one runs). */
  @Get('verify')
  async verify(@Res() res: Response): Promise<void> {
    const report = await this.verification.verify();
    if (!report) {
      res.status(429).set('Retry-After', '5').type('application/problem+json').json({
        type: 'about:blank',
        title: 'Too Many Requests',
        status: 429,
        detail: 'a verification is running',
      });
      return;
    }
    res.status(report.ok ? 200 : 409).json(report);
  }
}
