/**
 * What a command APDU is, by its header, in the words a timing table uses (ISO 7816-4's and the applet's
 * names); undefined for commands not worth charting (GET RESPONSE and the like).
 */
export function commandName(command: Uint8Array): string | undefined {
  if (command.length < 4) return undefined;
  const cla = command[0]!;
  const ins = command[1]!;
  const p1 = command[2]!;
  const proprietary = (cla & 0x80) !== 0;
  if (!proprietary) {
    switch (ins) {
      case 0xa4:
        return p1 === 0x04 ? 'SELECT (AID)' : 'SELECT (EF)';
      case 0xb0:
        return 'READ BINARY';
      case 0x20:
        return 'VERIFY';
      case 0x24:
        return 'CHANGE REFERENCE DATA';
      case 0x84:
        return 'GET CHALLENGE';
      default:
        return undefined;
    }
  }
  switch (ins) {
    case 0x2a:
      return 'COMPUTE DIGITAL SIGNATURE';
    case 0x46:
      return 'GENERATE KEY PAIR';
    case 0xdb:
      return 'PUT CONTENT';
    case 0x50:
      return 'INITIALIZE UPDATE';
    case 0x82:
      return 'EXTERNAL AUTHENTICATE';
    case 0xe6:
      return 'INSTALL';
    case 0xe4:
      return 'DELETE';
    case 0xe8:
      return 'LOAD';
    case 0xb6:
      return 'READ ATTESTATION';
    default:
      return undefined;
  }
}
