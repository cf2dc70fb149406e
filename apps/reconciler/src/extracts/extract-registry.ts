import { assertUnreachable } from '@closeout/reconciler-domain';
import type { CoreExtractAdapter } from './core-extract.port';
import type { ExtractConfig } from './extract-config';
import { RestCoreExtractAdapter } from './rest-core-extract.adapter';
import { SftpCoreExtractAdapter } from './sftp-core-extract.adapter';
import { SoapCoreExtractAdapter } from './soap-core-extract.adapter';

/** One adapter per configured core, chosen by protocol. */
export function buildExtractAdapters(configs: readonly ExtractConfig[]): CoreExtractAdapter[] {
  return configs.map((c) => {
    switch (c.protocol) {
      case 'REST':
        return new RestCoreExtractAdapter(c);
      case 'SOAP':
        return new SoapCoreExtractAdapter(c);
      case 'SFTP':
        return new SftpCoreExtractAdapter(c);
      default:
        return assertUnreachable(c, 'extract protocol');
    }
  });
}
