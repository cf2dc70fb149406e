// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type WritebackRequested = IoCloseoutWritebackV1.WritebackRequested;

export namespace IoCloseoutCommon {
    export const ProtocolSchema = "{\"type\":\"enum\",\"name\":\"Protocol\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"REST\",\"SOAP\",\"SFTP\"]}";
    export const ProtocolName = "io.closeout.common.Protocol";
    export type Protocol = "REST" | "SOAP" | "SFTP";
}

export namespace IoCloseoutWritebackV1 {
    export const WritebackRequestedSchema = "{\"type\":\"record\",\"name\":\"WritebackRequested\",\"namespace\":\"io.closeout.writeback.v1\",\"doc\":\"The canonical writeback contract: write one business action's outcome to one system of record.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"idempotencyKey\",\"type\":\"string\",\"doc\":\"stable per business action, never per attempt\"},{\"name\":\"destination\",\"type\":\"string\",\"doc\":\"a configured system of record\"},{\"name\":\"protocol\",\"type\":{\"type\":\"enum\",\"name\":\"Protocol\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"REST\",\"SOAP\",\"SFTP\"]}},{\"name\":\"operation\",\"type\":\"string\",\"doc\":\"payment.post, card.update, arrangement.create, address.update, document.attach, flag.clear\"},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\"},{\"name\":\"contractVersion\",\"type\":\"string\"},{\"name\":\"mappingVersion\",\"type\":\"string\"},{\"name\":\"payloadJson\",\"type\":\"string\",\"doc\":\"canonical payload as JSON, validated per operation by the writeback contract\"},{\"name\":\"consentRef\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"requestedAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";
    export const WritebackRequestedName = "io.closeout.writeback.v1.WritebackRequested";
    /**
     * The canonical writeback contract: write one business action's outcome to one system of record.
     */
    export interface WritebackRequested {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        /**
         * stable per business action, never per attempt
         */
        idempotencyKey: string;
        /**
         * a configured system of record
         */
        destination: string;
        protocol: IoCloseoutCommon.Protocol;
        /**
         * payment.post, card.update, arrangement.create, address.update, document.attach, flag.clear
         */
        operation: string;
        caseId: string;
        workflowId: string;
        contractVersion: string;
        mappingVersion: string;
        /**
         * canonical payload as JSON, validated per operation by the writeback contract
         */
        payloadJson: string;
        /**
         * Default: null
         */
        consentRef: null | string;
        requestedAt: number;
    }
}

