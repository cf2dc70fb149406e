/**
 * Closes an exhaustive `switch` over a string-literal union: adding a member to the union turns every switch
 * that forgot it into a compile error, and a value smuggled past the types fails loudly at run time.
 */
export function assertUnreachable(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}
