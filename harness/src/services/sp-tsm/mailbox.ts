/**
 * Out-of-band delivery of access codes: one text file per contact in a mailbox folder, appended and
 * synced before the SP-TSM records that the code went out. It stands in for e-mail or post; the CLI
 * reads the newest code from it.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const CONTACT = /^[A-Za-z0-9._-]{1,64}$/;

export function validContact(contact: string): boolean {
  return CONTACT.test(contact) && contact !== '.' && contact !== '..';
}

export class Mailbox {
  constructor(readonly folder: string) {}

  file(contact: string): string {
    if (!validContact(contact)) throw new Error(`not a mailbox name: ${contact}`);
    return path.join(this.folder, `${contact}.txt`);
  }

  deliver(contact: string, applicationId: string, accessCode: string, expiresAt: Date): void {
    mkdirSync(this.folder, { recursive: true });
    const fd = openSync(this.file(contact), 'a', 0o600);
    try {
      writeSync(fd, `Application ${applicationId}\nAccess code: ${accessCode}\nValid until: ${expiresAt.toISOString()}\n\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The newest access code delivered for the application, if any. */
  latestAccessCode(contact: string, applicationId: string): string | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(contact), 'utf8');
    } catch {
      return undefined;
    }
    let found: string | undefined;
    for (const block of text.split('\n\n')) {
      if (block.includes(`Application ${applicationId}\n`)) found = /Access code: (\S+)/.exec(block)?.[1] ?? found;
    }
    return found;
  }
}
