/**
 * Passwords are kept only as salted scrypt hashes (node:crypto), computed by the member that
 * takes the request before anything is proposed: no password reaches the log, the state or a
 * log line.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordHash } from '@holdfast/storage';

/** scrypt cost: about 16 MiB and tens of milliseconds per hash, so guessing offline is slow. */
const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** scrypt needs 128 * N * r bytes; leave room above it. */
const SCRYPT_MEMORY_BYTES_MAX = 64 * 1024 * 1024;

/** Bytes of a password at most (a longer one is refused, not cut). */
export const PASSWORD_BYTES_MAX = 1024;

function derive(password: string, params: { salt: Uint8Array; n: number; r: number; p: number; bytes: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, params.salt, params.bytes, { N: params.n, r: params.r, p: params.p, maxmem: SCRYPT_MEMORY_BYTES_MAX }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, { salt, n: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, bytes: HASH_BYTES });
  return { algorithm: 'scrypt', n: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P, salt, hash };
}

export async function passwordMatches(password: string, stored: PasswordHash): Promise<boolean> {
  const hash = await derive(password, { salt: stored.salt, n: stored.n, r: stored.r, p: stored.p, bytes: stored.hash.byteLength });
  return timingSafeEqual(hash, stored.hash);
}
