/**
 * At most `limit` pieces of work at once, the rest waiting in arrival order. The SP-TSM admits
 * applications through one: their costly steps (the password's scrypt hash, the JPKI system's key
 * generation) run on libuv's small thread pool, so more of them in flight add no throughput — they
 * only interleave, and under a burst every applicant then waits for the whole burst.
 */
export class Admission {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('an admission limit is a positive integer');
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, or frees.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** libuv's thread pool size: UV_THREADPOOL_SIZE, default 4. */
export function threadPoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? n : 4;
}
