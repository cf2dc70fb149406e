import type { WritebackError } from '@closeout/writeback-domain';

/** Resolves with what a destination call threw; fails the test when it did not throw a WritebackError. */
export async function failureOf(promise: Promise<unknown>): Promise<WritebackError> {
  const error: unknown = await promise.then(
    (receipt) => {
      throw new Error(`expected a failure, got ${JSON.stringify(receipt)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toHaveProperty('errorClass');
  return error as WritebackError;
}
