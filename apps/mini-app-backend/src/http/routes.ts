/** The page routes read their own form bodies (urlencoded, or multipart for uploads), bounded there: configureHttp's rawBodyPrefixes. */
export const FORM_ROUTE_PREFIXES: readonly string[] = ['/l/', '/s/'];
