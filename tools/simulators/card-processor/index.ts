/**
 * TEST DOUBLE — the simulated tokenizing card processor (hosted card / bank-account page, token lookup). Not
 * production code: import it from tests, the demo and harnesses only.
 */
export {
  startCardProcessor,
  type CardProcessor,
  type CardProcessorFault,
  type CardProcessorOptions,
  type CardProcessorStats,
  type IssuedToken,
} from './card-processor.server';
export { cardBrand, luhnValid, type CardBrand } from './luhn';
