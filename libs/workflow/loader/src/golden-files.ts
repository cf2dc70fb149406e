import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoldenFiles } from '@closeout/workflow-domain';

/** The writeback domain's golden payloads in a checkout, found from this file so it works from any directory. */
export const DEFAULT_GOLDEN_ROOT = join(
  __dirname,
  '..',
  '..',
  '..',
  'writeback',
  'domain',
  'src',
  'mappings',
  'golden',
);

/** The golden payload pairs under a directory (default: the writeback domain's, as shipped in the repository). */
export function goldenFilesAt(root: string = DEFAULT_GOLDEN_ROOT): GoldenFiles {
  return {
    root,
    rootExists: () => existsSync(root),
    read: (segments) => {
      const file = join(root, ...segments);
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    },
  };
}
