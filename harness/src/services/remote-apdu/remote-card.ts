/**
 * The TSM's side of a remote-APDU session. A flow (install, personalise) is ordinary async code written
 * against a Transport; RemoteCard turns each transmit into a batch that waits for the device agent's
 * next report. One RemoteSession per write session: it serialises the agent's reports, answers a
 * repeated report with the instruction it already sent, and gives up on an agent that stops answering.
 */
import { TransportError } from '../../errors.js';
import { parseHex as fromHex, toHex } from '../../apdu/hex.js';
import type { Transport, TransmitOptions } from '../../transport/transport.js';
import { conflict } from '../http/errors.js';
import type { AgentReport, TsmInstruction } from './protocol.js';

/** The outcome a flow ends with; `detail` goes to the agent (nothing secret). */
export interface FlowOutcome {
  readonly outcome: string;
  readonly detail?: Readonly<Record<string, string>>;
}

/** The card as a flow sees it: a Transport, plus batches, progress labels and visits to another TSM. */
export interface RemoteCard extends Transport {
  /** Sends several commands in one round trip; the answers come back in order (fewer if stopOnError stopped them). */
  exchange(commands: readonly Uint8Array[], stopOnError?: boolean): Promise<Uint8Array[]>;
  /** Labels the following batches for the agent's progress display. */
  step(label: string): void;
  /** Asks the agent to run another TSM's remote session (the MNO-TSM's) and waits until it has. */
  visit(url: string, token: string): Promise<string>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class DeviceAgentGoneError extends TransportError {}

interface Waiting {
  resolve(report: AgentReport): void;
  reject(error: Error): void;
}

export interface RemoteSessionOptions {
  /** How long a flow waits for the agent's next report before it gives up (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** The previous exchange of this session was lost (a restart): the first instruction says so. */
  readonly restarted?: boolean;
}

export class RemoteSession {
  private sequence = -1;
  private lastSent: TsmInstruction | undefined;
  private waiting: Waiting | undefined;
  private nextInstruction: ((i: TsmInstruction) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private label = '';
  private finished = false;
  private agentInfo: { reader: string; atr: string } | undefined;
  private readonly idleTimeoutMs: number;
  private restartedFlag: boolean;

  constructor(
    readonly id: string,
    private readonly flow: (card: RemoteCard) => Promise<FlowOutcome>,
    options: RemoteSessionOptions = {},
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.restartedFlag = options.restarted ?? false;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Takes one report from the agent and answers with the next instruction (serialised per session). */
  handle(report: AgentReport): Promise<TsmInstruction> {
    const result = this.queue.then(() => this.handleInOrder(report));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async handleInOrder(report: AgentReport): Promise<TsmInstruction> {
    if (report.agent) this.agentInfo = report.agent;
    if (this.lastSent === undefined) {
      // The first report starts the flow, whatever it acknowledges (after a restart the agent still
      // acknowledges the batch it ran before the TSM went away).
      const next = this.awaitInstruction();
      void this.runFlow();
      return next;
    }
    if (report.acknowledges === this.lastSent.sequence - 1 || (this.finished && report.acknowledges !== this.lastSent.sequence)) {
      return this.lastSent; // our answer was lost on the way: the same instruction again
    }
    if (report.acknowledges !== this.lastSent.sequence) {
      throw conflict('out-of-order', `report for batch ${String(report.acknowledges)}, expected ${this.lastSent.sequence}`);
    }
    if (this.finished) return this.lastSent;
    const waiting = this.waiting;
    if (!waiting) throw conflict('out-of-order', 'no batch is outstanding');
    this.waiting = undefined;
    const next = this.awaitInstruction();
    waiting.resolve(report);
    return next;
  }

  private awaitInstruction(): Promise<TsmInstruction> {
    return new Promise<TsmInstruction>((resolve) => {
      this.nextInstruction = (instruction) => {
        this.lastSent = instruction;
        resolve(instruction);
      };
    });
  }

  private emit(instruction: DistributiveOmit<TsmInstruction, 'sequence'>): number {
    this.sequence += 1;
    const full = { ...instruction, sequence: this.sequence } as TsmInstruction;
    const deliver = this.nextInstruction;
    this.nextInstruction = undefined;
    if (!deliver) throw new Error('an instruction with nobody to take it');
    deliver(full);
    return this.sequence;
  }

  private waitForReport(): Promise<AgentReport> {
    return new Promise<AgentReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new DeviceAgentGoneError(`the device agent did not report within ${this.idleTimeoutMs} ms`));
      }, this.idleTimeoutMs);
      timer.unref();
      this.waiting = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Ends a flow that waits for an agent (the service is shutting down, or a newer session replaced it). */
  abandon(reason: string): void {
    this.waiting?.reject(new DeviceAgentGoneError(reason));
    this.waiting = undefined;
  }

  private async runFlow(): Promise<void> {
    const card = this.card();
    try {
      const result = await this.flow(card);
      this.finished = true;
      this.emit({ kind: 'done', outcome: result.outcome, ...(result.detail ? { detail: result.detail } : {}) });
    } catch (error) {
      this.finished = true;
      const reason = error instanceof Error ? error.message : 'the flow failed';
      if (this.nextInstruction) this.emit({ kind: 'failed', reason });
    }
  }

  private card(): RemoteCard {
    const exchange = async (commands: readonly Uint8Array[], stopOnError = false): Promise<Uint8Array[]> => {
      const restarted = this.restartedFlag;
      this.restartedFlag = false;
      const sequence = this.emit({
        kind: 'apdus',
        commands: commands.map((c) => toHex(c)),
        stopOnError,
        step: this.label,
        ...(restarted ? { restarted: true } : {}),
      });
      const report = await this.waitForReport();
      if (report.acknowledges !== sequence || report.responses === undefined) {
        throw new DeviceAgentGoneError(`the device agent answered batch ${sequence} without responses`);
      }
      return report.responses.map((r) => fromHex(r));
    };
    const agent = (): { reader: string; atr: string } | undefined => this.agentInfo;
    return {
      get description() {
        const info = agent();
        return `device agent${info ? ` (${info.reader})` : ''}`;
      },
      get atr() {
        const info = agent();
        return info ? fromHex(info.atr) : new Uint8Array(0);
      },
      // Secrecy hints stop here: nothing on the TSM's side logs a batch.
      async transmit(command: Uint8Array, _options?: TransmitOptions): Promise<Uint8Array> {
        const [response] = await exchange([command]);
        if (!response || response.length < 2) throw new DeviceAgentGoneError('the device agent returned no answer for a command');
        return response;
      },
      exchange,
      step: (label: string) => {
        this.label = label;
      },
      visit: async (url: string, token: string): Promise<string> => {
        const sequence = this.emit({ kind: 'visit', url, token, step: this.label });
        const report = await this.waitForReport();
        if (report.acknowledges !== sequence || !report.visited) throw new DeviceAgentGoneError('the device agent did not report the visit');
        return report.visited.outcome;
      },
      reset: () => Promise.reject(new TransportError('a remote card cannot be reset by the TSM')),
      close: () => Promise.resolve(),
    };
  }
}
