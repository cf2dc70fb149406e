/** The canonical contract version this library validates; `WritebackRequested.contractVersion` must equal it. */
export const CONTRACT_VERSION = '1';
export type ContractVersion = typeof CONTRACT_VERSION;
