// Prints the scrypt hash of a password read from standard input, for CONSOLE_OPERATORS (`id:role:<hash>`).
// Usage: printf '%s' "$PASSWORD" | node -r @swc-node/register apps/ops-console/src/hash-password.ts
import { hashPassword } from './auth/passwords';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => (input += chunk));
process.stdin.on('end', () => {
  const password = input.replace(/\r?\n$/, '');
  if (password.length < 12 || password.length > 256) {
    console.error('the password must be 12–256 characters');
    process.exit(1);
  }
  hashPassword(password).then(
    (hash) => console.log(hash),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
