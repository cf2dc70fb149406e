// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type CustomerContact = IoCloseoutMessaging.CustomerContact;

export namespace IoCloseoutMessaging {
    export const ConsentChannelSchema = "{\"type\":\"enum\",\"name\":\"ConsentChannel\",\"symbols\":[\"SMS\",\"EMAIL\",\"WHATSAPP\"]}";
    export const ConsentChannelName = "io.closeout.messaging.ConsentChannel";
    export type ConsentChannel = "SMS" | "EMAIL" | "WHATSAPP";
    export const ConsentStatementSchema = "{\"type\":\"record\",\"name\":\"ConsentStatement\",\"fields\":[{\"name\":\"channel\",\"type\":{\"type\":\"enum\",\"name\":\"ConsentChannel\",\"symbols\":[\"SMS\",\"EMAIL\",\"WHATSAPP\"]}},{\"name\":\"purpose\",\"type\":\"string\"},{\"name\":\"granted\",\"type\":\"boolean\",\"doc\":\"false: revoked.\"},{\"name\":\"source\",\"type\":\"string\",\"doc\":\"Where the consent was captured (e.g. online-banking, branch, call).\"},{\"name\":\"statedAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";
    export const ConsentStatementName = "io.closeout.messaging.ConsentStatement";
    export interface ConsentStatement {
        channel: IoCloseoutMessaging.ConsentChannel;
        purpose: string;
        /**
         * false: revoked.
         */
        granted: boolean;
        /**
         * Where the consent was captured (e.g. online-banking, branch, call).
         */
        source: string;
        statedAt: number;
    }
    export const CustomerContactSchema = "{\"type\":\"record\",\"name\":\"CustomerContact\",\"namespace\":\"io.closeout.messaging\",\"doc\":\"A customer's contact points and consents as an upstream system of record stated them with a trigger. Personal data: published by trigger-ingest, read by messaging only (topic ACL); never copied to another topic, log or metric label.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"customerId\",\"type\":\"string\"},{\"name\":\"sourceSystem\",\"type\":\"string\",\"doc\":\"The system of record the statement came from.\"},{\"name\":\"sourceEventId\",\"type\":\"string\",\"doc\":\"The upstream event that carried it.\"},{\"name\":\"email\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"Validated address; null when not stated.\"},{\"name\":\"phone\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"E.164; null when not stated.\"},{\"name\":\"timeZone\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"IANA time zone, when stated.\"},{\"name\":\"locale\",\"type\":[\"null\",\"string\"],\"default\":null,\"doc\":\"BCP 47 locale, when stated.\"},{\"name\":\"consents\",\"doc\":\"Consent statements per channel and purpose; an empty list states none.\",\"default\":[],\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"ConsentStatement\",\"fields\":[{\"name\":\"channel\",\"type\":{\"type\":\"enum\",\"name\":\"ConsentChannel\",\"symbols\":[\"SMS\",\"EMAIL\",\"WHATSAPP\"]}},{\"name\":\"purpose\",\"type\":\"string\"},{\"name\":\"granted\",\"type\":\"boolean\",\"doc\":\"false: revoked.\"},{\"name\":\"source\",\"type\":\"string\",\"doc\":\"Where the consent was captured (e.g. online-banking, branch, call).\"},{\"name\":\"statedAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}}}]}";
    export const CustomerContactName = "io.closeout.messaging.CustomerContact";
    /**
     * A customer's contact points and consents as an upstream system of record stated them with a trigger. Personal data: published by trigger-ingest, read by messaging only (topic ACL); never copied to another topic, log or metric label.
     */
    export interface CustomerContact {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        customerId: string;
        /**
         * The system of record the statement came from.
         */
        sourceSystem: string;
        /**
         * The upstream event that carried it.
         */
        sourceEventId: string;
        /**
         * Validated address; null when not stated.
         *
         * Default: null
         */
        email: null | string;
        /**
         * E.164; null when not stated.
         *
         * Default: null
         */
        phone: null | string;
        /**
         * IANA time zone, when stated.
         *
         * Default: null
         */
        timeZone: null | string;
        /**
         * BCP 47 locale, when stated.
         *
         * Default: null
         */
        locale: null | string;
        /**
         * Consent statements per channel and purpose; an empty list states none.
         *
         * Default: []
         */
        consents: IoCloseoutMessaging.ConsentStatement[];
    }
}

