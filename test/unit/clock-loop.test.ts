import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { WorkerLoop } from '../../src/lib/worker-loop.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('ManualClock and WorkerLoop', () => {
  it('a loop sleeps until the next due time of the clock, not on a polling interval', async () => {
    const clock = new ManualClock(0);
    const passes: number[] = [];
    const loop = new WorkerLoop('t', async (now) => {
      passes.push(now);
      return { more: false, nextDueAt: now + 1_000 };
    }, clock, pino({ level: 'silent' }));
    loop.start();
    await tick();
    assert.deepEqual(passes, [0]);
    clock.advance(999);
    await tick();
    assert.deepEqual(passes, [0], 'not before the due time');
    clock.advance(1);
    await tick();
    assert.deepEqual(passes, [0, 1_000]);
    loop.wakeup.ring();
    await tick();
    assert.deepEqual(passes, [0, 1_000, 1_000], 'a ring runs a pass at once');
    await loop.stop();
  });

  it('a ring during a pass is not lost', async () => {
    const clock = new ManualClock(0);
    let passes = 0;
    let loop!: WorkerLoop;
    loop = new WorkerLoop('t', async () => {
      passes++;
      if (passes === 1) loop.wakeup.ring();
      return { more: false, nextDueAt: null };
    }, clock, pino({ level: 'silent' }));
    loop.start();
    await tick();
    assert.equal(passes, 2);
    await loop.stop();
  });

  it('a failing pass is retried with backoff, not abandoned', async () => {
    let passes = 0;
    const loop = new WorkerLoop('t', async () => {
      passes++;
      if (passes < 3) throw new Error('disk full');
      return { more: false, nextDueAt: null };
    }, new ManualClock(0), pino({ level: 'silent' }));
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(passes, 3);
    await loop.stop();
  });
});
