/**
 * Tokens: `<payload>.<signature>`, both base64url; the payload is JSON
 * `{ u: user, k: signing key id, r: the user's password revision, e: expiry ms }` and the
 * signature its HMAC-SHA256 under the signing key `k`. The keys are in the replicated auth
 * state, so any member checks a token any member issued. A rotated-out key checks tokens until
 * it retires (their expiry is before then); a password change voids the user's older tokens.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuthState, SigningKey } from '@holdfast/storage';

export interface TokenClaims {
  readonly user: string;
  readonly keyId: number;
  readonly passwordRevision: number;
  readonly expiresAtMs: number;
}

/** Bytes of a token at most: a longer one is refused before anything is decoded. */
export const TOKEN_BYTES_MAX = 2048;

function sign(payload: string, key: SigningKey): string {
  return createHmac('sha256', key.secret).update(payload).digest('base64url');
}

export function issueToken(claims: TokenClaims, key: SigningKey): string {
  const payload = Buffer.from(
    JSON.stringify({ u: claims.user, k: claims.keyId, r: claims.passwordRevision, e: claims.expiresAtMs }),
  ).toString('base64url');
  return `${payload}.${sign(payload, key)}`;
}

/** Why a token does not pass, said to the caller (never which part of a signature differed). */
export type TokenVerdict = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly reason: string };

/** `expiredGraceMs`: an expired token still passes for that long after its expiry (a login's proof of an earlier one). */
export function verifyToken(token: string, auth: AuthState, nowMs: number, expiredGraceMs = 0): TokenVerdict {
  if (token.length > TOKEN_BYTES_MAX) return { ok: false, reason: `token is longer than ${TOKEN_BYTES_MAX} bytes` };
  const [payload, signature, extra] = token.split('.');
  if (payload === undefined || signature === undefined || extra !== undefined) return { ok: false, reason: 'token is malformed' };
  const claims = decodeClaims(payload);
  if (claims === undefined) return { ok: false, reason: 'token is malformed' };
  const key = auth.signingKeys.find((candidate) => candidate.id === claims.keyId);
  if (key === undefined || (key.retiresAtMs !== undefined && key.retiresAtMs <= nowMs)) {
    return { ok: false, reason: 'token was signed by a key the cluster no longer holds (log in again)' };
  }
  const expected = Buffer.from(sign(payload, key));
  const given = Buffer.from(signature);
  if (expected.byteLength !== given.byteLength || !timingSafeEqual(expected, given)) return { ok: false, reason: 'token signature is invalid' };
  if (claims.expiresAtMs + expiredGraceMs <= nowMs) return { ok: false, reason: `token expired ${nowMs - claims.expiresAtMs} ms ago (log in again)` };
  return { ok: true, claims };
}

function decodeClaims(payload: string): TokenClaims | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof decoded !== 'object' || decoded === null) return undefined;
    const { u, k, r, e } = decoded as Record<string, unknown>;
    if (typeof u !== 'string' || typeof k !== 'number' || typeof r !== 'number' || typeof e !== 'number') return undefined;
    return { user: u, keyId: k, passwordRevision: r, expiresAtMs: e };
  } catch {
    return undefined;
  }
}

/** Tokens whose signature was checked, kept at most (the oldest is forgotten first). */
const VERIFIED_TOKENS_MAX = 4096;

/**
 * verifyToken with the signature check remembered per token while the cluster's signing keys
 * stay the same (a unary client sends one token for minutes): expiry and key retirement are
 * still checked at every call.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, { readonly claims: TokenClaims; readonly keys: AuthState['signingKeys'] }>();

  verify(token: string, auth: AuthState, nowMs: number): TokenVerdict {
    const known = this.verified.get(token);
    if (known !== undefined && known.keys === auth.signingKeys) {
      const key = auth.signingKeys.find((candidate) => candidate.id === known.claims.keyId);
      const retired = key === undefined || (key.retiresAtMs !== undefined && key.retiresAtMs <= nowMs);
      if (!retired && known.claims.expiresAtMs > nowMs) return { ok: true, claims: known.claims };
    }
    const verdict = verifyToken(token, auth, nowMs);
    if (verdict.ok) {
      this.verified.delete(token);
      this.verified.set(token, { claims: verdict.claims, keys: auth.signingKeys });
      if (this.verified.size > VERIFIED_TOKENS_MAX) {
        const oldest = this.verified.keys().next().value;
        if (oldest !== undefined) this.verified.delete(oldest);
      }
    }
    return verdict;
  }
}
