// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type CaseState = IoCloseoutCasesV1.CaseState;

export namespace IoCloseoutCasesV1 {
    export const CaseStatusSchema = "{\"type\":\"enum\",\"name\":\"CaseStatus\",\"symbols\":[\"TRIGGERED\",\"OUTREACH\",\"AWAITING_CUSTOMER\",\"AWAITING_WRITEBACK\",\"COMPLETED\",\"EXCEPTION\",\"EXPIRED\",\"CLOSED\"]}";
    export const CaseStatusName = "io.closeout.cases.v1.CaseStatus";
    export type CaseStatus = "TRIGGERED" | "OUTREACH" | "AWAITING_CUSTOMER" | "AWAITING_WRITEBACK" | "COMPLETED" | "EXCEPTION" | "EXPIRED" | "CLOSED";
    export const CaseStateSchema = "{\"type\":\"record\",\"name\":\"CaseState\",\"namespace\":\"io.closeout.cases.v1\",\"doc\":\"A case changed state; the reconciler and the ops console build their view from this.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"caseId\",\"type\":\"string\"},{\"name\":\"workflowId\",\"type\":\"string\"},{\"name\":\"definitionVersion\",\"type\":\"string\"},{\"name\":\"state\",\"type\":{\"type\":\"enum\",\"name\":\"CaseStatus\",\"symbols\":[\"TRIGGERED\",\"OUTREACH\",\"AWAITING_CUSTOMER\",\"AWAITING_WRITEBACK\",\"COMPLETED\",\"EXCEPTION\",\"EXPIRED\",\"CLOSED\"]}},{\"name\":\"previousState\",\"type\":[\"null\",\"CaseStatus\"],\"default\":null},{\"name\":\"reason\",\"type\":\"string\"},{\"name\":\"requiredWritebacks\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[]},{\"name\":\"appliedWritebacks\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[]}]}";
    export const CaseStateName = "io.closeout.cases.v1.CaseState";
    /**
     * A case changed state; the reconciler and the ops console build their view from this.
     */
    export interface CaseState {
        eventId: string;
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        caseId: string;
        workflowId: string;
        definitionVersion: string;
        state: IoCloseoutCasesV1.CaseStatus;
        /**
         * Default: null
         */
        previousState: null | IoCloseoutCasesV1.CaseStatus;
        reason: string;
        /**
         * Default: []
         */
        requiredWritebacks: string[];
        /**
         * Default: []
         */
        appliedWritebacks: string[];
    }
}

