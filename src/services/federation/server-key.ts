// The server's own ed25519 signing key, parsed once per isolate from the SIGNING_KEY secret.
import type { Env } from '../../config';
import { ConfigError } from '../../config';
import { parseSigningKey, type SigningKey } from '../../matrix/signing';

let cached: { text: string; key: Promise<SigningKey> } | undefined;

export function serverSigningKey(env: Env): Promise<SigningKey> {
  const text = env.SIGNING_KEY;
  if (!text) throw new ConfigError('SIGNING_KEY is not configured (format: "ed25519 <version> <base64 seed>")');
  if (cached?.text !== text) {
    const key = parseSigningKey(text).catch((e: Error) => {
      cached = undefined;
      throw new ConfigError(`SIGNING_KEY is invalid: ${e.message}`);
    });
    cached = { text, key };
  }
  return cached.key;
}
