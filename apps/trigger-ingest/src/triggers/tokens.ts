export const INGEST_API_TOKENS = Symbol('trigger-ingest.api-tokens');

/** Source systems the service knows (from the tokens and the upstream topics): the only ones a metric label or log names. */
export const KNOWN_SOURCES = Symbol('trigger-ingest.known-sources');
