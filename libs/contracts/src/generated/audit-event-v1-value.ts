// Generated from schemas/ by tools/codegen/generate-contracts.ts. Do not edit: run `npm run contracts:generate`.
/* eslint-disable @typescript-eslint/no-namespace */

export type AuditEvent = IoCloseoutAuditV1.AuditEvent;

export namespace IoCloseoutAuditV1 {
    export const ActorTypeSchema = "{\"type\":\"enum\",\"name\":\"ActorType\",\"symbols\":[\"SYSTEM\",\"SERVICE\",\"CUSTOMER\",\"AGENT\"]}";
    export const ActorTypeName = "io.closeout.audit.v1.ActorType";
    export type ActorType = "SYSTEM" | "SERVICE" | "CUSTOMER" | "AGENT";
    export const ActorSchema = "{\"type\":\"record\",\"name\":\"Actor\",\"fields\":[{\"name\":\"type\",\"type\":{\"type\":\"enum\",\"name\":\"ActorType\",\"symbols\":[\"SYSTEM\",\"SERVICE\",\"CUSTOMER\",\"AGENT\"]}},{\"name\":\"id\",\"type\":\"string\"}]}";
    export const ActorName = "io.closeout.audit.v1.Actor";
    export interface Actor {
        type: IoCloseoutAuditV1.ActorType;
        id: string;
    }
    export const AuditOutcomeSchema = "{\"type\":\"enum\",\"name\":\"AuditOutcome\",\"symbols\":[\"SUCCESS\",\"FAILURE\",\"DENIED\",\"PENDING\"]}";
    export const AuditOutcomeName = "io.closeout.audit.v1.AuditOutcome";
    export type AuditOutcome = "SUCCESS" | "FAILURE" | "DENIED" | "PENDING";
    export const AuditEventSchema = "{\"type\":\"record\",\"name\":\"AuditEvent\",\"namespace\":\"io.closeout.audit.v1\",\"doc\":\"One audited decision: who, what, when, where, why, with correlation id, versions and references.\",\"fields\":[{\"name\":\"eventId\",\"type\":\"string\"},{\"name\":\"occurredAt\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"},\"doc\":\"when\"},{\"name\":\"correlationId\",\"type\":\"string\"},{\"name\":\"causationId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"actor\",\"doc\":\"who\",\"type\":{\"type\":\"record\",\"name\":\"Actor\",\"fields\":[{\"name\":\"type\",\"type\":{\"type\":\"enum\",\"name\":\"ActorType\",\"symbols\":[\"SYSTEM\",\"SERVICE\",\"CUSTOMER\",\"AGENT\"]}},{\"name\":\"id\",\"type\":\"string\"}]}},{\"name\":\"action\",\"type\":\"string\",\"doc\":\"what, e.g. writeback.applied\"},{\"name\":\"outcome\",\"type\":{\"type\":\"enum\",\"name\":\"AuditOutcome\",\"symbols\":[\"SUCCESS\",\"FAILURE\",\"DENIED\",\"PENDING\"]}},{\"name\":\"service\",\"type\":\"string\",\"doc\":\"where: the emitting service\"},{\"name\":\"host\",\"type\":\"string\",\"doc\":\"where: the emitting host or pod\"},{\"name\":\"reason\",\"type\":\"string\",\"doc\":\"why: the rule, policy or cause that decided it\"},{\"name\":\"caseId\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"versions\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{},\"doc\":\"contract, mapping, definition versions\"},{\"name\":\"references\",\"type\":{\"type\":\"map\",\"values\":\"string\"},\"default\":{},\"doc\":\"idempotency key, provider ref, payload ref, consent ref\"}]}";
    export const AuditEventName = "io.closeout.audit.v1.AuditEvent";
    /**
     * One audited decision: who, what, when, where, why, with correlation id, versions and references.
     */
    export interface AuditEvent {
        eventId: string;
        /**
         * when
         */
        occurredAt: number;
        correlationId: string;
        /**
         * Default: null
         */
        causationId: null | string;
        /**
         * who
         */
        actor: IoCloseoutAuditV1.Actor;
        /**
         * what, e.g. writeback.applied
         */
        action: string;
        outcome: IoCloseoutAuditV1.AuditOutcome;
        /**
         * where: the emitting service
         */
        service: string;
        /**
         * where: the emitting host or pod
         */
        host: string;
        /**
         * why: the rule, policy or cause that decided it
         */
        reason: string;
        /**
         * Default: null
         */
        caseId: null | string;
        /**
         * contract, mapping, definition versions
         *
         * Default: {}
         */
        versions: {
            [index: string]: string;
        };
        /**
         * idempotency key, provider ref, payload ref, consent ref
         *
         * Default: {}
         */
        references: {
            [index: string]: string;
        };
    }
}

