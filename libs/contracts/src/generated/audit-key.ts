// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type AuditKey = IoCloseoutKeys.AuditKey;

export namespace IoCloseoutKeys {
    export const AuditKeySchema = "{\"type\":\"record\",\"name\":\"AuditKey\",\"namespace\":\"io.closeout.keys\",\"doc\":\"Key of audit.event.v1: one correlation (case) per partition, so a case's trail stays ordered.\",\"fields\":[{\"name\":\"correlationId\",\"type\":\"string\"}]}";
    export const AuditKeyName = "io.closeout.keys.AuditKey";
    /**
     * Key of audit.event.v1: one correlation (case) per partition, so a case's trail stays ordered.
     */
    export interface AuditKey {
        correlationId: string;
    }
}

