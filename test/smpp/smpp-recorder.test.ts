/**
 * The SMPP recorder against a real database, with a transaction that fails once: a failed batch
 * is retried as it came (its receipts refused for redelivery, its acknowledgements kept), so the
 * receipt the SMSC sends again still becomes the message's report; and settled() waits for a
 * flush in progress.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import smpp from 'smpp';
import { NO_SUBSCRIBERS } from '../../src/events/routing.ts';
import type { OutboundPart } from '../../src/network/smpp/connection.ts';
import { SmppRecorder } from '../../src/network/smpp/smpp-recorder.ts';
import { parseSmppConnection } from '../../src/network/smpp/config-parse.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { tempDir } from '../helpers/hookline.ts';

const NOW = 1_800_000_000_000;
const config = parseSmppConnection('c', { host: '127.0.0.1', port: 2775, systemId: 's', password: 'p' });
const receipt = (id: string) => new smpp.PDU(new smpp.PDU('deliver_sm', { esm_class: 4, short_message: `id:${id} sub:001 dlvrd:001 submit date:2611271200 done date:2611271200 stat:DELIVRD err:000 text:` }).toBuffer());
const silent = pino({ level: 'silent' });

describe('SMPP recorder', () => {
  let dir: string;
  let database: TestDatabase;
  let store: Store;
  before(async () => {
    dir = tempDir();
    database = await createTestDatabase(dir);
    store = await openStore(database.url);
  });
  after(async () => {
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function queuedMessage(messageId: string): Promise<OutboundPart> {
    const { pk } = await store.db
      .insertInto('messages')
      .values({ account_id: 'a', message_id: messageId, bulk_id: 'b', family: 'sms-v3', destination: '41790000001', sender: null, text: 'hi', parts: 1, notify_url: null, content_type: 'application/json', notify: 1, intermediate: 0, callback_data: null, validity_ms: 3_600_000, send_at: null, entity_id: null, application_id: null, campaign_reference_id: null, options: null, mcc_mnc: null, username: null, state: 'SUBMITTED', status_id: 26, error_id: 0, created_at: NOW, sent_at: NOW, done_at: null } as never)
      .returning('pk')
      .executeTakeFirstOrThrow();
    const part = await store.db.insertInto('smpp_parts').values({ message_pk: Number(pk), connection: 'c', part: 0, parts: 1, state: 'queued', attempts: 1, lease_until: NOW + 30_000, created_at: NOW, updated_at: NOW }).returning('id').executeTakeFirstOrThrow();
    return { id: Number(part.id), connection: 'c', messagePk: Number(pk), part: 0, parts: 1, fields: {}, expiresAt: NOW + 3_600_000, attempts: 1 };
  }

  /** A recorder whose first transaction fails after doing its work (a deadlock, a connection reset). */
  function flakyRecorder(): SmppRecorder {
    let failNext = true;
    const db = Object.create(store.db) as typeof store.db;
    db.transaction = (() => ({
      execute: (work: (trx: unknown) => Promise<unknown>) =>
        store.db.transaction().execute(async (trx) => {
          const result = await work(trx);
          if (failNext) {
            failNext = false;
            throw new Error('transient failure');
          }
          return result;
        }),
    })) as never;
    return new SmppRecorder({ db, profile: store.profile, subscribers: NO_SUBSCRIBERS, now: () => NOW, log: silent, currency: 'EUR', configOf: () => config, onReports() {}, onNetworkWork() {} });
  }

  test('a batch whose transaction failed is retried as it came: the receipt sent again still reports the message', async () => {
    const part = await queuedMessage('m-retry');
    const recorder = flakyRecorder();
    const answers: number[] = [];
    recorder.acknowledged(part, 'X1');
    recorder.delivered('c', receipt('X1'), (status) => answers.push(status));
    await recorder.settled();
    assert.deepEqual(answers, [0x64], 'refused: ESME_RX_T_APPN, so the SMSC sends it again');
    const [row] = await store.db.selectFrom('smpp_parts').select(['state', 'smsc_id']).where('id', '=', part.id).execute();
    assert.deepEqual(row, { state: 'acked', smsc_id: 'X1' }, 'the acknowledgement stored on retry, the part still open');
    recorder.delivered('c', receipt('X1'), (status) => answers.push(status));
    await recorder.settled();
    assert.deepEqual(answers, [0x64, 0]);
    const reports = await store.db.selectFrom('reports').select(['status_id', 'final']).where('message_pk', '=', part.messagePk).execute();
    assert.deepEqual(reports, [{ status_id: 5, final: 1 }]);
  });

  test('settled() waits for a flush in progress', async () => {
    const part = await queuedMessage('m-settled');
    const recorder = new SmppRecorder({ db: store.db, profile: store.profile, subscribers: NO_SUBSCRIBERS, now: () => NOW, log: silent, currency: 'EUR', configOf: () => config, onReports() {}, onNetworkWork() {} });
    recorder.acknowledged(part, 'X2');
    await new Promise((resolve) => setImmediate(resolve)); // the flush has started
    await recorder.settled();
    const [row] = await store.db.selectFrom('smpp_parts').select(['state']).where('id', '=', part.id).execute();
    assert.equal(row!.state, 'acked');
  });

  test('a receipt for a connection no longer configured is refused for redelivery, not acknowledged and dropped', async () => {
    const recorder = new SmppRecorder({ db: store.db, profile: store.profile, subscribers: NO_SUBSCRIBERS, now: () => NOW, log: silent, currency: 'EUR', configOf: () => undefined, onReports() {}, onNetworkWork() {} });
    const answers: number[] = [];
    recorder.delivered('gone', receipt('X3'), (status) => answers.push(status));
    assert.deepEqual(answers, [0x64]);
  });
});
