/**
 * A contact point as the mini-app may show it to the customer ("we sent a code to •••••••42"): a phone number's last
 * two digits, an address's first character and domain. Nothing more of it leaves messaging.
 */
export function maskContactPoint(to: string): string {
  const at = to.lastIndexOf('@');
  if (at > 0) return `${to.slice(0, 1)}•••${to.slice(at)}`;
  const digits = to.replace(/\D/g, '');
  return `•••••••${digits.slice(-2)}`;
}
