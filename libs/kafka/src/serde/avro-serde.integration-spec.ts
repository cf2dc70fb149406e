import { DecodeError, SchemaRegistrationError } from '../kafka.errors';
import { integrationEnv, testTopic } from '../testing/integration';
import { AvroSerde } from './avro-serde';
import { SchemaCatalog } from './schema-catalog';

const record = (fields: object[]) =>
  JSON.stringify({ type: 'record', name: 'Probe', namespace: 'io.closeout.test', fields });

describe('AvroSerde against the registry (Apicurio ccompat)', () => {
  const topic = testTopic();
  const subject = `${topic}-value`;
  const v1 = record([{ name: 'caseId', type: 'string' }]);
  const catalog = new SchemaCatalog(false).define(topic, {
    keySchema: record([{ name: 'id', type: 'string' }]),
    valueSchema: v1,
  });
  const serde = new AvroSerde(catalog, { registryUrl: integrationEnv().registryUrl });

  it('registers a subject once and gets the same id back for the same schema', async () => {
    const first = await serde.register(subject, v1);
    expect(first).toBeGreaterThan(0);
    expect(await serde.register(subject, v1)).toBe(first);
  });

  it('rejects a BACKWARD-incompatible change (a field added without a default), naming the subject and the reason', async () => {
    await serde.register(subject, v1);
    const breaking = record([
      { name: 'caseId', type: 'string' },
      { name: 'destination', type: 'string' },
    ]);
    const attempt = serde.register(subject, breaking);
    await expect(attempt).rejects.toBeInstanceOf(SchemaRegistrationError);
    await expect(attempt).rejects.toMatchObject({ code: 'KAFKA_SCHEMA_REGISTRATION', subject, status: 409 });
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `schema registry rejected subject ${subject.replace(/\./g, '\\.')} \\(HTTP 409\\): .*ncompatib`,
      ),
    );
  });

  it('accepts the BACKWARD-compatible form of the same change (the new field has a default)', async () => {
    await serde.register(subject, v1);
    const compatible = record([
      { name: 'caseId', type: 'string' },
      { name: 'destination', type: ['null', 'string'], default: null },
    ]);
    await expect(serde.register(subject, compatible)).resolves.toBeGreaterThan(0);
  });

  it('encodes in wire format and decodes by the id in the message', async () => {
    const bytes = await serde.encode(topic, 'value', { caseId: 'case-1' });
    expect(bytes[0]).toBe(0);
    expect({ ...((await serde.decode(topic, 'value', bytes)) as object) }).toEqual({ caseId: 'case-1' });
  });

  it('classifies a schema id the registry never issued as unknown-schema-id', async () => {
    const bytes = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 65]);
    const attempt = serde.decode(topic, 'value', bytes);
    await expect(attempt).rejects.toBeInstanceOf(DecodeError);
    await expect(attempt).rejects.toMatchObject({ failure: 'unknown-schema-id' });
  });
});
