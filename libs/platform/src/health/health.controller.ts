import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import type { Response } from 'express';
import { register } from 'prom-client';
import { ReadinessRegistry } from './readiness.registry';

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  /** Live while the process can answer; Kubernetes restarts the pod otherwise. */
  @Get('health/live')
  live(): { status: 'live' } {
    return { status: 'live' };
  }

  /** Ready only when every dependency answers; the pod gets no traffic (and no partitions) until then. */
  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const result = await this.readiness.evaluate();
    res.status(result.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({
      status: result.ready ? 'ready' : 'not_ready',
      checks: result.checks,
    });
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
