import net from 'node:net';
import { once } from 'node:events';
import { CardRemovedError, TransportError } from '../errors.js';

/** Control codes of the vpcd protocol (vsmartcard's vpcd.h). */
export const VpcdControl = {
  powerOff: 0,
  powerOn: 1,
  reset: 2,
  atr: 4,
} as const;

interface Pending {
  resolve(body: Uint8Array): void;
  reject(error: Error): void;
}

/**
 * The reader side of the vpcd socket protocol: it listens, a card (the simulator)
 * connects. Frames are a two-byte big-endian length and a body, in both directions.
 * One request is in flight at a time, as on a real reader.
 */
export class VpcdConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private closedError: Error | undefined;

  constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const onGone = (error?: Error) => {
      this.closedError ??= new CardRemovedError(`the simulated card disconnected${error ? `: ${error.message}` : ''}`);
      const p = this.pending;
      this.pending = undefined;
      p?.reject(this.closedError);
    };
    socket.on('error', onGone);
    socket.on('close', () => onGone());
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 2) {
      const length = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + length) return;
      const body = new Uint8Array(this.buffered.subarray(2, 2 + length));
      this.buffered = this.buffered.subarray(2 + length);
      const p = this.pending;
      this.pending = undefined;
      if (p) p.resolve(body);
      else this.socket.destroy(new TransportError('the simulated card sent data nobody asked for'));
    }
  }

  private frame(body: Uint8Array): Buffer {
    if (body.length > 0xffff) throw new TransportError(`vpcd frames carry at most 65535 bytes, not ${body.length}`);
    const frame = Buffer.allocUnsafe(2 + body.length);
    frame.writeUInt16BE(body.length, 0);
    frame.set(body, 2);
    return frame;
  }

  /** Sends a body and waits for the card's answer. */
  request(body: Uint8Array): Promise<Uint8Array> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new TransportError('a command is already in flight on this vpcd link'));
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(this.frame(body));
    });
  }

  /** Sends a control code that the card does not answer (power on/off, reset). */
  control(code: number): void {
    if (this.closedError) throw this.closedError;
    this.socket.write(this.frame(Uint8Array.of(code)));
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    this.socket.end();
    this.socket.destroy();
  }
}

/** Listens for one simulated card on a loopback port (0 picks a free one). */
export class VpcdServer {
  /** Cards that connected before anyone waited for them (several slots of one simulator connect at once). */
  private readonly arrived: net.Socket[] = [];
  private waiting: ((socket: net.Socket) => void) | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {
    server.on('connection', (socket: net.Socket) => {
      const take = this.waiting;
      this.waiting = undefined;
      if (take) take(socket);
      else this.arrived.push(socket);
    });
  }

  static async listen(port = 0, host = '127.0.0.1'): Promise<VpcdServer> {
    const server = net.createServer({ noDelay: true });
    server.listen(port, host);
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([e]) => {
        throw new TransportError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
      }),
    ]);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new TransportError('no TCP address to listen on');
    return new VpcdServer(server, address.port);
  }

  /** Waits for the card to connect; rejects after the timeout or when `abort` fires first. */
  accept(timeoutMs: number, abort?: Promise<never>): Promise<VpcdConnection> {
    const early = this.arrived.shift();
    if (early) return Promise.resolve(new VpcdConnection(early));
    return new Promise<VpcdConnection>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new TransportError(`no simulated card connected to port ${this.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (socket: net.Socket) => {
        clearTimeout(timer);
        resolve(new VpcdConnection(socket));
      };
      abort?.catch((e: unknown) => {
        clearTimeout(timer);
        this.waiting = undefined;
        reject(e instanceof Error ? e : new TransportError(String(e)));
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
