// Integration tests talk to a real broker, registry and database: their budget is minutes, not seconds.
jest.setTimeout(120_000);
