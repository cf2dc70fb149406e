/** The business operations a writeback can carry; the wire-level name in `WritebackRequested.operation`. */
export const WRITEBACK_OPERATIONS = [
  'payment.post',
  'card.update',
  'arrangement.create',
  'address.update',
  'document.attach',
  'flag.clear',
] as const;

export type WritebackOperation = (typeof WRITEBACK_OPERATIONS)[number];

export function isWritebackOperation(value: string): value is WritebackOperation {
  return (WRITEBACK_OPERATIONS as readonly string[]).includes(value);
}
