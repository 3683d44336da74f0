import { EventEmitter } from 'node:events';
import {
  closeContextMonitor,
  closeMonitors,
  leakedMonitors,
  watchContext,
  watchMonitor,
  type MonitoredContext,
  type MonitoredReader,
} from '../src/transport/pcsc-monitor.js';

/**
 * A reader that behaves as node-pcsclite's does: 'status' for each report of its monitor
 * thread, and 'end' once a close has been confirmed by the thread (unless told not to).
 */
class FakeReader extends EventEmitter implements MonitoredReader {
  closedAt: number | undefined;
  constructor(
    readonly name: string,
    private readonly confirmsClose = true,
  ) {
    super();
  }
  close(): void {
    this.closedAt ??= performance.now();
    if (this.confirmsClose) setImmediate(() => this.emit('end'));
  }
}

/** A context that behaves as node-pcsclite's does: 'readers' each time its monitor thread reports the names. */
class FakeContext extends EventEmitter implements MonitoredContext {
  closedAt: number | undefined;
  close(): void {
    this.closedAt ??= performance.now();
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('closing node-pcsclite readers only while their monitor thread waits', () => {
  test('a reader is not closed before its monitor has reported once', async () => {
    const reader = new FakeReader('slot 0');
    watchMonitor(reader);
    const closing = closeMonitors([reader]);
    await delay(60);
    expect(reader.closedAt).toBeUndefined();
    const reportedAt = performance.now();
    reader.emit('status');
    await closing;
    expect(reader.closedAt).toBeGreaterThanOrEqual(reportedAt);
  });

  test('a reader that has just reported is closed only after a quiet moment', async () => {
    const reader = new FakeReader('slot 0');
    watchMonitor(reader);
    reader.emit('status');
    await delay(50);
    const reportedAt = performance.now();
    reader.emit('status');
    await closeMonitors([reader]);
    expect(reader.closedAt! - reportedAt).toBeGreaterThanOrEqual(20);
  });

  test('a reader whose monitor already ended is not closed again', async () => {
    const reader = new FakeReader('slot 0');
    watchMonitor(reader);
    reader.emit('status');
    reader.emit('end');
    await closeMonitors([reader]);
    expect(reader.closedAt).toBeUndefined();
  });

  test('a close the monitor never confirms is counted as a leaked handle', async () => {
    const before = leakedMonitors();
    const confirming = new FakeReader('slot 0');
    const silent = new FakeReader('slot 1', false);
    for (const reader of [confirming, silent]) {
      watchMonitor(reader);
      reader.emit('status');
    }
    await closeMonitors([confirming, silent]);
    expect(confirming.closedAt).toBeDefined();
    expect(silent.closedAt).toBeDefined();
    expect(leakedMonitors()).toBe(before + 1);
  });

  test('a context that has just announced a reader is closed only after a quiet moment', async () => {
    const context = new FakeContext();
    watchContext(context);
    await delay(40);
    const announcedAt = performance.now();
    context.emit('readers');
    await closeContextMonitor(context);
    expect(context.closedAt! - announcedAt).toBeGreaterThanOrEqual(20);
  });

  test('a context quiet for a while is closed at once', async () => {
    const context = new FakeContext();
    watchContext(context);
    await delay(40);
    const closingAt = performance.now();
    await closeContextMonitor(context);
    expect(context.closedAt! - closingAt).toBeLessThan(10);
  });
});
