/**
 * When a node-pcsclite reader may be closed without leaving the process unable to exit.
 *
 * A node-pcsclite reader runs a status-monitor thread once it is watched (get_status). Its close() sets a
 * flag, cancels the thread's wait and joins the thread; the thread's last report then tells
 * the event loop to close the libuv handle it reports through. But the thread sends that last
 * report only from inside its wait loop. If the flag is set while the thread is between two
 * waits (still opening its own PC/SC context before the first, or just after reporting a
 * change), the thread leaves without a word and the handle stays open for ever. The process
 * then never exits, and no JavaScript can see why: process.getActiveResourcesInfo() is empty.
 * On a loaded machine this is likely, not rare: the report wakes the main thread, which may
 * close the reader before the monitor thread runs again.
 *
 * So a reader is closed only while its thread is surely waiting: after its first report, and
 * not within QUIET_MS of its latest one. Its 'end' event confirms the close; a reader that
 * never sends it is counted, so that a command can still end (see leakedMonitors).
 *
 * The context has a monitor thread too (the list of readers). It always reports its end, but
 * its close() cancels the thread's wait and retries for only 50 ms before joining it: a thread
 * that has just reported, and is kept off the CPU for those 50 ms, would never be cancelled
 * and the join would block for ever. So the context, too, is closed after a quiet moment.
 */

/** The part of a node-pcsclite reader its monitor is watched through. */
export interface MonitoredReader {
  on(event: 'status' | 'error' | 'end', listener: () => void): this;
  once(event: 'status' | 'error' | 'end', listener: () => void): this;
  close(): void;
}

/** The part of a node-pcsclite context its monitor is watched through. */
export interface MonitoredContext {
  on(event: 'readers' | 'error', listener: () => void): this;
  close(): void;
}

interface Reports {
  lastReportAt: number;
  ended: boolean;
}

interface MonitorState extends Reports {
  /** Settles at the thread's first report (it reports at once: its state starts as "unaware"). */
  readonly firstReport: Promise<void>;
}

/** How long after a report the monitor thread is taken to be waiting again. */
const QUIET_MS = 25;
/** Bounds on each wait, so that a binding that never reports cannot hold a close for ever. */
const FIRST_REPORT_TIMEOUT_MS = 2000;
const QUIET_TIMEOUT_MS = 1000;
const END_TIMEOUT_MS = 1000;

/**
 * Milliseconds on a monotonic clock. Not performance.now(): the first use of that global loads
 * perf_hooks and a dozen modules behind it, in every command that opens a reader.
 */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const monitors = new WeakMap<MonitoredReader, MonitorState>();
const contexts = new WeakMap<MonitoredContext, Reports>();
let leaked = 0;

/** Starts watching a context's monitor thread; call it as the context is made. */
export function watchContext(context: MonitoredContext): void {
  const state: Reports = { lastReportAt: now(), ended: false };
  const onReport = (): void => {
    state.lastReportAt = now();
  };
  context.on('readers', onReport);
  context.on('error', onReport);
  contexts.set(context, state);
}

/** Closes the context's monitor thread while it is waiting. */
export async function closeContextMonitor(context: MonitoredContext): Promise<void> {
  const state = contexts.get(context);
  if (state !== undefined) await quiet([state]);
  context.close();
}

/** Starts watching a reader's monitor thread; call it as the reader is announced. */
export function watchMonitor(reader: MonitoredReader): void {
  let reported: () => void = () => undefined;
  const state: MonitorState = {
    firstReport: new Promise<void>((resolve) => (reported = resolve)),
    lastReportAt: now(),
    ended: false,
  };
  const onReport = (): void => {
    state.lastReportAt = now();
    reported();
  };
  reader.on('status', onReport);
  reader.on('error', onReport);
  reader.on('end', () => {
    state.ended = true;
    reported();
  });
  monitors.set(reader, state);
}

/** Closes the readers' monitor threads, each while it is waiting, and waits for each to confirm. */
export async function closeMonitors(readers: readonly MonitoredReader[]): Promise<void> {
  const watched = readers.flatMap((reader) => {
    const state = monitors.get(reader);
    return state === undefined || state.ended ? [] : [{ reader, state }];
  });
  await Promise.all(watched.map(({ state }) => within(state.firstReport, FIRST_REPORT_TIMEOUT_MS)));
  await quiet(watched.map(({ state }) => state));
  await Promise.all(watched.map(({ reader, state }) => closeAndConfirm(reader, state)));
}

/**
 * Readers whose close was never confirmed: each left a libuv handle open that keeps the
 * process alive. Zero unless the binding misbehaved in a way the waits above did not prevent.
 */
export function leakedMonitors(): number {
  return leaked;
}

async function quiet(states: readonly Reports[]): Promise<void> {
  const giveUpAt = now() + QUIET_TIMEOUT_MS;
  for (;;) {
    const at = now();
    const latest = Math.max(...states.filter((state) => !state.ended).map((state) => state.lastReportAt));
    const remaining = latest + QUIET_MS - at;
    if (!(remaining > 0) || at >= giveUpAt) return;
    await delay(Math.min(remaining, giveUpAt - at));
  }
}

async function closeAndConfirm(reader: MonitoredReader, state: MonitorState): Promise<void> {
  if (state.ended) return;
  const ended = new Promise<void>((resolve) => reader.once('end', resolve));
  try {
    reader.close();
  } catch {
    // already closed
  }
  if (!(await within(ended, END_TIMEOUT_MS))) leaked++;
}

/** True when the promise settled within the time, false when the time ran out first. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
