export * from './contract-version';
export * from './iso-codes';
export * from './operations';
export * from './parse-canonical-payload';
export {
  addressUpdateSchema,
  arrangementCreateSchema,
  canonicalPayloadSchemas,
  cardUpdateSchema,
  DEFAULT_CONTRACT_LIMITS,
  DEFAULT_MAX_INSTALLMENTS,
  documentAttachSchema,
  flagClearSchema,
  paymentPostSchema,
  type CanonicalPayload,
  type CanonicalPayloads,
  type ContractLimits,
  type Money,
} from './payload-schemas';
