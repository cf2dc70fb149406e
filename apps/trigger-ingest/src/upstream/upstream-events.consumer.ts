import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { EventSubscriber, PoisonMessageError, type Subscription } from '@closeout/kafka';
import { containsPan } from '@closeout/privacy';
import { createLogger } from '@closeout/telemetry';
import { caseIdOf } from '../ingest/case-id';
import { refusedForCardNumber } from '../ingest/event-screening';
import { TriggerRefusedError } from '../ingest/trigger-refused.error';
import { sourceIdentityOf } from '../ingest/upstream-envelope';
import { IngestTriggerUseCase } from '../triggers/ingest-trigger.use-case';
import { KNOWN_SOURCES } from '../triggers/tokens';
import { avroSchemaOf, UPSTREAM_TOPICS, type UpstreamTopic } from './upstream-topics';

/**
 * One consumer group per configured upstream topic (`trigger-ingest.<topic>`): the lib decodes the value
 * (undecodable bytes go to `<topic>.dlq`), the use case validates, maps and dedupes; a refused event goes to
 * the DLQ with the field and rule as its reason. An event refused for a card number in an identifier is not
 * dead-lettered: the DLQ keeps the original bytes for replay, and those hold the card number. It is audited and
 * counted (by the use case) and logged by topic, partition and offset only, for the sender to correct and resend.
 */
@Injectable()
export class UpstreamEventsConsumer implements OnModuleInit {
  private readonly log = createLogger('trigger-ingest.upstream');

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly ingest: IngestTriggerUseCase,
    @Inject(UPSTREAM_TOPICS) private readonly topics: readonly UpstreamTopic[],
    @Inject(KNOWN_SOURCES) private readonly knownSources: ReadonlySet<string>,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const upstream of this.topics) await this.subscribe(upstream);
  }

  private subscribe(upstream: UpstreamTopic): Promise<Subscription> {
    const { topic, sourceSystem } = upstream;
    const toJson = upstream.format === 'avro' ? avroSchemaOf(upstream).toJson : (value: unknown) => value;
    return this.subscriber.subscribeToTopic<string | null, unknown>({
      groupId: `trigger-ingest.${topic}`,
      topic,
      // A new group starts at the oldest retained event, so events published before the first deploy are not
      // lost; dedupe makes reading them again harmless.
      fromBeginning: true,
      // Upstream systems send no correlation-id header; the case the event would open is its correlation.
      deriveCorrelationId: (m) => {
        const identity = sourceIdentityOf(
          toJson(m.value),
          { topic, sourceSystem },
          this.knownSources,
          (id) => !containsPan(id),
        );
        return identity
          ? caseIdOf(identity.sourceSystem, identity.eventId)
          : `${m.topic}/${m.partition}/${m.offset}`;
      },
      handler: async (m) => {
        try {
          await this.ingest.execute(toJson(m.value), { kind: 'kafka', topic, sourceSystem });
        } catch (error) {
          if (!(error instanceof TriggerRefusedError)) throw error;
          if (refusedForCardNumber(error)) {
            this.log.warn(
              { topic, partition: m.partition, offset: m.offset, reason: error.message },
              'event refused for a card number in an identifier; not dead-lettered (its bytes hold the card number)',
            );
            return;
          }
          throw new PoisonMessageError(error.message, { cause: error });
        }
      },
    });
  }
}
