import { Cases1732240000001 } from './1732240000001-cases.migration';
import { CaseEngine1732240000002 } from './1732240000002-case-engine.migration';
import { OutboxSetAside1732240000003 } from './1732240000003-outbox-set-aside.migration';
import { OutreachProgress1732240000004 } from './1732240000004-outreach-progress.migration';
import { OutboxTraceContext1732249000000 } from './1732249000000-outbox-trace-context.migration';

/** Every migration of the orchestrator's schema, oldest first. A new migration is a new file added at the end. */
export const orchestratorMigrations = [
  Cases1732240000001,
  CaseEngine1732240000002,
  OutboxSetAside1732240000003,
  OutreachProgress1732240000004,
  OutboxTraceContext1732249000000,
];
