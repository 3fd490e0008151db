/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core) against a real
 * gateway and real webhook receivers on loopback: sign in, watch a delivery fail live, fix the
 * receiver, replay, see it delivered; follow a message's timeline; roles; narrow screens; labels.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshotDir, type Browser } from '../helpers/browser.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';
import { uniq, waitUntil } from '../http/support.ts';

const SHOTS = screenshotDir();
const keepShots = process.env.CONSOLE_SCREENSHOT_DIR !== undefined;
const SECTIONS: Record<string, string> = {
  messages: 'Messages',
  webhooks: 'Webhooks',
  live: 'Live',
  subscriptions: 'Subscriptions',
  profiles: 'Notification profiles',
  security: 'Security settings',
  'api-keys': 'API keys',
};

describe('web console (Chromium)', () => {
  let g: TestGateway;
  let browser: Browser;
  let page: Page;
  let receiver: Receiver;

  /** Uncaught exceptions, console errors and CSP violations in the page: any one fails the run. */
  const pageErrors: string[] = [];

  before(async () => {
    // The sources under test, not whatever console/dist last held (npm install builds it too).
    execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts'], { stdio: 'pipe' });
    g = await startGateway();
    receiver = await Receiver.start();
    browser = await launchBrowser();
    page = browser.page;
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // A 4xx the console asked for on purpose (a refused form) is logged by Chromium as a failed resource: not a page error.
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) pageErrors.push(`console: ${message.text()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await g?.close();
    if (!keepShots) rmSync(SHOTS, { recursive: true, force: true });
  });

  /** Opens a section and waits until its own heading and its data are on screen (not the previous page's). */
  async function open(section: string, title = SECTIONS[section]) {
    await page.goto(`${g.baseUrl}/console/#/${section}`);
    await page.locator('main h1', { hasText: title }).waitFor();
    await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading…'));
  }

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
  const sendSms = async (to: string, extra: Record<string, unknown> = {}) => {
    const r = await g.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to }], from: 'Hookline', text: 'Your order has shipped', ...extra }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.messages[0].messageId as string;
  };

  async function signIn(username: string, password: string) {
    await page.goto(`${g.baseUrl}/console`);
    // Keyboard only: the username field has focus on arrival, Tab moves to the password, Enter submits.
    await page.getByLabel('Username').waitFor();
    await page.keyboard.type(username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
  }

  it('signs in with a session token kept in sessionStorage, never a cookie', async () => {
    await signIn(TEST_ADMIN.username, TEST_ADMIN.password);
    const token = await page.evaluate(() => sessionStorage.getItem('hookline.ibsso'));
    assert.ok(token && token.length > 20, 'the IBSSO token is in sessionStorage');
    assert.deepEqual(await browser.context.cookies(), [], 'no cookie is set');
    const me = await fetch(`${g.baseUrl}/hookline/1/me`, { headers: { authorization: `IBSSO ${token}` } });
    assert.equal(me.status, 200, 'the token is a live session');
    const sections = await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents();
    assert.deepEqual(sections, ['Messages', 'Webhooks', 'Live', 'Subscriptions', 'Notification profiles', 'Security settings', 'API keys']);
  });

  it('shows a failing delivery live, replays it once the receiver is fixed, and shows it delivered', async () => {
    await page.goto(`${g.baseUrl}/console/#/live`);
    await page.locator('.live-state[data-state="live"]').waitFor();
    receiver.respond = () => ({ status: 500, body: 'receiver is down' });
    // …1001: an intermediate report (absent subscriber), then delivered.
    const messageId = await sendSms('41793021001', { notifyUrl: `${receiver.url}/dlr` });

    // The report, then the failed attempt, appear without a reload.
    await page.locator('li[data-kind="report"]', { hasText: messageId }).first().waitFor();
    const failed = page.locator('li[data-kind="attempt"]', { hasText: '500' }).first();
    await failed.waitFor();
    assert.match(await failed.innerText(), /RETRYING/);

    // Fix the receiver, replay from the live view: the replay's attempt arrives, delivered.
    receiver.respond = () => ({ status: 200, body: 'thanks' });
    const deliveryId = await failed.getAttribute('data-delivery');
    await failed.getByRole('button', { name: `Replay delivery ${deliveryId}` }).click();
    const delivered = page.locator(`li[data-kind="attempt"][data-delivery="${deliveryId}"]`, { hasText: 'DELIVERED' });
    await delivered.waitFor();
    assert.match(await delivered.innerText(), /Attempt 2[\s\S]*200/);
    await shot('console-live');
    assert.equal(receiver.requests.length, 2, 'the receiver got the failed attempt and the replay');
    assert.equal(receiver.requests[0].headers['webhook-id'] ?? receiver.requests[0].body, receiver.requests[1].headers['webhook-id'] ?? receiver.requests[1].body, 'the replay is the same delivery');

    // The delivery's page: both attempts with their answers, nothing left to retry.
    await page.getByRole('link', { name: deliveryId! }).first().click();
    await page.getByRole('heading', { name: `Delivery ${deliveryId}` }).waitFor();
    const attempts = page.getByRole('table').filter({ hasText: 'Response' });
    await attempts.getByText('receiver is down').waitFor();
    await attempts.getByText('thanks').waitFor();
    await page.locator('section[aria-labelledby="delivery-facts"]', { hasText: 'DELIVERED' }).waitFor();
    await page.getByText('No attempt is waiting.').waitFor();
    await shot('console-delivery');

    // The message's page: its timeline and the delivery that carried its report.
    await page.goto(`${g.baseUrl}/console/#/messages/${messageId}`);
    const timeline = page.getByRole('list', { name: 'Status timeline' });
    await timeline.getByText('Final report').waitFor();
    const steps = await timeline.locator('li').allInnerTexts();
    assert.match(steps[0], /ACCEPTED/);
    assert.match(steps[1], /Intermediate report[\s\S]*PENDING_WAITING_DELIVERY[\s\S]*EC_ABSENT_SUBSCRIBER/);
    assert.match(steps.at(-1)!, /DELIVERED[\s\S]*DELIVERED_TO_HANDSET[\s\S]*SMS[\s\S]*EUR/);
    await page.getByRole('link', { name: deliveryId! }).waitFor();
    await shot('console-message');
  });

  it('searches messages by destination and status', async () => {
    const to = `4179${String(Date.now()).slice(-5)}1002`;
    const undeliverable = await sendSms(to);
    // A few more outcomes, for the list and its screenshot: delivered after an intermediate report, rejected, delivered.
    for (const other of ['41793021001', '41793021004', '447700900123', '41793026728']) await sendSms(other);
    await waitUntil(async () => (await g.api('GET', `/hookline/1/messages?messageId=${undeliverable}`)).body.results?.[0]?.status.groupName === 'UNDELIVERABLE', 'the final report');
    await page.goto(`${g.baseUrl}/console/#/messages`);
    await page.getByLabel('Destination').fill(to);
    await page.getByLabel('Status').selectOption('UNDELIVERABLE');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row', { name: new RegExp(undeliverable) });
    await row.waitFor();
    assert.match(await row.innerText(), /UNDELIVERABLE[\s\S]*EC_UNKNOWN_SUBSCRIBER/);
    await page.waitForFunction(() => document.querySelectorAll('table.data tbody tr').length === 1, undefined, { timeout: 5_000 });
    await page.getByLabel('Destination').fill('');
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.data tbody tr').length >= 6);
    await shot('console-messages');
  });

  it('shows target health, latency and the outbox on the webhooks page', async () => {
    await page.goto(`${g.baseUrl}/console/#/webhooks`);
    const targets = page.getByRole('table').filter({ hasText: 'p50 / p90 / p99' });
    const row = targets.getByRole('row', { name: new RegExp(receiver.url.replace(/[.:/]/g, '\\$&')) });
    await row.waitFor();
    assert.match(await row.innerText(), /50 % of 2/, 'one failure and one success in the last hour');
    await page.getByRole('img', { name: /Attempt latency percentiles/ }).waitFor();
    await page.getByLabel('Delivery state').selectOption('DELIVERED');
    await page.getByRole('table').filter({ hasText: 'Next attempt' }).getByText('DELIVERED').first().waitFor();
    await shot('console-webhooks');
  });

  it('creates a notification profile and a subscription through the UI, and the subscription receives its event', async () => {
    const subscriber = await Receiver.start();
    try {
      const profileId = uniq('orders-hook');
      await page.goto(`${g.baseUrl}/console/#/profiles`);
      await page.getByRole('button', { name: 'New profile' }).click();
      await page.getByLabel('Profile ID').fill(profileId);
      await page.getByLabel('Webhook URL').fill(`${subscriber.url}/events`);
      await page.getByRole('button', { name: 'Create profile' }).click();
      await page.getByRole('cell', { name: profileId, exact: true }).waitFor();

      // The API's validation shows in the form: an unknown profile is refused with its reason.
      const subscriptionId = uniq('sms-delivery');
      await page.goto(`${g.baseUrl}/console/#/subscriptions`);
      await page.getByRole('button', { name: 'New subscription' }).click();
      await page.getByLabel('Channel').selectOption('SMS');
      await page.getByLabel('Subscription ID').fill(subscriptionId);
      await page.getByLabel('Name').fill('Delivery reports to the orders service');
      await page.getByLabel('Events').fill('DELIVERY');
      await page.getByLabel('Notification profile').fill('no-such-profile');
      await page.getByRole('button', { name: 'Create subscription' }).click();
      await page.getByRole('alert').filter({ hasText: /profile/i }).waitFor();

      await page.getByLabel('Notification profile').fill(profileId);
      await page.getByRole('button', { name: 'Create subscription' }).click();
      await page.getByRole('cell', { name: subscriptionId, exact: true }).waitFor();
      await shot('console-subscriptions');

      // A message without a notifyUrl: its report goes to the subscription's profile.
      const messageId = await sendSms('41793026729');
      await subscriber.waitFor(() => subscriber.requests.some((r) => r.body.includes(messageId)), 10_000, 'the push to the subscription');
      const pushed = JSON.parse(subscriber.requests.find((r) => r.body.includes(messageId))!.body);
      assert.equal(pushed.results[0].messageId, messageId);
      assert.equal(pushed.results[0].status.groupName, 'DELIVERED');
    } finally {
      await subscriber.close();
    }
  });

  const unnamedControls = () =>
    page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button, a[href]')]
        .filter((el) => {
          const labelled = (el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
          return !labelled && !(el.textContent ?? '').trim();
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );

  it('every control has an accessible name on every screen, forms open too', async () => {
    for (const section of Object.keys(SECTIONS)) {
      await open(section);
      assert.deepEqual(await unnamedControls(), [], `controls without a name on #/${section}`);
      const create = page.getByRole('button', { name: /^New / });
      if ((await create.count()) === 1) {
        await create.click();
        await page.locator('main form').first().waitFor();
        assert.deepEqual(await unnamedControls(), [], `controls without a name in #/${section}'s form`);
      }
    }
  });

  it('the skip link moves focus to the content and keeps the page; a new page puts focus on its content', async () => {
    await open('webhooks');
    await page.reload(); // a fresh page: the first Tab goes to the first control
    await page.locator('main h1', { hasText: 'Webhooks' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    assert.equal(await page.locator('main h1').innerText(), 'Webhooks', 'still on the same page');
    assert.match(page.url(), /#\/webhooks$/);
    await page.getByRole('link', { name: 'Live' }).click();
    await page.locator('main h1', { hasText: 'Live' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  });

  it('shows an API key secret once, and never again', async () => {
    await open('api-keys');
    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByLabel('Name').fill(uniq('console-key'));
    await page.getByLabel('Scopes').fill('sms:logs:read');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const secret = (await page.getByTestId('secret-value').innerText()).trim();
    assert.ok(secret.length >= 16, 'the secret is shown');
    const asKey = await fetch(`${g.baseUrl}/hookline/1/me`, { headers: { authorization: `App ${secret}` } });
    assert.deepEqual((await asKey.json()).scopes, ['sms:logs:read'], 'the shown secret is the new key');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await page.getByTestId('secret-value').count(), 0);
    await page.reload();
    await page.locator('main h1', { hasText: 'API keys' }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the page does not hold the secret after a reload');
    assert.ok(!(await page.evaluate(() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage))).includes(secret), 'nor does storage');
  });

  it('fits a narrow screen: nothing wider than the screen, no table scrolling sideways', async () => {
    const messageId = (await g.api('GET', '/hookline/1/messages?limit=1')).body.results[0].messageId;
    const deliveryId = (await g.api('GET', '/hookline/1/deliveries?limit=1')).body.results[0].id;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const screens: Array<[string, string]> = [
        ...Object.entries(SECTIONS),
        [`messages/${messageId}`, 'Message'],
        [`webhooks/${deliveryId}`, 'Delivery'],
      ];
      for (const [route, title] of screens) {
        await open(route, title);
        await page.locator('main .panel').first().waitFor();
        const overflowing = await page.evaluate(() => {
          const wide = [...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1);
          const scrolling = [...document.querySelectorAll('.table-wrap')].filter((el) => el.scrollWidth > el.clientWidth + 1);
          return [...wide, ...scrolling].map((el) => `${el.tagName.toLowerCase()}.${el.className}`).slice(0, 5);
        });
        assert.deepEqual(overflowing, [], `#/${route} at 390 px`);
        if (route === `messages/${messageId}`) await shot('console-narrow');
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('offers a read-only role only what its scopes allow, and signing out ends the session', async () => {
    const username = uniq('reporter');
    const created = await g.api('POST', '/hookline/1/users', { username, password: 'reporter-password', roles: ['REPORTING'] }, { authorization: `Basic ${Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64')}` });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.evaluate(() => sessionStorage.clear());
    await signIn(username, 'reporter-password');
    const sections = await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents();
    assert.deepEqual(sections, ['Messages', 'Live']);
    const token = await page.evaluate(() => sessionStorage.getItem('hookline.ibsso'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Hookline console' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('hookline.ibsso')), null);
    const after = await fetch(`${g.baseUrl}/hookline/1/me`, { headers: { authorization: `IBSSO ${token}` } });
    assert.equal(after.status, 401, 'DELETE /auth/1/session ended the session');
  });

  it('no page error, console error or CSP violation happened on any screen', () => {
    assert.deepEqual(pageErrors, []);
  });
});
