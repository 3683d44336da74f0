/** OCSP CertIDs: the issuer's name and key hashes (SHA-1 or SHA-256) and the serial, shared by responder and client. */
import { createHash } from 'node:crypto';
import { CertID } from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { serialFromBytes } from './serials.js';

export const HASH_OIDS = { sha1: '1.3.14.3.2.26', sha256: '2.16.840.1.101.3.4.2.1' } as const;
export type HashName = keyof typeof HASH_OIDS;

export function hashNameOf(oid: string): HashName | undefined {
  return (Object.keys(HASH_OIDS) as HashName[]).find((h) => HASH_OIDS[h] === oid);
}

export interface IssuerHashes {
  readonly nameHash: Buffer;
  readonly keyHash: Buffer;
}

/** The issuer's subject (DER) and public key bits, hashed as a CertID wants them. */
export function issuerHashes(issuerDer: Uint8Array, hash: HashName): IssuerHashes {
  const certificate = AsnConvert.parse(issuerDer, asn1X509.Certificate);
  const subject = AsnConvert.serialize(certificate.tbsCertificate.subject);
  const keyBits = certificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey;
  return {
    nameHash: createHash(hash).update(Buffer.from(subject)).digest(),
    keyHash: createHash(hash).update(Buffer.from(keyBits)).digest(),
  };
}

/** SHA-1 of a certificate's public key bits: an OCSP ResponderID byKey. */
export function keyId(certificateDer: Uint8Array): Buffer {
  return issuerHashes(certificateDer, 'sha1').keyHash;
}

export function serialBytes(serialHex: string): ArrayBuffer {
  const bytes = Buffer.from(serialHex.length % 2 ? '0' + serialHex : serialHex, 'hex');
  const positive = bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return positive.buffer.slice(positive.byteOffset, positive.byteOffset + positive.byteLength);
}

export function makeCertId(issuerDer: Uint8Array, serialHex: string, hash: HashName = 'sha1'): CertID {
  const h = issuerHashes(issuerDer, hash);
  return new CertID({
    hashAlgorithm: new asn1X509.AlgorithmIdentifier({ algorithm: HASH_OIDS[hash], parameters: null }),
    issuerNameHash: new OctetString(h.nameHash),
    issuerKeyHash: new OctetString(h.keyHash),
    serialNumber: serialBytes(serialHex),
  });
}

export function sameIssuer(id: CertID, hashes: IssuerHashes): boolean {
  return Buffer.from(id.issuerNameHash.buffer).equals(hashes.nameHash) && Buffer.from(id.issuerKeyHash.buffer).equals(hashes.keyHash);
}

export function certIdSerial(id: CertID): string {
  return serialFromBytes(id.serialNumber);
}
