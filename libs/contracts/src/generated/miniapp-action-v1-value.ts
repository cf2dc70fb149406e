// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type MiniappAction = IoCloseoutMiniappV1.MiniappAction;

export namespace IoCloseoutMiniappV1 {
    export const IdentityMethodSchema = "{\"type\":\"enum\",\"name\":\"IdentityMethod\",\"symbols\":[\"NONE\",\"OTP\",\"KNOWN_FACT\",\"OTP_AND_KNOWN_FACT\"]}";
    export const IdentityMethodName = "io.closeout.miniapp.v1.IdentityMethod";
    export type IdentityMethod = "NONE" | "OTP" | "KNOWN_FACT" | "OTP_AND_KNOWN_FACT";
    export const MiniappActionSchema = "{\"type\":\"record\",\"name\":\"MiniappAction\",\"namespace\":\"io.closeout.miniapp.v1\",\"doc\":\"A verified customer took an action in the mini-app.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"idempotencyKey\",\"type\":\"string\"},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\"},{\"name\":\"actionId\",\"type\":\"string\"},{\"name\":\"action\",\"type\":\"string\",\"doc\":\"e.g. card.update, plan.choose, payment.authorize, decline\"},{\"name\":\"identityMethod\",\"type\":{\"type\":\"enum\",\"name\":\"IdentityMethod\",\"symbols\":[\"NONE\",\"OTP\",\"KNOWN_FACT\",\"OTP_AND_KNOWN_FACT\"]}},{\"name\":\"consentRef\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"sessionRef\",\"type\":\"string\"},{\"name\":\"parameters\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{}}]}";
    export const MiniappActionName = "io.closeout.miniapp.v1.MiniappAction";
    /**
     * A verified customer took an action in the mini-app.
     */
    export interface MiniappAction {
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
        actionId: string;
        /**
         * e.g. card.update, plan.choose, payment.authorize, decline
         */
        action: string;
        identityMethod: IoCloseoutMiniappV1.IdentityMethod;
        /**
         * Default: null
         */
        consentRef: null | string;
        sessionRef: string;
        /**
         * Default: {}
         */
        parameters: {
            [index: string]: string;
        };
    }
}

