import { dlqTopic } from '@closeout/contracts';
import { createLogger } from '@closeout/telemetry';
import type { DecodeFailure } from '../kafka.errors';
import type { HeaderValue, IncomingRecord, OutgoingRecord, ProducerPort } from '../ports/message-bus.port';
import type { KafkaMetrics } from '../metrics/kafka.metrics';

/**
 * Why a message went to the DLQ, as a small closed set (a metric label and an ops filter); the
 * `dlq-reason` header carries the full sentence. `poison`: the handler refused the message; `exhausted`: the
 * handler kept failing with an error that is not transient, maxAttempts times. The class travels as a header
 * string, not in an Avro record, so a new class changes no schema.
 */
export type DlqReasonClass =
  | DecodeFailure
  | 'missing-correlation-id'
  | 'unauthenticated'
  | 'unserved'
  | 'validation'
  | 'poison'
  | 'exhausted';

export const DlqHeaderNames = {
  reason: 'dlq-reason',
  reasonClass: 'dlq-reason-class',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  failedAt: 'dlq-failed-at',
  consumerGroup: 'dlq-consumer-group',
} as const;

export interface DeadLetter {
  record: IncomingRecord;
  reasonClass: DlqReasonClass;
  reason: string;
  groupId: string;
  failedAt: Date;
}

/** Header values are bounded so one huge error message cannot make the dead letter itself unproducible. */
const MAX_REASON_LENGTH = 2000;

/**
 * The dead letter for a message: same key and value bytes as received (so it can be replayed as is),
 * the original headers, and `dlq-*` headers saying where it came from and why. `dlq-*` headers from an
 * earlier trip through a DLQ are replaced, not repeated.
 */
export function buildDeadLetterRecord({
  record,
  reasonClass,
  reason,
  groupId,
  failedAt,
}: DeadLetter): OutgoingRecord {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (value !== undefined && !name.startsWith('dlq-')) headers[name] = value;
  }
  headers[DlqHeaderNames.reason] =
    reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 3)}...` : reason;
  headers[DlqHeaderNames.reasonClass] = reasonClass;
  headers[DlqHeaderNames.originalTopic] = record.topic;
  headers[DlqHeaderNames.originalPartition] = String(record.partition);
  headers[DlqHeaderNames.originalOffset] = record.offset;
  headers[DlqHeaderNames.failedAt] = failedAt.toISOString();
  headers[DlqHeaderNames.consumerGroup] = groupId;
  return { topic: dlqTopic(record.topic), key: record.key, value: record.value, headers };
}

/** Sends dead letters through the shared producer, counts them and says why in the log. */
export class DeadLetterPublisher {
  private readonly log = createLogger('kafka.dead-letter');

  constructor(
    private readonly producer: ProducerPort,
    private readonly metrics: KafkaMetrics,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async send(
    record: IncomingRecord,
    reasonClass: DlqReasonClass,
    reason: string,
    groupId: string,
  ): Promise<void> {
    const letter = buildDeadLetterRecord({ record, reasonClass, reason, groupId, failedAt: this.now() });
    await this.producer.send([letter]);
    this.metrics.deadLettered.inc({ topic: record.topic, reason_class: reasonClass });
    this.log.warn(
      {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        groupId,
        reasonClass,
        dlqTopic: letter.topic,
      },
      `message sent to ${letter.topic}: ${reason}`,
    );
  }
}
