// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type OutreachRequested = IoCloseoutOutreachV1.OutreachRequested;

export namespace IoCloseoutCommon {
    export const ChannelSchema = "{\"type\":\"enum\",\"name\":\"Channel\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"SMS\",\"EMAIL\",\"WHATSAPP\"]}";
    export const ChannelName = "io.closeout.common.Channel";
    export type Channel = "SMS" | "EMAIL" | "WHATSAPP";
}

export namespace IoCloseoutOutreachV1 {
    export const OutreachRequestedSchema = "{\"type\":\"record\",\"name\":\"OutreachRequested\",\"namespace\":\"io.closeout.outreach.v1\",\"doc\":\"The orchestrator asks messaging to reach a customer on one channel with a mini-app link.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"idempotencyKey\",\"type\":\"string\"},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\"},{\"name\":\"outreachId\",\"type\":\"string\"},{\"name\":\"customerId\",\"type\":\"string\"},{\"name\":\"channel\",\"type\":{\"type\":\"enum\",\"name\":\"Channel\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"SMS\",\"EMAIL\",\"WHATSAPP\"]}},{\"name\":\"templateId\",\"type\":\"string\"},{\"name\":\"purpose\",\"type\":\"string\"},{\"name\":\"attempt\",\"type\":\"int\"},{\"name\":\"linkExpiresAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";
    export const OutreachRequestedName = "io.closeout.outreach.v1.OutreachRequested";
    /**
     * The orchestrator asks messaging to reach a customer on one channel with a mini-app link.
     */
    export interface OutreachRequested {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        idempotencyKey: string;
        caseId: string;
        workflowId: string;
        outreachId: string;
        customerId: string;
        channel: IoCloseoutCommon.Channel;
        templateId: string;
        purpose: string;
        attempt: number;
        linkExpiresAt: number;
    }
}

