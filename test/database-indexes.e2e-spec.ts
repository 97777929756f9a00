/**
 * The indexes every schema declares exist once the app has connected to a
 * fresh database. Mongoose's automatic build runs when a model is compiled,
 * before the app's background connection opens (commands are not buffered),
 * so it never built them: the unique indexes that arbitrate races (one
 * relanceconfigs document per user, lease steps, credential keys) were
 * missing in every deployment until DatabaseConnection built them itself.
 */
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';

type IndexKey = Record<string, unknown>;

const sameKey = (a: IndexKey, b: IndexKey): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

describe('indexes on a fresh database (e2e)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp();
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  it('builds every index the schemas declare, unique ones unique', async () => {
    const connection = testApp.app.get<Connection>(getConnectionToken());
    const models = Object.values(connection.models);
    expect(models.length).toBeGreaterThan(0);
    for (const model of models) {
      const declared = model.schema.indexes();
      if (declared.length === 0) continue;
      const existing = (await model.collection.listIndexes().toArray()) as {
        key: IndexKey;
        unique?: boolean;
      }[];
      for (const [key, options] of declared) {
        const found = existing.find((index) => sameKey(index.key, key));
        expect({
          collection: model.collection.collectionName,
          key,
          unique: Boolean(found?.unique),
        }).toEqual({
          collection: model.collection.collectionName,
          key,
          unique: Boolean(options.unique),
        });
        expect(found).toBeDefined();
      }
    }
  });

  it('keeps one relanceconfigs document per user', async () => {
    const connection = testApp.app.get<Connection>(getConnectionToken());
    const configs = connection.collection('relanceconfigs');
    await configs.insertOne({ userId: 'only_once' });
    await expect(configs.insertOne({ userId: 'only_once' })).rejects.toThrow(
      /duplicate key|E11000/,
    );
  });
});
