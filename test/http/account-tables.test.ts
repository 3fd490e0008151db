/**
 * Deleting an account removes everything it owns: every table with an `account_id` column is in
 * the account routes' list, checked against the live schema of the backend under test.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ACCOUNT_TABLES } from '../../src/admin/account-routes.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';

let g: TestGateway;
before(async () => {
  g = await startGateway();
});
after(async () => {
  await g.close();
});

test('every table with account_id is deleted with its account', async () => {
  const tables = await g.hookline.store.db.introspection.getTables();
  const owned = tables.filter((t) => t.columns.some((c) => c.name === 'account_id')).map((t) => t.name);
  assert.ok(owned.includes('engagements'), 'the check sees the newest tables');
  assert.deepEqual(owned.filter((t) => !(ACCOUNT_TABLES as readonly string[]).includes(t)), []);
});
