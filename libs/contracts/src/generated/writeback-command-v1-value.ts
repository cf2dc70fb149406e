// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type WritebackCommand = IoCloseoutWritebackV1.WritebackCommand;

export namespace IoCloseoutWritebackV1 {
    export const WritebackCommandTypeSchema = "{\"type\":\"enum\",\"name\":\"WritebackCommandType\",\"symbols\":[\"RESOLVE\",\"REPLAY\",\"FLAG\"]}";
    export const WritebackCommandTypeName = "io.closeout.writeback.v1.WritebackCommandType";
    export type WritebackCommandType = "RESOLVE" | "REPLAY" | "FLAG";
    export const WritebackCommandSchema = "{\"type\":\"record\",\"name\":\"WritebackCommand\",\"namespace\":\"io.closeout.writeback.v1\",\"doc\":\"The reconciler tells the owning writeback service to resolve, replay or flag one writeback.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"commandId\",\"type\":\"string\"},{\"name\":\"command\",\"type\":{\"type\":\"enum\",\"name\":\"WritebackCommandType\",\"symbols\":[\"RESOLVE\",\"REPLAY\",\"FLAG\"]}},{\"name\":\"idempotencyKey\",\"type\":\"string\"},{\"name\":\"destination\",\"type\":\"string\"},{\"name\":\"protocol\",\"type\":{\"type\":\"enum\",\"name\":\"Protocol\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"REST\",\"SOAP\",\"SFTP\"]}},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"breakId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"reason\",\"type\":\"string\"},{\"name\":\"issuedBy\",\"type\":\"string\"}]}";
    export const WritebackCommandName = "io.closeout.writeback.v1.WritebackCommand";
    /**
     * The reconciler tells the owning writeback service to resolve, replay or flag one writeback.
     */
    export interface WritebackCommand {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        commandId: string;
        command: IoCloseoutWritebackV1.WritebackCommandType;
        idempotencyKey: string;
        destination: string;
        protocol: IoCloseoutCommon.Protocol;
        caseId: string;
        /**
         * Default: null
         */
        breakId: null | string;
        reason: string;
        issuedBy: string;
    }
}

export namespace IoCloseoutCommon {
    export const ProtocolSchema = "{\"type\":\"enum\",\"name\":\"Protocol\",\"namespace\":\"io.closeout.common\",\"symbols\":[\"REST\",\"SOAP\",\"SFTP\"]}";
    export const ProtocolName = "io.closeout.common.Protocol";
    export type Protocol = "REST" | "SOAP" | "SFTP";
}

