import { BadRequestException, Controller, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { RequirePrincipalGuard } from '@closeout/platform';
import { BREAK_KINDS } from '@closeout/reconciler-domain';
import type { PassSummary } from '../reconcile/reconcile-pass.use-case';
import { ReconcileScheduler } from '../reconcile/reconcile-scheduler';
import type { AlertRow, BreakRow } from '../persistence/reconciler.repository';
import type { SloReport } from '../slo/slo.service';

type StatusFilter = 'OPEN' | 'RESOLVED' | undefined;

function statusFilter(value: string | undefined): StatusFilter {
  if (value === undefined || value === 'all') return undefined;
  if (value === 'open') return 'OPEN';
  if (value === 'resolved') return 'RESOLVED';
  throw new BadRequestException({ type: 'about:blank', title: 'invalid query', detail: 'status: must be open, resolved or all' });
}

export const DESTINATION = /^[A-Za-z0-9._:-]{1,128}$/;

/** Operators' and tests' view: SLO figures, breaks, alerts, and the pass on demand; bearer tokens only. */
@Controller('v1')
@UseGuards(RequirePrincipalGuard)
export class ReconcilerController {
  constructor(private readonly scheduler: ReconcileScheduler) {}

  @Get('slo')
  slo(): Promise<SloReport> {
    return this.scheduler.slo.report(Date.now());
  }

  @Get('breaks')
  async breaks(
    @Query('status') status?: string,
    @Query('kind') kind?: string,
    @Query('destination') destination?: string,
  ): Promise<{ data: BreakRow[] }> {
    if (kind !== undefined && !(BREAK_KINDS as readonly string[]).includes(kind))
      throw new BadRequestException({ type: 'about:blank', title: 'invalid query', detail: `kind: must be one of ${BREAK_KINDS.join(', ')}` });
    if (destination !== undefined && !DESTINATION.test(destination))
      throw new BadRequestException({
        type: 'about:blank',
        title: 'invalid query',
        detail: 'destination: must be 1–128 characters of letters, digits and . _ : -',
      });
    const filter = statusFilter(status);
    return {
      data: await this.scheduler.repository.breaks({
        ...(filter ? { status: filter } : {}),
        ...(kind ? { kind } : {}),
        ...(destination ? { destination } : {}),
      }),
    };
  }

  @Get('alerts')
  async alerts(@Query('status') status?: string): Promise<{ data: AlertRow[] }> {
    const filter = statusFilter(status);
    return { data: await this.scheduler.repository.alerts(filter ? { status: filter } : {}) };
  }

  @Post('reconcile')
  @HttpCode(200)
  reconcile(): Promise<PassSummary> {
    return this.scheduler.runNow();
  }
}
