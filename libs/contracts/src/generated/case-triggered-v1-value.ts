// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type CaseTriggered = IoCloseoutCasesV1.CaseTriggered;

export namespace IoCloseoutCasesV1 {
    export const TriggerSourceSchema = "{\"type\":\"record\",\"name\":\"TriggerSource\",\"fields\":[{\"name\":\"system\",\"type\":\"string\"},{\"name\":\"eventId\",\"type\":\"string\",\"doc\":\"upstream event id, the dedupe key\"},{\"name\":\"eventType\",\"type\":\"string\"},{\"name\":\"mappingVersion\",\"type\":\"string\"},{\"name\":\"payloadRef\",\"type\":\"string\",\"doc\":\"sha256 of the upstream payload as received\"}]}";
    export const TriggerSourceName = "io.closeout.cases.v1.TriggerSource";
    export interface TriggerSource {
        system: string;
        /**
         * upstream event id, the dedupe key
         */
        eventId: string;
        eventType: string;
        mappingVersion: string;
        /**
         * sha256 of the upstream payload as received
         */
        payloadRef: string;
    }
    export const CustomerRefSchema = "{\"type\":\"record\",\"name\":\"CustomerRef\",\"fields\":[{\"name\":\"customerId\",\"type\":\"string\"},{\"name\":\"accountId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"locale\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"timeZone\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
    export const CustomerRefName = "io.closeout.cases.v1.CustomerRef";
    export interface CustomerRef {
        customerId: string;
        /**
         * Default: null
         */
        accountId: null | string;
        /**
         * Default: null
         */
        locale: null | string;
        /**
         * Default: null
         */
        timeZone: null | string;
    }
    export const CaseTriggeredSchema = "{\"type\":\"record\",\"name\":\"CaseTriggered\",\"namespace\":\"io.closeout.cases.v1\",\"doc\":\"A canonical trigger: an upstream event mapped by trigger-ingest into a case to be worked.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\",\"doc\":\"e.g. failed-payment-recovery\"},{\"name\":\"source\",\"type\":{\"type\":\"record\",\"name\":\"TriggerSource\",\"fields\":[{\"name\":\"system\",\"type\":\"string\"},{\"name\":\"eventId\",\"type\":\"string\",\"doc\":\"upstream event id, the dedupe key\"},{\"name\":\"eventType\",\"type\":\"string\"},{\"name\":\"mappingVersion\",\"type\":\"string\"},{\"name\":\"payloadRef\",\"type\":\"string\",\"doc\":\"sha256 of the upstream payload as received\"}]}},{\"name\":\"customer\",\"type\":{\"type\":\"record\",\"name\":\"CustomerRef\",\"fields\":[{\"name\":\"customerId\",\"type\":\"string\"},{\"name\":\"accountId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"locale\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"timeZone\",\"type\":[\"null\",\"string\"],\"default\":null}]}},{\"name\":\"amount\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"Money\",\"namespace\":\"io.closeout.common\",\"doc\":\"Money in integer minor units of an ISO 4217 currency; never a float.\",\"fields\":[{\"name\":\"amountMinor\",\"type\":\"long\"},{\"name\":\"currency\",\"type\":\"string\"}]}],\"default\":null},{\"name\":\"attributes\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{}}]}";
    export const CaseTriggeredName = "io.closeout.cases.v1.CaseTriggered";
    /**
     * A canonical trigger: an upstream event mapped by trigger-ingest into a case to be worked.
     */
    export interface CaseTriggered {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        caseId: string;
        /**
         * e.g. failed-payment-recovery
         */
        workflowId: string;
        source: IoCloseoutCasesV1.TriggerSource;
        customer: IoCloseoutCasesV1.CustomerRef;
        /**
         * Default: null
         */
        amount: null | IoCloseoutCommon.Money;
        /**
         * Default: {}
         */
        attributes: {
            [index: string]: string;
        };
    }
}

export namespace IoCloseoutCommon {
    export const MoneySchema = "{\"type\":\"record\",\"name\":\"Money\",\"namespace\":\"io.closeout.common\",\"doc\":\"Money in integer minor units of an ISO 4217 currency; never a float.\",\"fields\":[{\"name\":\"amountMinor\",\"type\":\"long\"},{\"name\":\"currency\",\"type\":\"string\"}]}";
    export const MoneyName = "io.closeout.common.Money";
    /**
     * Money in integer minor units of an ISO 4217 currency; never a float.
     */
    export interface Money {
        amountMinor: number;
        currency: string;
    }
}

