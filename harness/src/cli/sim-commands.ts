import type { Command } from 'commander';
import { VPCD_FIRST_SLOT_PORT } from '../sim/ports.js';
import { EXIT } from './options.js';

/** `sim start|stop|status`: the simulated card in pcscd's vpcd reader. */
export function registerSimCommands(program: Command): void {
  const sim = program
    .command('sim')
    .description('the simulated card plugged into pcscd through vsmartcard-vpcd')
    .addHelpText('after', '\nExamples:\n  $ jpki-harness sim start\n  $ jpki-harness sim status --json\n  $ jpki-harness sim stop');
  sim
    .command('start')
    .description('start a simulated JPKI card in the background, in the vpcd reader slot')
    .option('-p, --port <port>', 'vpcd slot port (35963 first slot, 35964 second)', String(VPCD_FIRST_SLOT_PORT))
    .option('--atr <hex>', 'ATR the card presents')
    .option('--log <file>', 'APDU log, PINs and keys redacted')
    .option('--state <file>', 'keep the card (applets, keys, PIN counters, registry) in this file across restarts')
    .option('--fresh', 'with --state: start a new card, replacing the file')
    .option('--t0', 'T=0 persona: response data fetched with GET RESPONSE')
    .option('--card-seed <hex>', "a new card's identity (IIN, CIN, keys, CASD) from this seed: the same seed, the same card")
    .option('--my-number-card', "TEST: an applicant's My Number card (signature and user authentication) instead of a SIM")
    .addHelpText(
      'after',
      '\nExamples:\n  $ jpki-harness sim start && opensc-tool -l\n  $ jpki-harness sim start -p 35964 --log /tmp/card.log\n' +
        '  $ jpki-harness sim start --state ~/.jpki-card.state\n  $ jpki-harness sim start --my-number-card -p 35964',
    )
    .action(
      async (opts: {
        port: string;
        atr?: string;
        log?: string;
        state?: string;
        fresh?: boolean;
        t0?: boolean;
        cardSeed?: string;
        myNumberCard?: boolean;
      }) => {
        const { startBackgroundSimulator } = await import('../sim/background.js');
        const status = await startBackgroundSimulator({
          port: Number(opts.port),
          ...(opts.atr !== undefined ? { atr: opts.atr } : {}),
          ...(opts.log !== undefined ? { logFile: opts.log } : {}),
          ...(opts.state !== undefined ? { stateFile: opts.state } : {}),
          ...(opts.fresh ? { fresh: true } : {}),
          ...(opts.t0 ? { t0: true } : {}),
          ...(opts.cardSeed !== undefined ? { cardSeed: opts.cardSeed } : {}),
          ...(opts.myNumberCard ? { myNumberCard: true } : {}),
        });
        console.log(`simulator running (pid ${status.pid}) on vpcd port ${status.port}`);
        if (!status.readerListening) {
          const { default: chalk } = await import('chalk');
          console.log(
            chalk.yellow(`nothing listens on port ${status.port} yet: start pcscd with vsmartcard-vpcd installed; the card plugs in when it appears`),
          );
        }
      },
    );
  sim
    .command('stop')
    .description('stop the background simulator')
    .option('-p, --port <port>', 'vpcd slot port', String(VPCD_FIRST_SLOT_PORT))
    .addHelpText('after', '\nExample:\n  $ jpki-harness sim stop')
    .action(async (opts: { port: string }) => {
      const { stopBackgroundSimulator } = await import('../sim/background.js');
      const stopped = await stopBackgroundSimulator(Number(opts.port));
      console.log(stopped ? 'simulator stopped' : 'no simulator was running');
    });
  sim
    .command('status')
    .description('is the background simulator running, and is a vpcd reader there? (exit 1 when not running)')
    .option('-p, --port <port>', 'vpcd slot port', String(VPCD_FIRST_SLOT_PORT))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ jpki-harness sim status --json')
    .action(async (opts: { port: string; json?: boolean }) => {
      const { simulatorStatus } = await import('../sim/background.js');
      const status = await simulatorStatus(Number(opts.port));
      if (opts.json) console.log(JSON.stringify(status));
      else {
        console.log(`simulator: ${status.running ? `running (pid ${status.pid})` : 'not running'}`);
        console.log(`vpcd reader on port ${status.port}: ${status.readerListening ? 'listening (pcscd)' : 'absent'}`);
      }
      if (!status.running) process.exitCode = EXIT.failed;
    });
}
