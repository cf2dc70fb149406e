export const INGEST_API_TOKENS = Symbol('trigger-ingest.api-tokens');
