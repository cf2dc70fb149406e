import type { AnyWritebackMapping } from '../mapping';
import { addressUpdateV1 } from './address-update.mapping';
import { arrangementCreateV1 } from './arrangement-create.mapping';
import { cardUpdateV1 } from './card-update.mapping';
import { documentAttachV1 } from './document-attach.mapping';
import { flagClearV1 } from './flag-clear.mapping';
import { paymentPostV1, paymentPostV2 } from './payment-post.mapping';

export {
  CORE_BANKING_API_V2024_06_01,
  CORE_BANKING_API_V2025_01_15,
  CORE_BANKING_REST,
} from './wire-schema-parts';

/** Every mapping of the `core-banking-rest` destination (the core's REST API, see tools/simulators/rest-core). */
export const coreBankingRestMappings: readonly AnyWritebackMapping[] = [
  paymentPostV1,
  paymentPostV2,
  cardUpdateV1,
  arrangementCreateV1,
  addressUpdateV1,
  documentAttachV1,
  flagClearV1,
];
