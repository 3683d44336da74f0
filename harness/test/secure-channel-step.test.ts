/** The secure-channel scenario step: options from a profile or explicit values, and its errors. */
import { toHex } from '../src/apdu/hex.js';
import { GpConfigError } from '../src/gp/errors.js';
import { secureChannelOptions } from '../src/runner/secure-channel.js';
import { GpSession } from '../src/gp/session.js';
import { listRegistry } from '../src/gp/manager.js';
import { vector } from './support.js';
import { EmulatedCard } from './gp/emulated-card.js';

const dir = vector('scenarios');

describe('secure-channel step', () => {
  test('from a profile, with the level overridden', () => {
    const o = secureChannelOptions({ profile: '../profiles/simulator-scp03.yaml', level: '33' }, dir);
    expect(o.scp).toBe(3);
    expect(o.securityLevel).toBe(0x33);
    expect(toHex(o.sdAid!)).toBe('A000000151000000');
  });
  test('explicit keys from the environment open a session', async () => {
    const o = secureChannelOptions({ scp: 2, i: '0x55', kvn: '0x20', key: 'env:ISD_KEY', level: 'cmac+cdec+rmac' }, dir, {
      ISD_KEY: '404142434445464748494A4B4C4D4E4F',
    });
    expect(o.keys.version).toBe(0x20);
    const card = new EmulatedCard({ scp: 2, i: 0x55, keys: o.keys });
    const session = await GpSession.open(card, o);
    expect((await listRegistry(session)).isd.length).toBe(1);
  });
  test('errors', () => {
    expect(() => secureChannelOptions({ scp: 3, colour: 'red' }, dir)).toThrow(/unknown secure-channel key 'colour'/);
    expect(() => secureChannelOptions({ scp: 3 }, dir)).toThrow(/needs keys/);
    expect(() => secureChannelOptions({ scp: 2, key: '404142434445464748494A4B4C4D4E4F', level: '33' }, dir)).toThrow(GpConfigError);
    expect(() => secureChannelOptions({ scp: 3, key: 'env:NOPE' }, dir, {})).toThrow(/NOPE is not set/);
  });
});
