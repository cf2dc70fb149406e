import { topicSpecs } from './topic-provisioner';

describe('topic specs', () => {
  it('adds a DLQ beside each topic, with the default partitions and replication factor', () => {
    expect(topicSpecs([{ topic: 'case.state.v1' }], { defaultPartitions: 6, replicationFactor: 1 })).toEqual([
      { topic: 'case.state.v1', partitions: 6, replicationFactor: 1 },
      { topic: 'case.state.v1.dlq', partitions: 6, replicationFactor: 1 },
    ]);
  });

  it('honours an explicit partition count and does not repeat a topic asked for twice', () => {
    const specs = topicSpecs(
      [{ topic: 'audit.event.v1', partitions: 12, replicationFactor: 3 }, { topic: 'audit.event.v1' }],
      { defaultPartitions: 6, replicationFactor: 1 },
    );
    expect(specs).toEqual([
      { topic: 'audit.event.v1', partitions: 12, replicationFactor: 3 },
      { topic: 'audit.event.v1.dlq', partitions: 12, replicationFactor: 3 },
    ]);
  });
});
