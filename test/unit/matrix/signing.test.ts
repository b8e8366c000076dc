import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../../src/matrix/base64';
import {
  generateSigningKeyText,
  importVerifyKey,
  parseKeyId,
  parseSigningKey,
  signJson,
  verifyJsonSignature,
} from '../../../src/matrix/signing';
import { vectorsOfKind } from './spec-vectors';

const [testKey] = vectorsOfKind('signing_key');
const keyText = (seed: string) => `ed25519 1 ${seed}`;

describe('signing key (spec vector)', () => {
  it('derives the public key of the spec test seed', async () => {
    const key = await parseSigningKey(keyText(testKey.input.seed_base64));
    expect(key.keyId).toBe(testKey.expected.key_id);
    expect(key.algorithm).toBe('ed25519');
    expect(key.version).toBe('1');
    expect(key.seed).toHaveLength(32);
    expect(key.publicKeyBase64).toBe(testKey.derived.public_key_base64);
  });
});

describe('JSON signing (spec vectors)', () => {
  for (const v of vectorsOfKind('json_signing')) {
    it(v.name, async () => {
      const key = await parseSigningKey(keyText(v.input.seed_base64));
      expect(key.keyId).toBe(v.input.key_id);
      const signed = await signJson(v.input.object, v.input.server_name, key);
      expect(signed).toEqual(v.expected);
      const ok = await verifyJsonSignature(signed, v.input.server_name, v.input.key_id, key.publicKey);
      expect(ok).toBe(true);
    });
  }
});

describe('signing key file format', () => {
  it('accepts surrounding whitespace and a trailing newline', async () => {
    const key = await parseSigningKey(`  ${keyText(testKey.input.seed_base64)}\n`);
    expect(key.publicKeyBase64).toBe(testKey.derived.public_key_base64);
  });

  it.each([
    ['wrong algorithm', 'curve25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1', /algorithm/],
    ['missing seed', 'ed25519 1', /ed25519 <version>/],
    ['invalid base64', 'ed25519 1 !!!!', /base64/],
    ['short seed', 'ed25519 1 AAAA', /32 bytes/],
    ['bad version characters', 'ed25519 a-b YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1', /version/],
  ])('rejects %s', async (_label, text, message) => {
    await expect(parseSigningKey(text)).rejects.toThrow(message);
  });

  it('generates a loadable key with an a_XXXX version', async () => {
    const text = generateSigningKeyText();
    expect(text).toMatch(/^ed25519 a_[A-Za-z0-9]{4} [A-Za-z0-9+/]{43}$/);
    const key = await parseSigningKey(text);
    expect(key.keyId).toBe(`ed25519:${text.split(' ')[1]}`);
    // tweetnacl derives the same public key from the seed.
    expect(key.publicKey).toEqual(nacl.sign.keyPair.fromSeed(key.seed).publicKey);
    expect(generateSigningKeyText('v2')).toMatch(/^ed25519 v2 /);
    expect(generateSigningKeyText()).not.toBe(text);
  });
});

describe('signJson / verifyJsonSignature', () => {
  const keyP = parseSigningKey(keyText(testKey.input.seed_base64));

  it('excludes signatures and unsigned, restores unsigned, keeps other signatures, does not mutate', async () => {
    const key = await keyP;
    const input = {
      a: 1,
      unsigned: { age_ts: 5 },
      signatures: { 'other.example': { 'ed25519:x': 'c2ln' } },
    };
    const copy = structuredClone(input);
    const signed = await signJson(input, 'domain', key);
    expect(input).toEqual(copy);
    expect(signed.unsigned).toEqual({ age_ts: 5 });
    expect(signed.signatures['other.example']).toEqual({ 'ed25519:x': 'c2ln' });
    // The signature equals the one over {"a":1} alone.
    const plain = await signJson({ a: 1 }, 'domain', key);
    expect(signed.signatures.domain['ed25519:1']).toBe(plain.signatures.domain['ed25519:1']);
    // Changing unsigned does not invalidate it; changing signed data does.
    expect(await verifyJsonSignature({ ...signed, unsigned: { x: 1 } }, 'domain', 'ed25519:1', key.publicKey)).toBe(true);
    expect(await verifyJsonSignature({ ...signed, a: 2 }, 'domain', 'ed25519:1', key.publicKey)).toBe(false);
  });

  it('matches the signature tweetnacl computes over the canonical JSON', async () => {
    const key = await keyP;
    const signed = await signJson({ b: 'é', a: [1, 2] }, 'domain', key);
    const expected = nacl.sign.detached(
      new TextEncoder().encode('{"a":[1,2],"b":"é"}'),
      nacl.sign.keyPair.fromSeed(key.seed).secretKey,
    );
    expect(signed.signatures.domain['ed25519:1']).toBe(encodeBase64(expected));
  });

  it.each<[string, Record<string, unknown>]>([
    ['no signatures', { a: 1 }],
    ['no entry for the server', { a: 1, signatures: { other: { 'ed25519:1': 'AAAA' } } }],
    ['no entry for the key id', { a: 1, signatures: { domain: { 'ed25519:2': 'AAAA' } } }],
    ['a signature that is not base64', { a: 1, signatures: { domain: { 'ed25519:1': '!!' } } }],
    ['a signature of the wrong length', { a: 1, signatures: { domain: { 'ed25519:1': 'AAAA' } } }],
    ['a non-canonical object', { a: 1.5, signatures: { domain: { 'ed25519:1': 'A'.repeat(86) } } }],
  ])('verification fails for %s', async (_label, obj) => {
    const key = await keyP;
    expect(await verifyJsonSignature(obj, 'domain', 'ed25519:1', key.publicKey)).toBe(false);
  });

  it('caches imported verify keys', async () => {
    const key = await keyP;
    const a = await importVerifyKey(key.publicKey);
    const b = await importVerifyKey(decodeBase64(key.publicKeyBase64));
    expect(a).toBe(b);
    await expect(importVerifyKey(new Uint8Array(31))).rejects.toThrow(/32 bytes/);
  });

  it('parses key ids', () => {
    expect(parseKeyId('ed25519:a_Abcd')).toEqual({ algorithm: 'ed25519', version: 'a_Abcd' });
    expect(parseKeyId('ed25519')).toBeUndefined();
    expect(parseKeyId(':x')).toBeUndefined();
  });
});
