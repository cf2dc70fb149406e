/**
 * The one base for errors a service answers a caller with: a machine-readable `code` (each service's codes are a
 * union), the request field it concerns when there is one, and a `rule` saying what that field must be. The HTTP
 * layer maps the code to a status (a table the service registers) and answers problem+json naming the field and the
 * rule: nothing is parsed out of a message, and the rule is written never to quote the caller's input.
 */
export abstract class DomainError<Code extends string = string> extends Error {
  /** The request field the error concerns (`resolution`, `exceptionId`), if any. */
  readonly field: string | undefined;

  protected constructor(
    readonly code: Code,
    /** What was wrong, as a rule: `must be one of retry, close` — never the value the caller sent. */
    readonly rule: string,
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(
      options.field ? `${options.field}: ${rule}` : rule,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.field = options.field;
  }
}

/** HTTP status and problem title for each code a service answers with. */
export type DomainErrorStatuses<Code extends string = string> = Readonly<
  Record<Code, { status: number; title: string }>
>;
