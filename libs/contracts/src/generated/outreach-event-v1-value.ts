// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type OutreachEvent = IoCloseoutOutreachV1.OutreachEvent;

export namespace IoCloseoutCommon {
    export const ChannelSchema = "{\"type\":\"enum\",\"name\":\"Channel\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"SMS\",\"EMAIL\",\"WHATSAPP\"]}";
    export const ChannelName = "io.closeout.common.Channel";
    export type Channel = "SMS" | "EMAIL" | "WHATSAPP";
}

export namespace IoCloseoutOutreachV1 {
    export const OutreachStatusSchema = "{\"type\":\"enum\",\"name\":\"OutreachStatus\",\"symbols\":[\"SENT\",\"DELIVERED\",\"FAILED\",\"OPENED\",\"CLICKED\",\"OPTED_OUT\",\"SUPPRESSED\"]}";
    export const OutreachStatusName = "io.closeout.outreach.v1.OutreachStatus";
    export type OutreachStatus = "SENT" | "DELIVERED" | "FAILED" | "OPENED" | "CLICKED" | "OPTED_OUT" | "SUPPRESSED";
    export const MiniAppLinkSchema = "{\"type\":\"record\",\"name\":\"MiniAppLink\",\"fields\":[{\"name\":\"tokenSha256\",\"type\":\"string\"},{\"name\":\"customerId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\"},{\"name\":\"purpose\",\"type\":\"string\"},{\"name\":\"expiresAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"locale\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
    export const MiniAppLinkName = "io.closeout.outreach.v1.MiniAppLink";
    export interface MiniAppLink {
        tokenSha256: string;
        customerId: string;
        workflowId: string;
        purpose: string;
        expiresAt: number;
        /**
         * Default: null
         */
        locale: null | string;
    }
    export const OutreachEventSchema = "{\"type\":\"record\",\"name\":\"OutreachEvent\",\"namespace\":\"io.closeout.outreach.v1\",\"doc\":\"What happened to an outreach: sent, delivered, failed, opted out, suppressed.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"outreachId\",\"type\":\"string\"},{\"name\":\"channel\",\"type\":{\"type\":\"enum\",\"name\":\"Channel\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"SMS\",\"EMAIL\",\"WHATSAPP\"]}},{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"OutreachStatus\",\"symbols\":[\"SENT\",\"DELIVERED\",\"FAILED\",\"OPENED\",\"CLICKED\",\"OPTED_OUT\",\"SUPPRESSED\"]}},{\"name\":\"providerRef\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"reason\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"fallbackChannel\",\"type\":[\"null\",\"io.closeout.common.Channel\"],\"default\":null,\"doc\":\"On a FAILED event: the channel messaging falls back to for the same outreach (the message goes out there next). Null: nothing follows, the FAILED is final for the outreach.\"},{\"name\":\"link\",\"default\":null,\"type\":[\"null\",{\"type\":\"record\",\"name\":\"MiniAppLink\",\"fields\":[{\"name\":\"tokenSha256\",\"type\":\"string\"},{\"name\":\"customerId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\"},{\"name\":\"purpose\",\"type\":\"string\"},{\"name\":\"expiresAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"locale\",\"type\":[\"null\",\"string\"],\"default\":null}]}],\"doc\":\"On SENT: the mini-app link the message carries (its SHA-256 only), for the mini-app to honour.\"}]}";
    export const OutreachEventName = "io.closeout.outreach.v1.OutreachEvent";
    /**
     * What happened to an outreach: sent, delivered, failed, opted out, suppressed.
     */
    export interface OutreachEvent {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        caseId: string;
        outreachId: string;
        channel: IoCloseoutCommon.Channel;
        status: IoCloseoutOutreachV1.OutreachStatus;
        /**
         * Default: null
         */
        providerRef: null | string;
        /**
         * Default: null
         */
        reason: null | string;
        /**
         * On a FAILED event: the channel messaging falls back to for the same outreach (the message goes out there next). Null: nothing follows, the FAILED is final for the outreach.
         *
         * Default: null
         */
        fallbackChannel: null | IoCloseoutCommon.Channel;
        /**
         * On SENT: the mini-app link the message carries (its SHA-256 only), for the mini-app to honour.
         *
         * Default: null
         */
        link: null | IoCloseoutOutreachV1.MiniAppLink;
    }
}

