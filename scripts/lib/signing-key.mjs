// The local server's signing key: created on first start and kept in the data directory, in the
// same format production takes from the SIGNING_KEY secret (`ed25519 <version> <base64 seed>`).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function newSigningKeyText() {
  const version = 'a_' + [...randomBytes(4)].map((b) => ALNUM[b % ALNUM.length]).join('');
  return `ed25519 ${version} ${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
}

export function loadOrCreateSigningKey(file) {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const text = newSigningKeyText();
  writeFileSync(file, text + '\n', { mode: 0o600 });
  return text;
}
