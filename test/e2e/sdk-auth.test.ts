/**
 * The official Infobip Node SDK (@infobip-api/sdk) with each of its four AuthTypes against a real
 * Hookline, unchanged: ApiKey, Basic, IBSSO (a session from `auth.ibsso.create`, ended by
 * `auth.ibsso.destroy`) and OAuth (a token from `auth.oauth2.create`).
 *
 * Its two traps (node_modules/@infobip-api/sdk/dist/sdk.esm.js, `Auth`): `ibsso.create` builds its
 * client without an authorization, so it sends the literal header `Authorization: undefined`, and
 * `oauth2.create` puts client_id, client_secret and grant_type in the query string with an empty
 * form body. The first test records both against a plain HTTP receiver, so the later ones are
 * known to exercise them. Like every SDK call, these *return* an AxiosError instead of throwing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthType, Infobip } from '@infobip-api/sdk';
import { startGateway, TEST_ADMIN, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';

let gateway: TestGateway;

before(async () => {
  gateway = await startGateway();
});
after(async () => {
  await gateway?.close();
});

/** A successful SDK response's data; a readable failure for the AxiosError the SDK returns instead. */
function ok(response: any, what: string): any {
  if (response instanceof Error || response?.status !== 200) {
    const config = response?.config ?? {};
    assert.fail(
      `${what} failed: ${response?.message ?? ''} — ${String(config.method).toUpperCase()} ${config.url ?? ''} ` +
        `→ ${response?.response?.status ?? response?.status} ${JSON.stringify(response?.response?.data ?? response?.data)}`,
    );
  }
  return response.data;
}

/** The HTTP status of the AxiosError the SDK returned (it must have returned one). */
function failedWith(response: any, what: string): { status: number; data: any } {
  assert.ok(response instanceof Error, `${what}: expected the SDK to return an error, got ${response?.status} ${JSON.stringify(response?.data)}`);
  return { status: (response as any).response?.status, data: (response as any).response?.data };
}

const client = (options: Record<string, string>) => new Infobip({ baseUrl: gateway.baseUrl, ...options } as any) as any;
const userClient = (password = TEST_ADMIN.password) => client({ authType: AuthType.Basic, username: TEST_ADMIN.username, password });
let sent = 0;

/** Sends one SMS with `infobip` and reads it back from the logs with the same client; returns its messageId. */
async function sendAndReadBack(infobip: any, what: string): Promise<string> {
  const to = `4179302${String(6800 + ++sent).padStart(4, '0')}`;
  const data = ok(await infobip.channels.sms.send({ messages: [{ from: 'Hookline', destinations: [{ to }], text: `via ${what}` }] }), `${what}: sms.send`);
  assert.equal(data.messages.length, 1);
  assert.equal(data.messages[0].to, to);
  const messageId = data.messages[0].messageId;
  const logs = ok(await infobip.channels.sms.logs.get({ messageId }), `${what}: sms.logs.get`);
  assert.deepEqual(
    logs.results.map((r: any) => [r.messageId, r.to, r.text]),
    [[messageId, to, `via ${what}`]],
  );
  return messageId;
}

describe('Infobip Node SDK: every AuthType against Hookline', { timeout: 60_000 }, () => {
  test("the SDK's auth calls send `Authorization: undefined` and query-string credentials (recorded)", async () => {
    const receiver = await Receiver.start();
    try {
      receiver.respond = () => ({ status: 200, body: '{}' });
      const sdk = new Infobip({ baseUrl: receiver.url, authType: AuthType.Basic, username: 'jane', password: 'pw-in-the-url' }) as any;
      await sdk.auth.ibsso.create();
      await sdk.auth.oauth2.create();
      const [session, token] = receiver.requests;
      assert.equal(session.path, '/auth/1/session');
      assert.equal(session.headers.authorization, 'undefined');
      assert.deepEqual(JSON.parse(session.body), { password: 'pw-in-the-url', username: 'jane' });
      const url = new URL(token.path, receiver.url);
      assert.equal(url.pathname, '/auth/1/oauth2/token');
      assert.deepEqual(Object.fromEntries(url.searchParams), { client_secret: 'pw-in-the-url', client_id: 'jane', grant_type: 'client_credentials' });
      assert.match(String(token.headers['content-type']), /^application\/x-www-form-urlencoded/);
      assert.equal(token.body, '');
    } finally {
      await receiver.close();
    }
  });

  test('AuthType.ApiKey sends an SMS and reads the logs', async () => {
    await sendAndReadBack(client({ authType: AuthType.ApiKey, apiKey: TEST_API_KEY }), 'ApiKey');
  });

  test('AuthType.Basic sends an SMS and reads the logs', async () => {
    await sendAndReadBack(userClient(), 'Basic');
  });

  test('auth.ibsso.create → AuthType.IBSSO sends an SMS and reads the logs', async () => {
    const created = ok(await userClient().auth.ibsso.create(), 'auth.ibsso.create');
    assert.deepEqual(Object.keys(created), ['token']);
    await sendAndReadBack(client({ authType: AuthType.IBSSO, ibssoToken: created.token }), 'IBSSO');
  });

  test('auth.ibsso.destroy ends the session', async () => {
    const created = ok(await userClient().auth.ibsso.create(), 'auth.ibsso.create');
    const ibsso = client({ authType: AuthType.IBSSO, ibssoToken: created.token });
    ok(await ibsso.channels.sms.logs.get(), 'logs before destroy');

    // The SDK's DELETE carries its default `Content-Type: application/json` and no body at all.
    const destroyed = await userClient().auth.ibsso.destroy(created.token);
    assert.equal(ok(destroyed, 'auth.ibsso.destroy'), '');
    const refused = failedWith(await ibsso.channels.sms.send({ messages: [{ from: 'Hookline', destinations: [{ to: '41793026799' }], text: 'after logout' }] }), 'send after destroy');
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.data, { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } });
    // Destroying it again: the token no longer authenticates anything.
    assert.equal(failedWith(await userClient().auth.ibsso.destroy(created.token), 'second destroy').status, 401);
  });

  test('auth.oauth2.create → AuthType.OAuth sends and reads', async () => {
    const created = ok(await userClient().auth.oauth2.create(), 'auth.oauth2.create');
    assert.equal(created.token_type, 'Bearer');
    assert.equal(created.expires_in, 3600);
    assert.equal(typeof created.access_token, 'string');
    await sendAndReadBack(client({ authType: AuthType.OAuth, oauthToken: created.access_token }), 'OAuth');
  });

  test('a wrong password: every SDK call returns an error with status 401', async () => {
    const wrong = userClient('not-the-admin-password');
    const send = failedWith(await wrong.channels.sms.send({ messages: [{ from: 'Hookline', destinations: [{ to: '41793026798' }], text: 'nope' }] }), 'Basic send');
    assert.equal(send.status, 401);
    assert.deepEqual(send.data, { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } });
    assert.equal(failedWith(await wrong.channels.sms.logs.get(), 'Basic logs').status, 401);
    assert.equal(failedWith(await wrong.auth.ibsso.create(), 'ibsso.create').status, 401);
    const token = failedWith(await wrong.auth.oauth2.create(), 'oauth2.create');
    assert.equal(token.status, 401);
    assert.equal(token.data.error, 'Invalid login details');
    // And wrong tokens for the token schemes.
    const wrongTokens: Array<Record<string, string>> = [
      { authType: AuthType.ApiKey, apiKey: 'not-a-key' },
      { authType: AuthType.IBSSO, ibssoToken: 'not-a-session' },
      { authType: AuthType.OAuth, oauthToken: 'not-a-token' },
    ];
    for (const options of wrongTokens) {
      assert.equal(failedWith(await client(options).channels.sms.logs.get(), options.authType).status, 401, options.authType);
    }
  });
});
