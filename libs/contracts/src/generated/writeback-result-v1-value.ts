// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type WritebackResult = IoCloseoutWritebackV1.WritebackResult;

export namespace IoCloseoutCommon {
    export const ProtocolSchema = "{\"type\":\"enum\",\"name\":\"Protocol\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"REST\",\"SOAP\",\"SFTP\"]}";
    export const ProtocolName = "io.closeout.common.Protocol";
    export type Protocol = "REST" | "SOAP" | "SFTP";
}

export namespace IoCloseoutWritebackV1 {
    export const WritebackStatusSchema = "{\"type\":\"enum\",\"name\":\"WritebackStatus\",\"symbols\":[\"PENDING\",\"IN_FLIGHT\",\"APPLIED\",\"FAILED_RETRYABLE\",\"FAILED_PERMANENT\",\"UNKNOWN\",\"REJECTED_CONFLICT\",\"COMPENSATED\"]}";
    export const WritebackStatusName = "io.closeout.writeback.v1.WritebackStatus";
    export type WritebackStatus = "PENDING" | "IN_FLIGHT" | "APPLIED" | "FAILED_RETRYABLE" | "FAILED_PERMANENT" | "UNKNOWN" | "REJECTED_CONFLICT" | "COMPENSATED";
    export const WritebackErrorClassSchema = "{\"type\":\"enum\",\"name\":\"WritebackErrorClass\",\"symbols\":[\"TRANSIENT\",\"RATE_LIMITED\",\"VALIDATION\",\"AMBIGUOUS\",\"CONFLICT\",\"CIRCUIT_OPEN\"]}";
    export const WritebackErrorClassName = "io.closeout.writeback.v1.WritebackErrorClass";
    export type WritebackErrorClass = "TRANSIENT" | "RATE_LIMITED" | "VALIDATION" | "AMBIGUOUS" | "CONFLICT" | "CIRCUIT_OPEN";
    export const WritebackResultSchema = "{\"type\":\"record\",\"name\":\"WritebackResult\",\"namespace\":\"io.closeout.writeback.v1\",\"doc\":\"Where a writeback stands after a transition worth telling: applied, failed, unknown, conflict, or the destination degraded.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"idempotencyKey\",\"type\":\"string\"},{\"name\":\"destination\",\"type\":\"string\"},{\"name\":\"protocol\",\"type\":{\"type\":\"enum\",\"name\":\"Protocol\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"REST\",\"SOAP\",\"SFTP\"]}},{\"name\":\"operation\",\"type\":\"string\"},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\"},{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"WritebackStatus\",\"symbols\":[\"PENDING\",\"IN_FLIGHT\",\"APPLIED\",\"FAILED_RETRYABLE\",\"FAILED_PERMANENT\",\"UNKNOWN\",\"REJECTED_CONFLICT\",\"COMPENSATED\"]}},{\"name\":\"providerRef\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"errorClass\",\"type\":[\"null\",{\"type\":\"enum\",\"name\":\"WritebackErrorClass\",\"symbols\":[\"TRANSIENT\",\"RATE_LIMITED\",\"VALIDATION\",\"AMBIGUOUS\",\"CONFLICT\",\"CIRCUIT_OPEN\"]}],\"default\":null},{\"name\":\"errorMessage\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"attempts\",\"type\":\"int\"},{\"name\":\"latencyMs\",\"type\":\"long\"},{\"name\":\"contractVersion\",\"type\":\"string\"},{\"name\":\"mappingVersion\",\"type\":\"string\"},{\"name\":\"duplicate\",\"type\":\"boolean\",\"default\":false,\"doc\":\"true when republished for a duplicate request\"},{\"name\":\"destinationDegraded\",\"type\":\"boolean\",\"default\":false}]}";
    export const WritebackResultName = "io.closeout.writeback.v1.WritebackResult";
    /**
     * Where a writeback stands after a transition worth telling: applied, failed, unknown, conflict, or the destination degraded.
     */
    export interface WritebackResult {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        idempotencyKey: string;
        destination: string;
        protocol: IoCloseoutCommon.Protocol;
        operation: string;
        caseId: string;
        workflowId: string;
        status: IoCloseoutWritebackV1.WritebackStatus;
        /**
         * Default: null
         */
        providerRef: null | string;
        /**
         * Default: null
         */
        errorClass: null | IoCloseoutWritebackV1.WritebackErrorClass;
        /**
         * Default: null
         */
        errorMessage: null | string;
        attempts: number;
        latencyMs: number;
        contractVersion: string;
        mappingVersion: string;
        /**
         * true when republished for a duplicate request
         *
         * Default: false
         */
        duplicate: boolean;
        /**
         * Default: false
         */
        destinationDegraded: boolean;
    }
}

