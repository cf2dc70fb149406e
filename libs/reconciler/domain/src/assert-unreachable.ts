/** The `default` of an exhaustive switch: the compiler proves it unreachable, and at run time it names the value. */
export function assertUnreachable(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
