import { Module, type DynamicModule } from '@nestjs/common';
import { AuditEmitter, AUDIT_SERVICE_NAME } from './audit.emitter';

@Module({})
export class AuditModule {
  static forService(serviceName: string): DynamicModule {
    return {
      module: AuditModule,
      global: true,
      providers: [{ provide: AUDIT_SERVICE_NAME, useValue: serviceName }, AuditEmitter],
      exports: [AuditEmitter],
    };
  }
}
