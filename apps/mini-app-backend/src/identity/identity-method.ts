/**
 * Identity methods (the workflow definition's `identity`, and an action's own): which checks a session must pass.
 * Pure: no I/O.
 */
export const IDENTITY_METHODS = ['NONE', 'OTP', 'KNOWN_FACT', 'OTP_AND_KNOWN_FACT'] as const;
export type IdentityMethod = (typeof IDENTITY_METHODS)[number];

export interface Checks {
  otp: boolean;
  knownFact: boolean;
}

export function checksOf(method: IdentityMethod): Checks {
  switch (method) {
    case 'NONE':
      return { otp: false, knownFact: false };
    case 'OTP':
      return { otp: true, knownFact: false };
    case 'KNOWN_FACT':
      return { otp: false, knownFact: true };
    case 'OTP_AND_KNOWN_FACT':
      return { otp: true, knownFact: true };
    default: {
      const never: never = method;
      throw new Error(`unknown identity method ${String(never)}`);
    }
  }
}

export function methodOf(checks: Checks): IdentityMethod {
  if (checks.otp && checks.knownFact) return 'OTP_AND_KNOWN_FACT';
  if (checks.otp) return 'OTP';
  if (checks.knownFact) return 'KNOWN_FACT';
  return 'NONE';
}

/** Everything the workflow and each of the listed actions ask for: the customer verifies once, up front. */
export function requiredMethod(workflow: IdentityMethod, actions: readonly IdentityMethod[]): IdentityMethod {
  const all = [workflow, ...actions].map(checksOf);
  return methodOf({ otp: all.some((c) => c.otp), knownFact: all.some((c) => c.knownFact) });
}

/** Whether what the session verified covers what `required` asks. */
export function satisfies(verified: Checks, required: IdentityMethod): boolean {
  const need = checksOf(required);
  return (!need.otp || verified.otp) && (!need.knownFact || verified.knownFact);
}

/** Wrong tries of one check a session gets; the last wrong one locks the session and routes the case. */
export const MAX_WRONG_TRIES = 5;
