import { Admission } from '../../src/services/sp-tsm/admission.js';

describe('admission', () => {
  test('runs at most the limit at once, the rest in arrival order, and frees the slot of work that failed', async () => {
    const admission = new Admission(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const work = (i: number) => () =>
      new Promise<number>((resolve, reject) => {
        running++;
        most = Math.max(most, running);
        started.push(i);
        releases[i] = () => {
          running--;
          if (i === 1) reject(new Error('refused'));
          else resolve(i);
        };
      });
    const results = [0, 1, 2, 3, 4].map((i) => admission.run(work(i)));
    const settled = Promise.allSettled(results);
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    await tick();
    expect(started).toEqual([0, 1]);
    releases[1]!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    releases[0]!();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    releases[2]!();
    releases[3]!();
    await tick();
    releases[4]!();
    const outcome = await settled;
    expect(outcome.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(most).toBe(2);
  });

  test('a limit is a positive integer', () => {
    expect(() => new Admission(0)).toThrow(RangeError);
  });
});
