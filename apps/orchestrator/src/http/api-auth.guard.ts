import {
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';

export const ORCHESTRATOR_API_TOKENS = Symbol('orchestrator.api-tokens');

/** The case and exception API is for agents and operators only: a bearer token, compared in constant time. */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(@Inject(ORCHESTRATOR_API_TOKENS) private readonly tokens: string[]) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    const given = Buffer.from(token ?? '');
    const ok =
      token !== undefined &&
      this.tokens.some((t) => {
        const known = Buffer.from(t);
        return known.length === given.length && timingSafeEqual(known, given);
      });
    if (!ok) throw new UnauthorizedException('a valid bearer token is required');
    return true;
  }
}
