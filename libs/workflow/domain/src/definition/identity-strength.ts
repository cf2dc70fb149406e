import { assertUnreachable } from '@closeout/writeback-domain';
import type { IdentityMethodName, RiskLevel } from './workflow-definition.schema';

/** Whether a customer who proved `provided` has met `required`; OTP_AND_KNOWN_FACT satisfies either alone. */
export function identitySatisfies(provided: IdentityMethodName, required: IdentityMethodName): boolean {
  switch (required) {
    case 'NONE':
      return true;
    case 'OTP':
    case 'KNOWN_FACT':
      return provided === required || provided === 'OTP_AND_KNOWN_FACT';
    case 'OTP_AND_KNOWN_FACT':
      return provided === 'OTP_AND_KNOWN_FACT';
    default:
      return assertUnreachable(required, 'identity method');
  }
}

/** The identity methods a workflow of each risk level may use (DESIGN: identity check matched to risk). */
export function identityMethodsForRisk(risk: RiskLevel): readonly IdentityMethodName[] {
  switch (risk) {
    case 'low':
      return ['OTP', 'KNOWN_FACT', 'OTP_AND_KNOWN_FACT'];
    case 'medium':
      return ['OTP', 'KNOWN_FACT', 'OTP_AND_KNOWN_FACT'];
    case 'high':
      return ['OTP_AND_KNOWN_FACT'];
    default:
      return assertUnreachable(risk, 'risk level');
  }
}
