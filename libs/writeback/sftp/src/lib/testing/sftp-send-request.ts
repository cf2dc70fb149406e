import type { WritebackRequested } from '@closeout/contracts';
import { defaultMappingRegistry, parseWritebackRequest } from '@closeout/writeback-domain';
import type { SendRequest } from '@closeout/writeback-core';

/** What the worker would hand an SFTP destination for `request`: mapped with the `core-banking-sftp` mappings. */
export function sftpSendRequest(request: WritebackRequested): SendRequest {
  const parsed = parseWritebackRequest(request);
  const mapping = defaultMappingRegistry.get('core-banking-sftp', parsed.operation, request.mappingVersion);
  return {
    idempotencyKey: request.idempotencyKey,
    correlationId: request.correlationId,
    wire: defaultMappingRegistry.toWire(mapping, parsed.payload),
  };
}
