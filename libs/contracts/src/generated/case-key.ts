// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type CaseKey = IoCloseoutKeys.CaseKey;

export namespace IoCloseoutKeys {
    export const CaseKeySchema = "{\"type\":\"record\",\"name\":\"CaseKey\",\"namespace\":\"io.closeout.keys\",\"doc\":\"Key of every case-scoped topic: all events of one case land on one partition, in order.\",\"fields\":[{\"name\":\"caseId\",\"type\":\"string\"}]}";
    export const CaseKeyName = "io.closeout.keys.CaseKey";
    /**
     * Key of every case-scoped topic: all events of one case land on one partition, in order.
     */
    export interface CaseKey {
        caseId: string;
    }
}

