// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type CustomerKey = IoCloseoutKeys.CustomerKey;

export namespace IoCloseoutKeys {
    export const CustomerKeySchema = "{\"type\":\"record\",\"name\":\"CustomerKey\",\"namespace\":\"io.closeout.keys\",\"doc\":\"Key of customer-scoped topics: all statements about one customer land on one partition, in order.\",\"fields\":[{\"name\":\"customerId\",\"type\":\"string\"}]}";
    export const CustomerKeyName = "io.closeout.keys.CustomerKey";
    /**
     * Key of customer-scoped topics: all statements about one customer land on one partition, in order.
     */
    export interface CustomerKey {
        customerId: string;
    }
}

