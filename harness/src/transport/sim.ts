import { SimulatorProcess } from '../sim/simulator-process.js';
import { TransportError } from '../errors.js';
import type { TransmitOptions, Transport } from './transport.js';
import { VpcdConnection, VpcdControl, VpcdServer } from './vpcd-server.js';

export interface SimTransportOptions {
  /** Path of jpki-simulator.jar (default: build/jpki-simulator.jar of this package). */
  readonly jar?: string;
  readonly atr?: string;
  /** Listen on this port and wait for a simulator started elsewhere instead of starting one. */
  readonly attachPort?: number;
  readonly connectTimeoutMs?: number;
  readonly logFile?: string;
  /** The started card's identity from this seed (hex), so tests get the same card every time. */
  readonly cardSeed?: string;
  /** The started card's issuer identification number (6 bytes, hex), as an operator's SIM carries it. */
  readonly iin?: string;
  /** A vendor persona file for the started card, and the factor for its operation times. */
  readonly persona?: string;
  readonly latencyScale?: number;
  /** TEST: start the applicant's My Number card (docs/my-number-card.md) instead of a SIM. */
  readonly myNumberCard?: boolean;
}

/**
 * The direct path to the simulator: the harness plays the vpcd reader itself, so no
 * pcscd is involved. It starts the simulator (or waits for one to attach), powers the
 * card and reads its ATR.
 */
export class SimTransport implements Transport {
  private constructor(
    private readonly server: VpcdServer,
    private readonly link: VpcdConnection,
    private readonly simulator: SimulatorProcess | undefined,
    private currentAtr: Uint8Array,
  ) {}

  get description(): string {
    return `simulator (direct vpcd link, port ${this.server.port})`;
  }

  get atr(): Uint8Array {
    return this.currentAtr;
  }

  /** Process id of the simulator this transport started (undefined when attached). */
  get simulatorPid(): number | undefined {
    return this.simulator?.child.pid;
  }

  static async open(options: SimTransportOptions = {}): Promise<SimTransport> {
    const server = await VpcdServer.listen(options.attachPort ?? 0);
    let simulator: SimulatorProcess | undefined;
    try {
      let abort: Promise<never> | undefined;
      if (options.attachPort === undefined) {
        const started = SimulatorProcess.start({
          connect: `127.0.0.1:${server.port}`,
          once: true,
          ...(options.jar !== undefined ? { jar: options.jar } : {}),
          ...(options.atr !== undefined ? { atr: options.atr } : {}),
          ...(options.logFile !== undefined ? { logFile: options.logFile } : {}),
          ...(options.cardSeed !== undefined ? { cardSeed: options.cardSeed } : {}),
          ...(options.iin !== undefined ? { iin: options.iin } : {}),
          ...(options.persona !== undefined ? { persona: options.persona } : {}),
          ...(options.latencyScale !== undefined ? { latencyScale: options.latencyScale } : {}),
          ...(options.myNumberCard ? { myNumberCard: true } : {}),
        });
        simulator = started.process;
        abort = started.exited;
      }
      const link = await server.accept(options.connectTimeoutMs ?? 20000, abort);
      link.control(VpcdControl.powerOn);
      const atr = await link.request(Uint8Array.of(VpcdControl.atr));
      return new SimTransport(server, link, simulator, atr);
    } catch (error) {
      await simulator?.stop();
      await server.close();
      throw error;
    }
  }

  /**
   * Several independent cards (each its own identity and keys) from one simulator process: one JVM for a
   * test or a bench that needs many SIMs. `close` ends every link, then the simulator.
   */
  static async openSeveral(
    count: number,
    options: Omit<SimTransportOptions, 'attachPort' | 'cardSeed'> = {},
  ): Promise<{ cards: SimTransport[]; close(): Promise<void> }> {
    const servers = await Promise.all(Array.from({ length: count }, () => VpcdServer.listen(0)));
    const started = SimulatorProcess.start({
      connect: servers.map((s) => `127.0.0.1:${s.port}`),
      once: true,
      ...(options.jar !== undefined ? { jar: options.jar } : {}),
      ...(options.persona !== undefined ? { persona: options.persona } : {}),
      ...(options.latencyScale !== undefined ? { latencyScale: options.latencyScale } : {}),
    });
    const cards: SimTransport[] = [];
    try {
      for (const server of servers) {
        const link = await server.accept(options.connectTimeoutMs ?? 30000, started.exited);
        link.control(VpcdControl.powerOn);
        cards.push(new SimTransport(server, link, undefined, await link.request(Uint8Array.of(VpcdControl.atr))));
      }
    } catch (error) {
      await Promise.all(cards.map((c) => c.close()));
      await Promise.all(servers.slice(cards.length).map((s) => s.close()));
      await started.process.stop();
      throw error;
    }
    return {
      cards,
      close: async () => {
        await Promise.all(cards.map((c) => c.close()));
        await started.process.stop();
      },
    };
  }

  async transmit(command: Uint8Array, _options?: TransmitOptions): Promise<Uint8Array> {
    if (command.length < 4) throw new TransportError(`a command APDU has at least 4 bytes, got ${command.length}`);
    return this.link.request(command);
  }

  async reset(options: { cold?: boolean } = {}): Promise<Uint8Array> {
    if (options.cold) {
      this.link.control(VpcdControl.powerOff);
      this.link.control(VpcdControl.powerOn);
    } else {
      this.link.control(VpcdControl.reset);
    }
    this.currentAtr = await this.link.request(Uint8Array.of(VpcdControl.atr));
    return this.currentAtr;
  }

  async close(): Promise<void> {
    if (!this.link.closed) {
      try {
        this.link.control(VpcdControl.powerOff);
      } catch {
        // already gone
      }
    }
    await this.link.close();
    await this.simulator?.stop();
    await this.server.close();
  }
}
