/**
 * RSA-2048 key pairs generated ahead of need, as a CA's HSM keeps a pool: generation takes a few hundred
 * milliseconds and varies widely, so an issuance takes a ready pair and the pool refills in the
 * background (libuv's thread pool; one generation at a time). Pairs live in memory only and each is
 * handed out once; an empty pool generates on demand.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generateRsa = promisify(generateKeyPair);

export interface RsaKeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

const generate = (): Promise<RsaKeyPair> => generateRsa('rsa', { modulusLength: 2048 });

export class KeyPool {
  private readonly ready: RsaKeyPair[] = [];
  private filling = false;
  private closed = false;

  /** @param size pairs kept ready (0: always generate on demand) */
  constructor(private readonly size = 4) {
    this.refill();
  }

  /** A fresh pair, from the pool when one is ready. */
  async take(): Promise<RsaKeyPair> {
    const pair = this.ready.shift();
    this.refill();
    return pair ?? generate();
  }

  /** Stops refilling and forgets the ready pairs. */
  close(): void {
    this.closed = true;
    this.ready.length = 0;
  }

  private refill(): void {
    if (this.filling || this.closed || this.ready.length >= this.size) return;
    this.filling = true;
    generate()
      .then((pair) => {
        if (!this.closed) this.ready.push(pair);
      })
      .catch(() => undefined)
      .finally(() => {
        this.filling = false;
        this.refill();
      });
  }
}
