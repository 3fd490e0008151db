import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { formatInfobipTime, parseInfobipTime } from '../../src/lib/infobip-time.ts';
import { toXml } from '../../src/lib/xml.ts';

describe("Infobip's date-time format", () => {
  it("writes yyyy-MM-dd'T'HH:mm:ss.SSS+0000", () => {
    assert.equal(formatInfobipTime(Date.UTC(2019, 10, 9, 16, 0, 0, 5)), '2019-11-09T16:00:00.005+0000');
  });

  it('reads numeric offsets with and without a colon, Z, and no seconds', () => {
    const utc = Date.UTC(2021, 7, 24, 15, 0, 0);
    assert.equal(parseInfobipTime('2021-08-24T15:00:00.000+0000'), utc);
    // Years 0–99 are those years, not 1900–1999 (Date.UTC's reading).
    assert.equal(new Date(parseInfobipTime('0001-01-01T00:00:00Z')).getUTCFullYear(), 1);
    assert.equal(formatInfobipTime(parseInfobipTime('0099-12-31T23:59:59.000+0000')), '0099-12-31T23:59:59.000+0000');
    assert.equal(parseInfobipTime('2021-08-24T17:00:00.000+0200'), utc);
    assert.equal(parseInfobipTime('2021-08-24T13:00:00.000-02:00'), utc);
    assert.equal(parseInfobipTime('2021-08-24T15:00:00Z'), utc);
    assert.equal(parseInfobipTime('2021-08-24T15:00'), utc);
  });

  it('rejects what is not a date-time', () => {
    for (const bad of ['tomorrow', '2021-13-01T00:00:00Z', '2021-02-30T00:00:00Z', '2021-08-24 15:00:00', '2021-08-24T25:00:00Z']) {
      assert.ok(Number.isNaN(parseInfobipTime(bad)), bad);
    }
  });

  it('rejects offsets no time zone has (hours over 14, minutes over 59)', () => {
    for (const bad of ['2021-08-24T15:00:00.000+9999', '2021-08-24T15:00:00.000+1500', '2021-08-24T15:00:00.000-15:00', '2021-08-24T15:00:00.000+0060', '2021-08-24T15:00:00+05:99']) {
      assert.ok(Number.isNaN(parseInfobipTime(bad)), bad);
    }
    // The extremes that exist are still read.
    const utc = Date.UTC(2021, 7, 24, 15, 0, 0);
    assert.equal(parseInfobipTime('2021-08-25T05:00:00.000+1400'), utc);
    assert.equal(parseInfobipTime('2021-08-24T03:00:00.000-1200'), utc);
    assert.equal(parseInfobipTime('2021-08-24T20:59:00.000+05:59'), utc);
  });
});

describe('Infobip XML', () => {
  it('wraps arrays in a plural element with singular children, like the spec examples', () => {
    const xml = toXml('DeliveryReports', { results: [{ messageId: 'a', error: { permanent: false } }, { messageId: 'b' }] });
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><DeliveryReports><results><result>'));
    const parsed = new XMLParser({ isArray: (name) => name === 'result' }).parse(xml);
    assert.deepEqual(parsed.DeliveryReports.results.result.map((r: { messageId: string }) => r.messageId), ['a', 'b']);
    assert.equal(parsed.DeliveryReports.results.result[0].error.permanent, false);
  });

  it('escapes text so callback data cannot break the document', () => {
    const xml = toXml('r', { callbackData: '<x>&"' });
    assert.ok(xml.includes('&lt;x&gt;&amp;'));
  });
});

describe('query-string dates', () => {
  it("reads an unencoded '+' offset that arrived as a space", () => {
    assert.equal(parseInfobipTime('2021-08-24T15:00:00.000 0000'), Date.UTC(2021, 7, 24, 15));
  });
});
