import type { WritebackOperation } from '../contract';
import { coreBankingRestMappings } from './core-banking-rest';
import { coreBankingSftpMappings } from './core-banking-sftp';
import { coreBankingSoapMappings } from './core-banking-soap';
import type { AnyWritebackMapping, WritebackMapping } from './mapping';
import { MappingRegistry } from './mapping-registry';

/** Every mapping Closeout ships. A SOAP or SFTP destination adds its array here; nothing else in the core changes. */
export const defaultMappingRegistry = new MappingRegistry([
  ...coreBankingRestMappings,
  ...coreBankingSoapMappings,
  ...coreBankingSftpMappings,
]);

/** Looks a mapping up in the default registry; throws `MappingNotFoundError` naming what is missing. */
export function getMapping<Op extends WritebackOperation>(
  destination: string,
  operation: Op,
  version: string,
): WritebackMapping<Op>;
export function getMapping(destination: string, operation: string, version: string): AnyWritebackMapping;
export function getMapping(destination: string, operation: string, version: string): AnyWritebackMapping {
  return defaultMappingRegistry.get(destination, operation, version);
}
