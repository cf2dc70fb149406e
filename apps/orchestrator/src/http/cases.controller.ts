import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RequirePrincipalGuard, principalOf } from '@closeout/platform';
import { z } from 'zod';
import { CaseQueries } from '../cases/case-queries';
import { EligibleActionsQuery } from '../cases/eligible-actions.query';
import {
  RESOLUTIONS,
  ResolveExceptionUseCase,
  allowedResolutions,
} from '../exceptions/resolve-exception.use-case';

function problem(
  res: Response,
  status: number,
  title: string,
  errors: { field: string; rule: string }[],
): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, errors });
}

/** The principals (ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS) whose token may name the human agent in `X-On-Behalf-Of`. */
export const ON_BEHALF_OF_PRINCIPALS = Symbol('orchestrator.on-behalf-of-principals');

/** The header a tool that signs its own operators in names the agent with; only its principal may send it. */
export const ON_BEHALF_OF_HEADER = 'x-on-behalf-of';
const AGENT_RULE = 'must be 1–64 characters of letters, digits and . _ : @ -, starting with a letter or digit';
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;

/** Ids in paths and filters: what case ids, exception ids, queues, kinds and workflow ids are made of. */
const ID_RULE = 'must be 1–128 characters of letters, digits and . _ : -';
export const id = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, ID_RULE);

export const listQuery = z
  .object({
    status: z.enum(['OPEN', 'RESOLVED'], { message: 'must be OPEN or RESOLVED' }).optional(),
    queue: id.optional(),
    kind: id.optional(),
    workflowId: id.optional(),
    openedAfter: z.iso.datetime({ message: 'must be an ISO 8601 timestamp with offset' }).optional(),
    limit: z.coerce
      .number({ message: 'must be a whole number from 1 to 500' })
      .int('must be a whole number from 1 to 500')
      .min(1, 'must be a whole number from 1 to 500')
      .max(500, 'must be a whole number from 1 to 500')
      .default(100),
  })
  .strict();

export const resolveBody = z
  .object({
    resolution: z.enum(RESOLUTIONS, { message: `must be one of ${RESOLUTIONS.join(', ')}` }),
    /** Optional and only ever the caller's own id: the agent is the one the bearer token names. */
    agentId: z.string().max(128, 'must be at most 128 characters').optional(),
    note: z
      .string({ message: 'must say why, for the audit trail' })
      .min(1, 'must say why, for the audit trail')
      .max(2000, 'must be at most 2000 characters')
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must not contain control characters'),
  })
  .strict();

/** What an agent may do with each open exception: the same table the resolve route checks. */
const withAllowedResolutions = (items: Record<string, unknown>[]) =>
  items.map((i) => ({
    ...i,
    allowedResolutions: i['status'] === 'OPEN' ? allowedResolutions(String(i['kind'])) : [],
  }));

const issues = (e: z.ZodError) =>
  e.issues.map((i) => ({
    field: i.path.join('.') || '(body)',
    rule: i.code === 'unrecognized_keys' ? 'unknown fields are not accepted' : i.message,
  }));

/** Cases and their timelines, and the exception queue agents work. */
@Controller('v1')
@UseGuards(RequirePrincipalGuard)
export class CasesController {
  constructor(
    private readonly queries: CaseQueries,
    private readonly resolve: ResolveExceptionUseCase,
    private readonly eligibleActions: EligibleActionsQuery,
    @Inject(ON_BEHALF_OF_PRINCIPALS) private readonly onBehalfOf: readonly string[],
  ) {}

  @Get('cases/:caseId')
  async getCase(@Param('caseId') caseId: string, @Res() res: Response): Promise<void> {
    if (!id.safeParse(caseId).success)
      return problem(res, 400, 'Invalid case id', [{ field: 'caseId', rule: ID_RULE }]);
    const found = await this.queries.getCase(caseId);
    if (!found) return problem(res, 404, 'No such case', [{ field: 'caseId', rule: 'no case has this id' }]);
    res.json({ ...found, exceptions: withAllowedResolutions(found['exceptions'] as Record<string, unknown>[]) });
  }

  /** What the mini-app may offer the customer now; the orchestrator still checks every action it receives. */
  @Get('cases/:caseId/eligible-actions')
  async getEligibleActions(@Param('caseId') caseId: string, @Res() res: Response): Promise<void> {
    if (!id.safeParse(caseId).success)
      return problem(res, 400, 'Invalid case id', [{ field: 'caseId', rule: ID_RULE }]);
    const found = await this.eligibleActions.execute(caseId);
    if (!found) return problem(res, 404, 'No such case', [{ field: 'caseId', rule: 'no case has this id' }]);
    res.json(found);
  }

  @Get('exceptions')
  async list(@Query() query: unknown, @Res() res: Response): Promise<void> {
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) return problem(res, 400, 'Invalid exception filter', issues(parsed.error));
    res.json({ items: withAllowedResolutions(await this.queries.listExceptions(parsed.data)) });
  }

  @Post('exceptions/:exceptionId/resolve')
  @HttpCode(200)
  async resolveException(
    @Param('exceptionId') exceptionId: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (!id.safeParse(exceptionId).success)
      return problem(res, 400, 'Invalid exception id', [{ field: 'exceptionId', rule: ID_RULE }]);
    const parsed = resolveBody.safeParse(body);
    if (!parsed.success) return problem(res, 400, 'Invalid resolution', issues(parsed.error));
    const principal = principalOf(req).id;
    // A tool that signs its operators in (the ops console) names the agent; anyone else acts in its own name.
    const named = req.headers[ON_BEHALF_OF_HEADER];
    let agentId = principal;
    let via: string | undefined;
    if (named !== undefined) {
      if (!this.onBehalfOf.includes(principal))
        return problem(res, 403, 'This caller may not act on behalf of an agent', [
          { field: 'X-On-Behalf-Of', rule: 'only a principal of ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS may send it' },
        ]);
      if (typeof named !== 'string' || !AGENT_ID.test(named))
        return problem(res, 400, 'Invalid agent', [{ field: 'X-On-Behalf-Of', rule: AGENT_RULE }]);
      agentId = named;
      via = principal;
    }
    if (parsed.data.agentId !== undefined && parsed.data.agentId !== agentId)
      return problem(res, 403, 'An agent resolves exceptions in its own name', [
        { field: 'agentId', rule: 'must be the agent the bearer token (or X-On-Behalf-Of) names, or left out' },
      ]);
    // A ResolveExceptionError is answered by the HTTP layer's ProblemDetailsFilter (RESOLVE_ERROR_STATUSES).
    res.json(
      await this.resolve.execute({
        exceptionId,
        note: parsed.data.note,
        resolution: parsed.data.resolution,
        agentId,
        via,
      }),
    );
  }
}
