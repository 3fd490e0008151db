/**
 * Failover between channels end to end: WHATSAPP to …1012 (not a WhatsApp user → UNDELIVERABLE)
 * falls over to SMS to the same number, where 1012 is delivered. The message's report is the SMS
 * one (channel SMS, the SMS sender); the WhatsApp step's report is pushed only with
 * `receiveTriggeredFailoverReports`, before it, and is never pulled.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayPerSuite } from '../helpers/hookline.ts';
import { qs, uniq, waitUntil } from '../http/support.ts';
import { assertStatus, collect, DELIVERED, NOT_DELIVERED, numberEnding, sleep } from './messages-api-support.ts';

const suite = gatewayPerSuite();
const { receivers } = suite;

const WA_SENDER = '447860099299';

/** WHATSAPP with failover to SMS (and optionally more steps), to one number on every channel. */
async function sendWithFailover(to: string, webhooks: Record<string, unknown> | undefined, failover: Array<Record<string, unknown>> = [{ channel: 'SMS', sender: 'ShopSMS' }]) {
  const messageId = uniq('fo');
  const byChannel = ['WHATSAPP', ...failover.map((f) => f.channel as string)].map((channel) => ({ channel, to }));
  const r = await suite.g.api('POST', '/messages-api/1/messages', {
    messages: [{ channel: 'WHATSAPP', sender: WA_SENDER, destinations: [{ messageId, byChannel }], content: { body: { type: 'TEXT', text: 'Your order shipped' } }, ...(webhooks ? { webhooks } : {}), failover }],
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual([r.body.messages[0].messageId, r.body.messages[0].destination, r.body.messages[0].status.name], [messageId, to, 'PENDING_ACCEPTED']);
  return { messageId, bulkId: r.body.bulkId as string };
}

describe('WHATSAPP → SMS failover to …1012', { concurrency: true }, () => {
  test('receiveTriggeredFailoverReports: the WhatsApp step’s report, then the final DELIVERED report on SMS', async () => {
    const rx = await receivers.start();
    const to = numberEnding('1012');
    const sent = await sendWithFailover(to, { delivery: { url: rx.url, receiveTriggeredFailoverReports: true }, callbackData: 'fo-cb' });
    const [step, final] = await collect(rx, 'DELIVERY', 2);
    assertStatus(step, NOT_DELIVERED, 'the WhatsApp step');
    assert.deepEqual([step.channel, step.sender, step.destination, step.messageId, step.bulkId, step.callbackData], ['WHATSAPP', WA_SENDER, to, sent.messageId, sent.bulkId, 'fo-cb']);
    assertStatus(final, DELIVERED, 'the SMS step');
    assert.deepEqual([final.channel, final.sender, final.destination, final.messageId, final.bulkId, final.callbackData], ['SMS', 'ShopSMS', to, sent.messageId, sent.bulkId, 'fo-cb']);
    assert.equal(rx.requests.length, 2, 'one request each, the step first');
  });

  test('without receiveTriggeredFailoverReports only the final SMS report is pushed', async () => {
    const rx = await receivers.start();
    const sent = await sendWithFailover(numberEnding('1012'), { delivery: { url: rx.url } });
    const [final] = await collect(rx, 'DELIVERY', 1, 600);
    assertStatus(final, DELIVERED, 'final');
    assert.deepEqual([final.channel, final.sender, final.messageId], ['SMS', 'ShopSMS', sent.messageId]);
  });

  test('receiveTriggeredFailoverReports: false is the same as leaving it out', async () => {
    const rx = await receivers.start();
    await sendWithFailover(numberEnding('1012'), { delivery: { url: rx.url, receiveTriggeredFailoverReports: false } });
    const [final] = await collect(rx, 'DELIVERY', 1, 600);
    assert.equal(final.channel, 'SMS');
  });

  test('a delivered first channel uses no failover: one WHATSAPP report', async () => {
    const rx = await receivers.start();
    const sent = await sendWithFailover(numberEnding('2727'), { delivery: { url: rx.url, receiveTriggeredFailoverReports: true } });
    const [item] = await collect(rx, 'DELIVERY', 1, 600);
    assertStatus(item, DELIVERED, 'delivered on WhatsApp');
    assert.deepEqual([item.channel, item.sender, item.messageId], ['WHATSAPP', WA_SENDER, sent.messageId]);
  });

  test('two steps: WHATSAPP and VIBER_BM fail on …1012, SMS delivers, with the SMS step’s own text', async () => {
    const rx = await receivers.start();
    const sent = await sendWithFailover(numberEnding('1012'), { delivery: { url: rx.url, receiveTriggeredFailoverReports: true } }, [
      { channel: 'VIBER_BM', sender: 'ViberShop' },
      { channel: 'SMS', sender: 'ShopSMS', content: { body: { type: 'TEXT', text: 'Shipped (by SMS)' } } },
    ]);
    const items = await collect(rx, 'DELIVERY', 3);
    assert.deepEqual(items.map((i) => [i.channel, i.sender, i.status.name]), [
      ['WHATSAPP', WA_SENDER, 'UNDELIVERABLE_NOT_DELIVERED'],
      ['VIBER_BM', 'ViberShop', 'UNDELIVERABLE_NOT_DELIVERED'],
      ['SMS', 'ShopSMS', 'DELIVERED_TO_HANDSET'],
    ]);
    const stored = await suite.g.hookline.store.db.selectFrom('messages').select(['text', 'channel']).where('message_id', '=', sent.messageId).executeTakeFirstOrThrow();
    assert.deepEqual(stored, { text: 'Shipped (by SMS)', channel: 'SMS' }, 'the SMS step sent its own text');
  });

  test('pulled: only the final SMS report, once (a failover step is never pulled)', async () => {
    const sent = await sendWithFailover(numberEnding('1012'), undefined);
    const pulled = await waitUntil(async () => {
      const r = await suite.g.api('GET', '/messages-api/1/reports' + qs({ messageId: sent.messageId }));
      return r.body.results?.length ? r.body.results : null;
    }, 'the final report in the pull queue');
    await sleep(200);
    const more = (await suite.g.api('GET', '/messages-api/1/reports' + qs({ messageId: sent.messageId }))).body.results;
    const all = [...pulled, ...more];
    assert.equal(all.length, 1, JSON.stringify(all));
    assertStatus(all[0], DELIVERED, 'pulled');
    assert.deepEqual([all[0].channel, all[0].sender, all[0].messageId], ['SMS', 'ShopSMS', sent.messageId]);
  });
});
