/**
 * The mini-app's action forms, as Nest providers for AppModule.register(config, { actionFormProviders, strings }):
 *
 *   actionFormProviders: actionFormProviders(
 *     { cardProcessor: { url, apiKey }, processorStateKey, maxDocumentBytes },   // see ActionFormSettings
 *     createMalwareScanner(config),                                             // clamd, or NOT_SCANNED
 *   ),
 *   strings: FORM_STRINGS,
 *
 * The providers end with the registry, `{ provide: ACTION_FORMS, useFactory: (...forms) => forms, inject: [each
 * form] }`, and DOCUMENT_READER (the DocumentStore). The DocumentStore needs the TypeORM DataSource of the service's
 * database module (schema `miniapp`, migration MiniappDocuments1797500000000 in its migrations).
 */
import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ACTION_FORMS, type ActionForm } from '../action-form';
import { DOCUMENT_READER } from '../action-forms.registry';
import { DocumentStore } from '../../documents/document.store';
import { MALWARE_SCANNER, type MalwareScanner } from '../../documents/malware-scanner';
import { AddressConfirmForm } from './address-confirm.form';
import { loadAttestationText } from './attestation-text';
import { BankTransferForm } from './bank-transfer.form';
import { CardProcessorClient, type CardProcessorSettings } from './card-processor.client';
import { CardUpdateForm } from './card-update.form';
import { DocumentUploadForm } from './document-upload.form';
import type { HostedTokenFormDeps } from './hosted-token-form';
import { PaymentAuthorizeForm } from './payment-authorize.form';
import { PlanChooseForm } from './plan-choose.form';
import { ProcessorState } from './processor-state';

export const ACTION_FORM_SETTINGS = Symbol('ACTION_FORM_SETTINGS');

export interface ActionFormSettings {
  /**
   * CARD_PROCESSOR_URL, CARD_PROCESSOR_API_KEY (and an optional lookup timeout). Without it (or without the state
   * key) the three processor forms — card.update, payment.authorize, payment.bank_transfer — are not registered, and
   * those actions show "call us".
   */
  cardProcessor?: CardProcessorSettings;
  /** HMAC key (≥ 32 bytes, secret) binding the processor's `state` to the session: MINIAPP_PROCESSOR_STATE_KEY. */
  processorStateKey?: string;
  /** Largest upload accepted (bytes), default 10 MiB; the controller's multipart limit must be at least this. */
  maxDocumentBytes?: number;
  /** Time the malware scanner may take per document, default 15 s. */
  scanTimeoutMs?: number;
}

/** Workflows whose document upload comes with a signed attestation, and the text version each signs. */
export const ATTESTATION_TEXTS = { 'kyc-refresh': 'kyc-refresh.v1' } as const;

const HOSTED_DEPS = Symbol('HOSTED_TOKEN_FORM_DEPS');

/** The forms that need the card processor's hosted page. */
const PROCESSOR_FORM_CLASSES = [CardUpdateForm, PaymentAuthorizeForm, BankTransferForm] as const;
/** The forms that work on their own. */
const OWN_FORM_CLASSES = [PlanChooseForm, AddressConfirmForm, DocumentUploadForm] as const;

const PROCESSOR_FORM_PROVIDERS: Provider[] = [
  {
    provide: HOSTED_DEPS,
    useFactory: (s: ActionFormSettings): HostedTokenFormDeps => {
      if (!s.cardProcessor || !s.processorStateKey)
        throw new Error('the processor forms need cardProcessor and processorStateKey');
      return {
        processorUrl: s.cardProcessor.url,
        client: new CardProcessorClient(s.cardProcessor),
        state: new ProcessorState(s.processorStateKey),
      };
    },
    inject: [ACTION_FORM_SETTINGS],
  },
  {
    provide: CardUpdateForm,
    useFactory: (d: HostedTokenFormDeps) => new CardUpdateForm(d),
    inject: [HOSTED_DEPS],
  },
  {
    provide: PaymentAuthorizeForm,
    useFactory: (d: HostedTokenFormDeps) => new PaymentAuthorizeForm(d),
    inject: [HOSTED_DEPS],
  },
  {
    provide: BankTransferForm,
    useFactory: (d: HostedTokenFormDeps) => new BankTransferForm(d),
    inject: [HOSTED_DEPS],
  },
];

const OWN_FORM_PROVIDERS: Provider[] = [
  {
    provide: DocumentStore,
    useFactory: (db: DataSource) => new DocumentStore(db),
    inject: [DataSource],
  },
  { provide: PlanChooseForm, useFactory: () => new PlanChooseForm() },
  { provide: AddressConfirmForm, useFactory: () => new AddressConfirmForm() },
  {
    provide: DocumentUploadForm,
    useFactory: (s: ActionFormSettings, store: DocumentStore, scanner: MalwareScanner) =>
      new DocumentUploadForm(store, scanner, {
        ...(s.maxDocumentBytes !== undefined ? { maxBytes: s.maxDocumentBytes } : {}),
        ...(s.scanTimeoutMs !== undefined ? { scanTimeoutMs: s.scanTimeoutMs } : {}),
        attestations: Object.fromEntries(
          Object.entries(ATTESTATION_TEXTS).map(([workflow, id]) => [
            workflow,
            loadAttestationText(id, 'en-GB'),
          ]),
        ),
      }),
    inject: [ACTION_FORM_SETTINGS, DocumentStore, MALWARE_SCANNER],
  },
  { provide: DOCUMENT_READER, useExisting: DocumentStore },
];

/** Whether the settings let the processor forms be registered. */
export function processorConfigured(settings: ActionFormSettings): boolean {
  return settings.cardProcessor !== undefined && settings.processorStateKey !== undefined;
}

/**
 * The settings and the scanner, the forms' providers and the ACTION_FORMS registry: what AppModule's
 * `actionFormProviders` takes. The processor forms only when the processor is configured.
 */
export function actionFormProviders(settings: ActionFormSettings, scanner: MalwareScanner): Provider[] {
  const withProcessor = processorConfigured(settings);
  const forms = [...(withProcessor ? PROCESSOR_FORM_CLASSES : []), ...OWN_FORM_CLASSES];
  return [
    { provide: ACTION_FORM_SETTINGS, useValue: settings },
    { provide: MALWARE_SCANNER, useValue: scanner },
    ...(withProcessor ? PROCESSOR_FORM_PROVIDERS : []),
    ...OWN_FORM_PROVIDERS,
    {
      provide: ACTION_FORMS,
      useFactory: (...registered: ActionForm[]): ActionForm[] => registered,
      inject: forms,
    },
  ];
}

export {
  ActionFormUnavailableError,
  MALWARE_DETECTED_RULE,
  type ActionFormUnavailableCode,
} from './form-errors';
export { FORM_STRINGS, type FormStrings } from './strings';
export { RETURN_MARKER } from './hosted-token-form';
export { DocumentStore } from '../../documents/document.store';
export { MiniappDocuments1797500000000 } from '../../documents/1797500000000-miniapp-documents.migration';
