import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTooLong, MAX_PARTS, MAX_TEXT_BYTES, segment } from '../../src/messaging/segmentation.ts';

const EMOJI = '😀'; // U+1F600, a surrogate pair (2 UTF-16 code units)

describe('segment: Infobip preview examples', () => {
  it('plain English text fits in one GSM-7 part', () => {
    const s = segment("Let's see how many characters remain unused in this message.");
    assert.equal(s.encoding, 'GSM7');
    assert.equal(s.parts, 1);
    assert.equal(s.charactersRemaining, 100);
  });

  it('Turkish text without language config falls back to UCS-2', () => {
    const text =
      'Mesaj gönderimi yapmadan önce önizleme seçeneğini kullanmanız doğru karar vermenize yardımcı olur.';
    const s = segment(text);
    assert.equal(s.encoding, 'UCS2');
    assert.equal(s.unitsUsed, 98);
    assert.equal(s.parts, 2);
    assert.equal(s.charactersRemaining, 36);
  });
});

describe('segment: GSM-7 boundaries', () => {
  const cases: Array<[number, number]> = [
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
  ];
  for (const [length, parts] of cases) {
    it(`${length} GSM characters -> ${parts} part(s)`, () => {
      const s = segment('a'.repeat(length));
      assert.equal(s.encoding, 'GSM7');
      assert.equal(s.parts, parts);
      assert.equal(s.unitsUsed, length);
    });
  }

  it('160 characters leave 0 remaining; 161 leave 153*2-161', () => {
    assert.equal(segment('a'.repeat(160)).charactersRemaining, 0);
    assert.equal(segment('a'.repeat(161)).charactersRemaining, 306 - 161);
  });

  it('extension characters cost two septets', () => {
    const s80 = segment('€'.repeat(80));
    assert.equal(s80.encoding, 'GSM7');
    assert.equal(s80.unitsUsed, 160);
    assert.equal(s80.parts, 1);
    const s81 = segment('€'.repeat(81));
    assert.equal(s81.unitsUsed, 162);
    assert.equal(s81.parts, 2);
    assert.equal(segment('^{}\\[~]|\f').unitsUsed, 18);
  });

  it('never splits an escape sequence across parts', () => {
    // 152 'a' + '€' alone is 154 septets, which still fits one 160-septet SMS,
    // so pad past 160 to force multipart.
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10); // 164 septets -> multipart
    const s = segment(text);
    assert.equal(s.unitsUsed, 164);
    assert.equal(s.parts, 2);
    // Part 1 holds only 152 septets; the euro (2) + 10 'b' go to part 2.
    assert.equal(s.charactersRemaining, 153 - 12);

    // 306 septets would fit in 2 x 153, but the euro cannot straddle the
    // first boundary, so it needs 3 parts.
    const straddle = segment('a'.repeat(152) + '€' + 'a'.repeat(152));
    assert.equal(straddle.unitsUsed, 306);
    assert.equal(straddle.parts, 3);
  });
});

describe('segment: UCS-2 boundaries', () => {
  const cases: Array<[number, number]> = [
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
  ];
  for (const [length, parts] of cases) {
    it(`${length} UCS-2 code units -> ${parts} part(s)`, () => {
      const s = segment('ж'.repeat(length));
      assert.equal(s.encoding, 'UCS2');
      assert.equal(s.parts, parts);
      assert.equal(s.unitsUsed, length);
    });
  }

  it('an emoji counts two code units and is not split at a part boundary', () => {
    assert.deepEqual(segment(EMOJI.repeat(35)), {
      encoding: 'UCS2',
      parts: 1,
      unitsUsed: 70,
      charactersRemaining: 0,
    });
    // 66 units then a surrogate pair: the pair cannot straddle unit 67, so it
    // moves to part 2 -> 134 units total but 3 parts once part 2 is filled.
    const s = segment('ж'.repeat(66) + EMOJI + 'ж'.repeat(66));
    assert.equal(s.unitsUsed, 134);
    assert.equal(s.parts, 3);
    const t = segment('ж'.repeat(66) + EMOJI + 'ж'.repeat(5));
    assert.equal(t.parts, 2);
    assert.equal(t.charactersRemaining, 67 - 7);
  });
});

describe('segment: empty text', () => {
  it('counts as one GSM-7 part with 160 remaining', () => {
    assert.deepEqual(segment(''), {
      encoding: 'GSM7',
      parts: 1,
      unitsUsed: 0,
      charactersRemaining: 160,
    });
  });
});

describe('isTooLong', () => {
  it('allows 25 parts and rejects 26', () => {
    assert.equal(MAX_PARTS, 25);
    const max = 'a'.repeat(153 * 25);
    assert.equal(segment(max).parts, 25);
    assert.equal(isTooLong(max), false);
    assert.equal(segment(max + 'a').parts, 26);
    assert.equal(isTooLong(max + 'a'), true);
  });

  it('rejects text over 4000 UTF-8 bytes even when under 25 parts', () => {
    assert.equal(MAX_TEXT_BYTES, 4000);
    const ok = 'é'.repeat(2000); // GSM-7, 2000 septets (14 parts), 4000 bytes
    assert.equal(isTooLong(ok), false);
    const tooBig = 'é'.repeat(2001); // 4002 bytes
    assert.ok(segment(tooBig).parts <= 25);
    assert.equal(isTooLong(tooBig), true);
  });

  it('is false for short text', () => {
    assert.equal(isTooLong(''), false);
    assert.equal(isTooLong('hello'), false);
  });
});
