// Password hashing with PBKDF2-HMAC-SHA-256 from WebCrypto: native code in workerd, salted, and
// deliberately slow. Workers cap PBKDF2 at 100,000 iterations, which is the default; the cost is
// stored with each hash so it can change later without invalidating existing passwords (tests
// lower it through PASSWORD_HASH_ITERATIONS to save CPU).
import { decodeBase64, encodeBase64 } from '../../matrix/base64';

export const DEFAULT_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations = DEFAULT_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${encodeBase64(salt)}$${encodeBase64(hash)}`;
}

/** Constant-time comparison of two equal-length byte strings. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export async function verifyPassword(password: string, stored: string | null, iterations = DEFAULT_ITERATIONS): Promise<boolean> {
  const parts = stored?.split('$');
  if (!parts || parts.length !== 4 || parts[0] !== 'pbkdf2-sha256') {
    // Spend the same time as a real check, so an account without a password is not distinguishable.
    await derive(password, new Uint8Array(SALT_BYTES), iterations);
    return false;
  }
  const hash = await derive(password, decodeBase64(parts[2]), Number(parts[1]));
  return timingSafeEqual(hash, decodeBase64(parts[3]));
}

/** Same cost as a failed verification; used when the account does not exist. */
export async function burnPasswordCheck(password: string, iterations = DEFAULT_ITERATIONS): Promise<void> {
  await verifyPassword(password, null, iterations);
}
