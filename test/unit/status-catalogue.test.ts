import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  ERROR,
  ERRORS,
  ERROR_GROUP_NAMES,
  STATUS,
  STATUSES,
  STATUS_GROUP_NAMES,
  errorById,
  errorObject,
  isFinalStatus,
  statusById,
  statusObject,
} from '../../src/messaging/status-catalogue.ts';

/**
 * The yml's "General error codes" family lists 146 entries: 4102 EC_NOTSUBMITTEDTOSMPPCHANNEL appears
 * under both USER_ERRORS and OPERATOR_ERRORS, so there are 145 distinct error ids.
 */
const YML_GENERAL_ERROR_UNIQUE_COUNT = 145;
/** The yml's "Email error codes" family: 48 ids (6002-6058), each listed once; the catalogue holds them all. */
const YML_EMAIL_ERROR_COUNT = 48;
const isEmailError = (id: number) => id >= 6000 && id < 7000;
// shared/ sits beside the checkout (as in CI); the cross-check is skipped where it does not.
const YML_PATH = new URL('../../../shared/reference/infobip-openapi/status-and-error-codes.yml', import.meta.url).pathname;

interface YmlCode {
  id: number;
  name: string;
  groupId: number;
  permanent: boolean;
}

/** Minimal line-based reader for one family of status-and-error-codes.yml (no YAML dependency). */
function readYmlFamily(text: string, family: string): YmlCode[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === `- family: ${family}`);
  assert.ok(start >= 0, `family ${family} not found`);
  const codes: YmlCode[] = [];
  let groupId = -1;
  let cur: Partial<YmlCode> | undefined;
  const flush = () => {
    if (cur) codes.push({ permanent: false, ...cur, groupId } as YmlCode);
    cur = undefined;
  };
  for (let i = start + 1; i < lines.length && !lines[i].startsWith('- family:'); i++) {
    const l = lines[i];
    let m: RegExpMatchArray | null;
    if ((m = l.match(/^ {4}group_id: (\d+)$/))) {
      flush();
      groupId = Number(m[1]);
    } else if ((m = l.match(/^ {4}- id: (\d+)$/))) {
      flush();
      cur = { id: Number(m[1]) };
    } else if (cur && (m = l.match(/^ {6}name: (\S+)$/))) {
      cur.name = m[1];
    } else if (cur && (m = l.match(/^ {6}permanent: (true|false)$/))) {
      cur.permanent = m[1] === 'true';
    }
  }
  flush();
  return codes;
}

describe('status catalogue: integrity', () => {
  it('status ids and error ids are unique', () => {
    assert.equal(new Set(STATUSES.map((s) => s.id)).size, STATUSES.length);
    assert.equal(new Set(ERRORS.map((e) => e.id)).size, ERRORS.length);
  });

  it('contains every general SMS status from infobip-messaging.md §3.2', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 29, 31, 51, 52, 87, 100];
    assert.deepEqual(STATUSES.map((s) => s.id).sort((a, b) => a - b), ids);
    assert.equal(statusById(14).name, 'REJECTED_DESTINATION_BLOCKLISTED');
    assert.equal(statusById(87).groupId, 5);
    assert.equal(statusById(87).groupName, 'REJECTED');
  });

  it('group names match group ids', () => {
    assert.deepEqual([...STATUS_GROUP_NAMES], ['ACCEPTED', 'PENDING', 'UNDELIVERABLE', 'DELIVERED', 'EXPIRED', 'REJECTED']);
    assert.deepEqual([...ERROR_GROUP_NAMES], ['OK', 'HANDSET_ERRORS', 'USER_ERRORS', 'OPERATOR_ERRORS']);
    for (const s of STATUSES) assert.equal(s.groupName, STATUS_GROUP_NAMES[s.groupId]);
    for (const e of ERRORS) assert.equal(e.groupName, ERROR_GROUP_NAMES[e.groupId]);
  });

  it('names are upper snake case; descriptions are short, non-empty, without a trailing period', () => {
    for (const d of [...STATUSES, ...ERRORS]) {
      assert.match(d.name, /^[A-Z0-9_]+$/, d.name);
      assert.ok(d.description.length > 0 && d.description.length <= 60, `${d.id} ${d.description}`);
      assert.ok(!d.description.endsWith('.'), `${d.id} ${d.description}`);
    }
  });

  it('STATUS / ERROR constants point at entries with the same name', () => {
    for (const [name, id] of Object.entries(STATUS)) assert.equal(statusById(id).name, name);
    for (const [name, id] of Object.entries(ERROR)) assert.equal(errorById(id).name, name);
  });

  it('error count matches the yml general (145 distinct ids) and email (48) error families', () => {
    assert.equal(ERRORS.filter((e) => !isEmailError(e.id)).length, YML_GENERAL_ERROR_UNIQUE_COUNT);
    assert.equal(ERRORS.filter((e) => isEmailError(e.id)).length, YML_EMAIL_ERROR_COUNT);
  });

  it('email errors match the yml email error family exactly (id, name, group, permanent)', { skip: !existsSync(YML_PATH) }, () => {
    const yml = readYmlFamily(readFileSync(YML_PATH, 'utf8'), 'Email error codes');
    assert.equal(yml.length, YML_EMAIL_ERROR_COUNT);
    const ours = ERRORS.filter((e) => isEmailError(e.id)).map(({ id, name, groupId, permanent }) => ({ id, name, groupId, permanent }));
    const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
    assert.deepEqual(ours.sort(byId), yml.map(({ id, name, groupId, permanent }) => ({ id, name, groupId, permanent })).sort(byId));
  });

  it('the email errors the simulator produces are named constants', () => {
    assert.deepEqual(errorObject(ERROR.EC_HARD_BOUNCE, 'v3'), {
      groupId: 2,
      groupName: 'USER_ERRORS',
      id: 6012,
      name: 'EC_HARD_BOUNCE',
      description: 'Hard Bounce',
      permanent: true,
    });
    assert.equal(errorById(ERROR.EC_MAILBOX_TEMPORARY_UNAVAILABLE).permanent, false);
    assert.equal(errorById(ERROR.EC_SOFT_BOUNCE).id, 6011);
    assert.equal(errorById(ERROR.EC_INVALID_EMAIL_ADDRESS).id, 6006);
  });

  it('errors match the yml general error family (id, name, group, permanent)', { skip: !existsSync(YML_PATH) }, () => {
    const yml = readYmlFamily(readFileSync(YML_PATH, 'utf8'), 'General error codes');
    assert.equal(yml.length, 146);
    assert.equal(new Set(yml.map((c) => c.id)).size, YML_GENERAL_ERROR_UNIQUE_COUNT);
    for (const e of ERRORS.filter((e) => !isEmailError(e.id))) {
      const listed = yml.filter((c) => c.id === e.id);
      assert.ok(
        listed.some((c) => c.name === e.name && c.groupId === e.groupId && c.permanent === e.permanent),
        `error ${e.id} ${e.name} does not match the yml`,
      );
    }
  });

  it('statuses present in the yml general status family agree on name', { skip: !existsSync(YML_PATH) }, () => {
    const yml = readYmlFamily(readFileSync(YML_PATH, 'utf8'), 'General status codes');
    for (const s of STATUSES) {
      const listed = yml.filter((c) => c.id === s.id);
      if (listed.length === 0) continue; // 1 and 22 exist only in the old Infobip table
      assert.ok(listed.some((c) => c.name === s.name && c.groupId === s.groupId), `status ${s.id} ${s.name}`);
    }
  });
});

describe('status catalogue: wire objects', () => {
  it('statusObject(5) equals Infobip example', () => {
    assert.deepEqual(statusObject(5), {
      groupId: 3,
      groupName: 'DELIVERED',
      id: 5,
      name: 'DELIVERED_TO_HANDSET',
      description: 'Message delivered to handset',
    });
  });

  it('statusObject(26) equals Infobip example', () => {
    assert.deepEqual(statusObject(26), {
      groupId: 1,
      groupName: 'PENDING',
      id: 26,
      name: 'PENDING_ACCEPTED',
      description: 'Message sent to next instance',
    });
  });

  it('errorObject(0) equals Infobip example; v2 spells the group "Ok"', () => {
    assert.deepEqual(errorObject(0, 'v3'), {
      groupId: 0,
      groupName: 'OK',
      id: 0,
      name: 'NO_ERROR',
      description: 'No Error',
      permanent: false,
    });
    assert.equal(errorObject(0, 'v2').groupName, 'Ok');
    assert.deepEqual({ ...errorObject(0, 'v2'), groupName: 'OK' }, errorObject(0, 'v3'));
    assert.equal(errorObject(1, 'v2').groupName, 'HANDSET_ERRORS');
  });

  it('action appears only where the catalogue has one', () => {
    assert.equal(statusObject(STATUS.REJECTED_NETWORK).action, 'Contact account manager');
    assert.ok(!('action' in statusObject(5)));
    for (const s of STATUSES) {
      if (s.id !== STATUS.REJECTED_NETWORK) assert.ok(!('action' in statusObject(s.id)), String(s.id));
    }
  });

  it('wire objects are fresh copies', () => {
    const a = statusObject(5);
    a.description = 'mutated';
    assert.equal(statusObject(5).description, 'Message delivered to handset');
    const e = errorObject(1, 'v3');
    e.permanent = false;
    assert.equal(errorObject(1, 'v3').permanent, true);
  });
});

describe('status catalogue: semantics', () => {
  it('permanent flags', () => {
    assert.equal(errorById(ERROR.EC_UNKNOWN_SUBSCRIBER).permanent, true);
    assert.equal(errorById(ERROR.EC_ABSENT_SUBSCRIBER).permanent, false);
    assert.equal(errorById(ERROR.EC_CALL_BARRED).permanent, false);
    assert.equal(errorById(ERROR.EC_MESSAGE_CANCELED).permanent, true);
    assert.equal(errorById(ERROR.EC_VALIDITY_EXPIRED).permanent, true);
  });

  it('finality', () => {
    for (const id of [2, 3, 26]) assert.equal(isFinalStatus(id), false, String(id));
    for (const id of [5, 9, 15, 6]) assert.equal(isFinalStatus(id), true, String(id));
    for (const s of STATUSES) {
      const expected = !(s.name.startsWith('PENDING_') || s.name === 'DELIVERED_TO_OPERATOR');
      assert.equal(s.final, expected, s.name);
    }
  });

  it('unknown ids throw', () => {
    assert.throws(() => statusById(9999), /Unknown Infobip status id: 9999/);
    assert.throws(() => statusObject(16));
    assert.throws(() => isFinalStatus(-1));
    assert.throws(() => errorById(3), /Unknown Infobip error id: 3/);
    assert.throws(() => errorObject(99999, 'v3'));
  });
});
