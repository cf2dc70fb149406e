export * from './load-config';
export * from './kafka-security';
export { z } from 'zod';
export * from './api-tokens';
