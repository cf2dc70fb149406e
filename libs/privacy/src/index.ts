export * from './pan';
export * from './contact';
export * from './redact';
export * from './known-facts';
