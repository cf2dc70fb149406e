import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { CaseQueries } from '../cases/case-queries';
import {
  RESOLUTIONS,
  ResolveExceptionError,
  ResolveExceptionUseCase,
} from '../exceptions/resolve-exception.use-case';
import { ApiAuthGuard } from './api-auth.guard';

function problem(
  res: Response,
  status: number,
  title: string,
  errors: { field: string; rule: string }[],
): void {
  res.status(status).type('application/problem+json').json({ type: 'about:blank', title, status, errors });
}

const listQuery = z.object({
  status: z.enum(['OPEN', 'RESOLVED'], { message: 'must be OPEN or RESOLVED' }).optional(),
  queue: z.string().min(1).optional(),
  kind: z.string().min(1).optional(),
  workflowId: z.string().min(1).optional(),
  openedAfter: z.iso.datetime({ message: 'must be an ISO 8601 timestamp with offset' }).optional(),
  limit: z.coerce.number().int().min(1).max(500, 'must be at most 500').default(100),
});

const resolveBody = z.object({
  resolution: z.enum(RESOLUTIONS, { message: `must be one of ${RESOLUTIONS.join(', ')}` }),
  agentId: z.string().min(1, 'must name the agent resolving it'),
  note: z.string().min(1, 'must say why, for the audit trail').max(2000),
});

const issues = (e: z.ZodError) =>
  e.issues.map((i) => ({ field: i.path.join('.') || '(body)', rule: i.message }));

/** Cases and their timelines, and the exception queue agents work. */
@Controller('v1')
@UseGuards(ApiAuthGuard)
export class CasesController {
  constructor(
    private readonly queries: CaseQueries,
    private readonly resolve: ResolveExceptionUseCase,
  ) {}

  @Get('cases/:caseId')
  async getCase(@Param('caseId') caseId: string, @Res() res: Response): Promise<void> {
    const found = await this.queries.getCase(caseId);
    if (!found) return problem(res, 404, 'No such case', [{ field: 'caseId', rule: `no case '${caseId}'` }]);
    res.json(found);
  }

  @Get('exceptions')
  async list(@Query() query: unknown, @Res() res: Response): Promise<void> {
    const parsed = listQuery.safeParse(query);
    if (!parsed.success) return problem(res, 400, 'Invalid exception filter', issues(parsed.error));
    res.json({ items: await this.queries.listExceptions(parsed.data) });
  }

  @Post('exceptions/:exceptionId/resolve')
  @HttpCode(200)
  async resolveException(
    @Param('exceptionId') exceptionId: string,
    @Body() body: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const parsed = resolveBody.safeParse(body);
    if (!parsed.success) return problem(res, 400, 'Invalid resolution', issues(parsed.error));
    try {
      res.json(await this.resolve.execute({ exceptionId, ...parsed.data }));
    } catch (err) {
      if (!(err instanceof ResolveExceptionError)) throw err;
      const field = err.message.split(':')[0]!;
      const status = err.code === 'EXCEPTION_NOT_FOUND' ? 404 : 409;
      problem(res, status, 'The exception cannot be resolved this way', [{ field, rule: err.message }]);
    }
  }
}
