// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type CustomerFacts = IoCloseoutMiniapp.CustomerFacts;

export namespace IoCloseoutMiniapp {
    export const HashedKnownFactSchema = "{\"type\":\"record\",\"name\":\"HashedKnownFact\",\"fields\":[{\"name\":\"name\",\"type\":\"string\",\"doc\":\"dateOfBirth or postalCode\"},{\"name\":\"algorithm\",\"type\":\"string\",\"doc\":\"The hash and its cost, e.g. scrypt:N=16384,r=8,p=1,len=32.\"},{\"name\":\"salt\",\"type\":\"string\",\"doc\":\"base64, random per fact\"},{\"name\":\"hash\",\"type\":\"string\",\"doc\":\"base64\"}]}";
    export const HashedKnownFactName = "io.closeout.miniapp.HashedKnownFact";
    export interface HashedKnownFact {
        /**
         * dateOfBirth or postalCode
         */
        name: string;
        /**
         * The hash and its cost, e.g. scrypt:N=16384,r=8,p=1,len=32.
         */
        algorithm: string;
        /**
         * base64, random per fact
         */
        salt: string;
        /**
         * base64
         */
        hash: string;
    }
    export const CustomerFactsSchema = "{\"type\":\"record\",\"name\":\"CustomerFacts\",\"namespace\":\"io.closeout.miniapp\",\"doc\":\"What a customer can be asked to confirm in the mini-app (date of birth, postcode) as an upstream system of record stated it with a trigger, each as a salted scrypt hash only (@closeout/privacy hashKnownFact; the mini-app checks an answer with verifyKnownFact). Published by trigger-ingest, read by the mini-app only (topic ACL); the raw values are never stored, logged or published.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"customerId\",\"type\":\"string\"},{\"name\":\"sourceSystem\",\"type\":\"string\",\"doc\":\"The system of record the statement came from.\"},{\"name\":\"sourceEventId\",\"type\":\"string\",\"doc\":\"The upstream event that carried it.\"},{\"name\":\"facts\",\"doc\":\"One entry per fact stated, at most one per name.\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"HashedKnownFact\",\"fields\":[{\"name\":\"name\",\"type\":\"string\",\"doc\":\"dateOfBirth or postalCode\"},{\"name\":\"algorithm\",\"type\":\"string\",\"doc\":\"The hash and its cost, e.g. scrypt:N=16384,r=8,p=1,len=32.\"},{\"name\":\"salt\",\"type\":\"string\",\"doc\":\"base64, random per fact\"},{\"name\":\"hash\",\"type\":\"string\",\"doc\":\"base64\"}]}}}]}";
    export const CustomerFactsName = "io.closeout.miniapp.CustomerFacts";
    /**
     * What a customer can be asked to confirm in the mini-app (date of birth, postcode) as an upstream system of record stated it with a trigger, each as a salted scrypt hash only (@closeout/privacy hashKnownFact; the mini-app checks an answer with verifyKnownFact). Published by trigger-ingest, read by the mini-app only (topic ACL); the raw values are never stored, logged or published.
     */
    export interface CustomerFacts {
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
         * One entry per fact stated, at most one per name.
         */
        facts: IoCloseoutMiniapp.HashedKnownFact[];
    }
}

