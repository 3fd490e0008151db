/**
 * Target health (`GET /hookline/1/targets`, `POST /hookline/1/targets/enable`), the operations
 * profile (`/hookline/1/operations-profile`) and the request rules of `POST /hookline/1/recoveries`,
 * against a real gateway, per account.
 *
 * Health rows are written straight into the database here (setHealth): this file tests the API
 * over table target_health, whoever writes it. That the dispatcher writes a disabled row when a
 * real receiver answers 410 is tested end to end in test/e2e/recoveries.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { profileTarget } from '../../src/webhooks/targets.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { otherAccount, seedDeliveries, setHealth } from '../helpers/operations-fixtures.ts';
import { LEGACY_FORBIDDEN, uniq, v3ErrorProperties } from './support.ts';

const T0 = Date.UTC(2026, 3, 1, 12);
const MINUTE = 60_000;
const fmt = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
/** Nothing listens there: nothing in this file is ever delivered (the clock does not move to any due time). */
const DEAD_URL = 'http://127.0.0.1:9/ops';

describe('target health, the operations profile and recovery requests', () => {
  const clock = new ManualClock(T0);
  let g: TestGateway;
  let other: { accountId: string; authorization: string };
  const asOther = () => ({ authorization: other.authorization });

  async function newProfile(headers: Record<string, string> = {}): Promise<string> {
    const profileId = uniq('ops-profile');
    const r = await g.api('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: DEAD_URL } }, headers);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return profileId;
  }

  before(async () => {
    g = await startGateway({ THROTTLES: 'off' }, { clock });
    other = await otherAccount(g, 'ops-other');
  });
  after(async () => {
    await g?.close();
  });

  describe('operations profile', () => {
    it('is null until set; set to a profile of the account it is answered, and null clears it', async () => {
      assert.deepEqual((await g.api('GET', '/hookline/1/operations-profile')).body, { profileId: null });
      const profileId = await newProfile();
      const put = await g.api('PUT', '/hookline/1/operations-profile', { profileId });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body, { profileId });
      assert.deepEqual((await g.api('GET', '/hookline/1/operations-profile')).body, { profileId });
      const row = await g.hookline.store.db.selectFrom('accounts').select('operations_profile_id').where('id', '=', 'default').executeTakeFirstOrThrow();
      assert.equal(row.operations_profile_id, profileId);
      assert.deepEqual((await g.api('PUT', '/hookline/1/operations-profile', { profileId: null })).body, { profileId: null });
      assert.deepEqual((await g.api('GET', '/hookline/1/operations-profile')).body, { profileId: null });
    });

    it('refuses a profile the account does not have (400, v3 envelope), another account\'s included, and keeps the setting', async () => {
      const mine = await newProfile();
      assert.equal((await g.api('PUT', '/hookline/1/operations-profile', { profileId: mine })).status, 200);
      const theirs = await newProfile(asOther());
      for (const profileId of ['no-such-profile', theirs]) {
        const r = await g.api('PUT', '/hookline/1/operations-profile', { profileId });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.deepEqual(v3ErrorProperties(r.body), ['profileId']);
      }
      for (const body of [{}, { profileId: 42 }, { profileId: '' }]) {
        const r = await g.api('PUT', '/hookline/1/operations-profile', body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        v3ErrorProperties(r.body);
      }
      assert.deepEqual((await g.api('GET', '/hookline/1/operations-profile')).body, { profileId: mine });
      await g.api('PUT', '/hookline/1/operations-profile', { profileId: null });
    });

    it('is per account: one account setting it changes nothing for another', async () => {
      const theirs = await newProfile(asOther());
      assert.equal((await g.api('PUT', '/hookline/1/operations-profile', { profileId: theirs }, asOther())).status, 200);
      assert.deepEqual((await g.api('GET', '/hookline/1/operations-profile', undefined, asOther())).body, { profileId: theirs });
      assert.deepEqual((await g.api('GET', '/hookline/1/operations-profile')).body, { profileId: null });
      await g.api('PUT', '/hookline/1/operations-profile', { profileId: null }, asOther());
    });

    it('the operations profile cannot be deleted (409) until another is set; then it can', async () => {
      const profileId = await newProfile();
      await g.api('PUT', '/hookline/1/operations-profile', { profileId });
      const refused = await g.api('DELETE', `/subscriptions/1/profiles/${profileId}`);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.requestError.serviceException.text, /operational events/);
      assert.equal((await g.api('GET', `/subscriptions/1/profiles/${profileId}`)).status, 200, 'the refused delete deleted nothing');
      await g.api('PUT', '/hookline/1/operations-profile', { profileId: null });
      assert.equal((await g.api('DELETE', `/subscriptions/1/profiles/${profileId}`)).status, 200);
    });

    it('needs subscriptions:manage', async () => {
      const key = await g.api('POST', '/settings/2/api-keys', { name: uniq('sms-only'), scopeGuids: ['sms:manage'] }, {
        authorization: `Basic ${Buffer.from('admin:test-admin-password').toString('base64')}`,
      });
      assert.equal(key.status, 200, JSON.stringify(key.body));
      const r = await g.api('GET', '/hookline/1/operations-profile', undefined, { authorization: `App ${key.body.apiKeySecret}` });
      assert.equal(r.status, 403);
      assert.notDeepEqual(r.body, LEGACY_FORBIDDEN, 'a Hookline route answers in the v3 envelope');
      v3ErrorProperties(r.body);
    });
  });

  describe('targets', () => {
    const goneUrl = `${DEAD_URL}/gone-${uniq('t')}`;
    const openUrl = `${DEAD_URL}/open-${uniq('t')}`;
    const healthyAgainUrl = `${DEAD_URL}/recovered-${uniq('t')}`;
    const neverFailedUrl = `${DEAD_URL}/fine-${uniq('t')}`;
    const otherOnlyUrl = `${DEAD_URL}/theirs-${uniq('t')}`;
    let profileId: string;

    before(async () => {
      const { db, profile } = g.hookline.store;
      profileId = await newProfile();
      // The account's deliveries: waiting ones (counted), finished ones (not counted).
      await seedDeliveries(db, profile, { target: goneUrl, state: 'DROPPED', count: 4, firstAt: T0 - 10 * MINUTE, label: uniq('gone') });
      await seedDeliveries(db, profile, { target: openUrl, state: 'PENDING', count: 3, firstAt: T0 + MINUTE, label: uniq('open-p') });
      await seedDeliveries(db, profile, { target: openUrl, state: 'RETRYING', count: 2, attempts: 6, firstAt: T0 + MINUTE, label: uniq('open-r') });
      await seedDeliveries(db, profile, { target: openUrl, state: 'DELIVERED', count: 5, firstAt: T0 - MINUTE, label: uniq('open-d') });
      await seedDeliveries(db, profile, { target: healthyAgainUrl, state: 'DELIVERED', count: 1, firstAt: T0 - MINUTE, label: uniq('again') });
      await seedDeliveries(db, profile, { target: neverFailedUrl, state: 'DELIVERED', count: 1, firstAt: T0 - MINUTE, label: uniq('fine') });
      await seedDeliveries(db, profile, { target: profileTarget('default', profileId), state: 'RETRYING', attempts: 2, count: 1, firstAt: T0 + MINUTE, label: uniq('prof') });
      // The other account's: it shares openUrl with us and alone uses otherOnlyUrl.
      await seedDeliveries(db, profile, { accountId: other.accountId, target: openUrl, state: 'PENDING', count: 7, firstAt: T0 + MINUTE, label: uniq('their-open') });
      await seedDeliveries(db, profile, { accountId: other.accountId, target: otherOnlyUrl, state: 'DROPPED', count: 1, firstAt: T0 - MINUTE, label: uniq('theirs') });

      await setHealth(db, { target: goneUrl, consecutive_failures: 3, disabled_at: T0 - 5 * MINUTE, disabled_reason: 'TARGET_GONE', last_failure_at: T0 - 5 * MINUTE, last_status_code: 410, last_success_at: T0 - 60 * MINUTE }, T0);
      await setHealth(db, { target: openUrl, consecutive_failures: 6, opened_at: T0 - 2 * MINUTE, paused_until: T0 + 5 * MINUTE, last_failure_at: T0 - MINUTE, last_status_code: 503 }, T0);
      await setHealth(db, { target: healthyAgainUrl, consecutive_failures: 0, last_failure_at: T0 - 3 * MINUTE, last_success_at: T0 - 2 * MINUTE, last_status_code: 200 }, T0);
      await setHealth(db, { account_id: other.accountId, target: otherOnlyUrl, consecutive_failures: 1, disabled_at: T0 - MINUTE, disabled_reason: 'TARGET_GONE', last_status_code: 410 }, T0);
    });

    const byKey = (results: any[]) => new Map(results.map((t) => [t.target.url ?? `profile ${t.target.profileId}`, t]));

    it('lists the account\'s profiles and the URLs it sends to that have a health row, each with its state, facts and waiting deliveries', async () => {
      const r = await g.api('GET', '/hookline/1/targets');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const targets = byKey(r.body.results);
      assert.deepEqual(targets.get(goneUrl), {
        target: { url: goneUrl },
        state: 'DISABLED',
        consecutiveFailures: 3,
        breakerOpenedAt: null,
        pausedUntil: null,
        disabledAt: fmt(T0 - 5 * MINUTE),
        disabledReason: 'TARGET_GONE',
        lastSuccessAt: fmt(T0 - 60 * MINUTE),
        lastFailureAt: fmt(T0 - 5 * MINUTE),
        lastStatusCode: 410,
        waitingDeliveries: { pending: 0, retrying: 0 },
      });
      const open = targets.get(openUrl);
      assert.deepEqual([open.state, open.consecutiveFailures, open.breakerOpenedAt, open.pausedUntil, open.lastStatusCode], ['OPEN', 6, fmt(T0 - 2 * MINUTE), fmt(T0 + 5 * MINUTE), 503]);
      assert.deepEqual(open.waitingDeliveries, { pending: 3, retrying: 2 }, "only this account's waiting deliveries count (the other's 7 do not)");
      assert.deepEqual([targets.get(healthyAgainUrl).state, targets.get(healthyAgainUrl).lastSuccessAt], ['HEALTHY', fmt(T0 - 2 * MINUTE)]);
      const prof = targets.get(`profile ${profileId}`);
      assert.deepEqual([prof.state, prof.consecutiveFailures, prof.disabledAt, prof.waitingDeliveries], ['HEALTHY', 0, null, { pending: 0, retrying: 1 }]);
      assert.ok(!targets.has(neverFailedUrl), 'a URL that never failed has no health row and is not listed');
      assert.ok(!targets.has(otherOnlyUrl), "another account's URL is not listed");
      assert.equal(r.body.paging.totalResults, r.body.results.length);
    });

    it('filters by state and pages', async () => {
      const disabled = await g.api('GET', '/hookline/1/targets?state=DISABLED');
      assert.deepEqual(disabled.body.results.map((t: any) => t.target), [{ url: goneUrl }]);
      const open = await g.api('GET', '/hookline/1/targets?state=OPEN');
      assert.deepEqual(open.body.results.map((t: any) => t.target), [{ url: openUrl }]);
      const all = (await g.api('GET', '/hookline/1/targets')).body;
      const pages = [];
      for (let page = 0; page < all.paging.totalResults; page++) {
        const r = await g.api('GET', `/hookline/1/targets?size=1&page=${page}`);
        assert.equal(r.body.paging.totalPages, all.paging.totalResults);
        pages.push(...r.body.results);
      }
      assert.deepEqual(pages, all.results);
      const bad = await g.api('GET', '/hookline/1/targets?state=BROKEN');
      assert.equal(bad.status, 400);
      assert.deepEqual(v3ErrorProperties(bad.body), ['state']);
    });

    it('the other account sees its own health and not ours, even on a URL both send to; it cannot enable ours (404)', async () => {
      const theirs = byKey((await g.api('GET', '/hookline/1/targets', undefined, asOther())).body.results);
      assert.equal(theirs.get(otherOnlyUrl)?.state, 'DISABLED');
      assert.ok(!theirs.has(goneUrl));
      assert.ok(!theirs.has(openUrl), 'health is per account: our open breaker on a URL both send to is not theirs (they have no failures there)');
      const r = await g.api('POST', '/hookline/1/targets/enable', { url: goneUrl }, asOther());
      assert.equal(r.status, 404, JSON.stringify(r.body));
      v3ErrorProperties(r.body);
      const mine = await g.api('POST', '/hookline/1/targets/enable', { url: otherOnlyUrl });
      assert.equal(mine.status, 404);
      assert.equal((await g.api('GET', '/hookline/1/targets?state=DISABLED')).body.results.length, 1, 'nothing was enabled');
    });

    it('a recovery of a disabled target is refused (409) until it is re-enabled; enable is idempotent', async () => {
      const refused = await g.api('POST', '/hookline/1/recoveries', { url: goneUrl, from: fmt(T0 - 60 * MINUTE) });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.description, /re-enable/);
      assert.equal((await g.hookline.store.db.selectFrom('recoveries').select('id').where('target_url', '=', goneUrl).execute()).length, 0);

      const enabled = await g.api('POST', '/hookline/1/targets/enable', { url: goneUrl });
      assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
      assert.deepEqual([enabled.body.target, enabled.body.state, enabled.body.disabledAt, enabled.body.disabledReason, enabled.body.consecutiveFailures], [{ url: goneUrl }, 'HEALTHY', null, null, 0]);
      assert.equal(enabled.body.lastStatusCode, 410, 'the last status code is history, kept');
      const again = await g.api('POST', '/hookline/1/targets/enable', { url: goneUrl });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, enabled.body);

      const recovery = await g.api('POST', '/hookline/1/recoveries', { url: goneUrl, from: fmt(T0 - 60 * MINUTE), states: ['DROPPED'] });
      assert.equal(recovery.status, 201, JSON.stringify(recovery.body));
      assert.equal(recovery.body.total, 4);
      await g.api('DELETE', `/hookline/1/recoveries/${recovery.body.id}`);
    });

    it('enabling an open breaker closes it; a healthy profile answers as it is', async () => {
      const r = await g.api('POST', '/hookline/1/targets/enable', { url: openUrl });
      assert.equal(r.status, 200);
      assert.equal(r.body.state, 'OPEN', 'enable resets only a disabled target; an open breaker closes on its own probe');
      const prof = await g.api('POST', '/hookline/1/targets/enable', { profileId });
      assert.deepEqual([prof.status, prof.body.state, prof.body.target], [200, 'HEALTHY', { profileId }]);
    });

    it('enable needs exactly one known target', async () => {
      for (const [body, status, property] of [
        [{}, 400, 'url'],
        [{ url: openUrl, profileId }, 400, 'profileId'],
        [{ url: 'profile:default/x' }, 400, 'url'],
        [{ url: `${DEAD_URL}/never-used` }, 404, null],
        [{ profileId: 'no-such-profile' }, 404, null],
      ] as const) {
        const r = await g.api('POST', '/hookline/1/targets/enable', body);
        assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(v3ErrorProperties(r.body), property ? [property] : []);
      }
    });
  });

  describe('recovery requests', () => {
    const url = `${DEAD_URL}/recover-${uniq('r')}`;
    let profileId: string;
    let deletedProfile: string;

    before(async () => {
      const { db, profile } = g.hookline.store;
      profileId = await newProfile();
      deletedProfile = await newProfile();
      await seedDeliveries(db, profile, { target: url, state: 'DROPPED', count: 5, firstAt: T0 - 30 * MINUTE, stepMs: MINUTE, label: uniq('req-d') });
      await seedDeliveries(db, profile, { target: url, state: 'RETRYING', attempts: 3, count: 2, firstAt: T0 - 30 * MINUTE, label: uniq('req-r') });
      await seedDeliveries(db, profile, { target: url, state: 'DELIVERED', count: 3, firstAt: T0 - 30 * MINUTE, label: uniq('req-ok') });
      await seedDeliveries(db, profile, { target: profileTarget('default', deletedProfile), state: 'DROPPED', count: 1, firstAt: T0 - MINUTE, label: uniq('req-del') });
      assert.equal((await g.api('DELETE', `/subscriptions/1/profiles/${deletedProfile}`)).status, 200);
    });

    it('answers 201 with the recovery: total counted by states and time range, defaults filled in', async () => {
      const r = await g.api('POST', '/hookline/1/recoveries', { url, from: fmt(T0 - 30 * MINUTE) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.headers.get('location'), `/hookline/1/recoveries/${r.body.id}`);
      assert.match(r.body.id, /^rcv_[0-9a-f]{32}$/);
      assert.deepEqual({ ...r.body, id: undefined }, {
        id: undefined,
        target: { url },
        from: fmt(T0 - 30 * MINUTE),
        to: fmt(clock.now()),
        states: ['DROPPED', 'RETRYING'],
        ratePerSecond: 100,
        state: 'RUNNING',
        total: 7,
        requeued: 0,
        percent: 0,
        idempotencyKey: null,
        createdAt: fmt(clock.now()),
        finishedAt: null,
      });
      // The range is inclusive at both ends: the first DROPPED one is at `from`, the last 4 minutes later.
      const narrow = await g.api('POST', '/hookline/1/recoveries', { url, from: fmt(T0 - 29 * MINUTE), to: fmt(T0 - 27 * MINUTE), states: ['DROPPED'], ratePerSecond: 10_000 });
      assert.deepEqual([narrow.status, narrow.body.total, narrow.body.states, narrow.body.ratePerSecond], [201, 3, ['DROPPED'], 10_000]);
      const later = await g.api('POST', '/hookline/1/recoveries', { url, from: fmt(T0 - 30 * MINUTE), to: fmt(T0 + 365 * 24 * 60 * MINUTE), states: ['RETRYING'] });
      assert.deepEqual([later.status, later.body.total, later.body.to], [201, 2, fmt(clock.now())], 'a `to` in the future is now');
      const none = await g.api('POST', '/hookline/1/recoveries', { profileId, from: fmt(T0 - 30 * MINUTE) });
      assert.deepEqual([none.status, none.body.state, none.body.total, none.body.percent, none.body.finishedAt], [201, 'COMPLETED', 0, 100, fmt(clock.now())], 'nothing to do: finished at once');
      for (const id of [r.body.id, narrow.body.id, later.body.id]) await g.api('DELETE', `/hookline/1/recoveries/${id}`);
    });

    it('refuses what it cannot do, each with the property at fault', async () => {
      const from = fmt(T0 - 30 * MINUTE);
      const cases: Array<[unknown, number, string[]]> = [
        [{ from }, 400, ['url']],
        [{ url, profileId, from }, 400, ['profileId']],
        [{ url }, 400, ['from']],
        [{ url, from: 'yesterday' }, 400, ['from']],
        [{ url, from, to: '2026-13-01T00:00:00Z' }, 400, ['to']],
        [{ url, from: fmt(T0 - MINUTE), to: fmt(T0 - 2 * MINUTE) }, 400, ['from']],
        [{ url, from: fmt(clock.now() + MINUTE) }, 400, ['from']],
        [{ url, from, states: [] }, 400, ['states']],
        [{ url, from, states: ['DELIVERED'] }, 400, ['states[0]']],
        [{ url, from, ratePerSecond: 0 }, 400, ['ratePerSecond']],
        [{ url, from, ratePerSecond: 10_001 }, 400, ['ratePerSecond']],
        [{ url, from, ratePerSecond: 1.5 }, 400, ['ratePerSecond']],
        [{ url: 'profile:default/x', from }, 400, ['url']],
        [{ url: `${DEAD_URL}/never-used`, from }, 404, []],
        [{ profileId: 'no-such-profile', from }, 404, []],
        [{ profileId: deletedProfile, from }, 400, ['profileId']],
      ];
      for (const [body, status, properties] of cases) {
        const r = await g.api('POST', '/hookline/1/recoveries', body);
        assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(v3ErrorProperties(r.body), properties, JSON.stringify(body));
      }
      const deleted = await g.api('POST', '/hookline/1/recoveries', { profileId: deletedProfile, from });
      assert.match(deleted.body.description, /no longer exists/);
      const bad = await g.api('POST', '/hookline/1/recoveries', { url, from }, { 'idempotency-key': 'x'.repeat(256) });
      assert.equal(bad.status, 400);
      const unknown = await g.api('GET', '/hookline/1/recoveries/rcv_nope');
      assert.equal(unknown.status, 404);
      assert.equal((await g.api('DELETE', '/hookline/1/recoveries/rcv_nope')).status, 404);
    });

    it('lists newest first with page paging and a state filter', async () => {
      const made = [];
      for (let i = 0; i < 3; i++) {
        clock.advance(1);
        made.push((await g.api('POST', '/hookline/1/recoveries', { url, from: fmt(T0 - 30 * MINUTE), ratePerSecond: 1 })).body.id);
      }
      const list = await g.api('GET', '/hookline/1/recoveries?state=RUNNING');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.results.map((r: any) => r.id), [...made].reverse(), 'only the running ones, newest first');
      const page1 = await g.api('GET', '/hookline/1/recoveries?state=RUNNING&size=2&page=1');
      assert.deepEqual(page1.body.results.map((r: any) => r.id), [made[0]]);
      assert.deepEqual(page1.body.paging, { page: 1, size: 2, totalPages: 2, totalResults: 3 });
      const all = await g.api('GET', '/hookline/1/recoveries');
      assert.ok(all.body.results.some((r: any) => r.state === 'CANCELED') && all.body.results.some((r: any) => r.state === 'COMPLETED'));
      assert.deepEqual((await g.api('GET', '/hookline/1/recoveries', undefined, asOther())).body.results, [], "another account's list is its own");
      for (const id of made) assert.equal((await g.api('DELETE', `/hookline/1/recoveries/${id}`)).body.state, 'CANCELED');
    });
  });
});
