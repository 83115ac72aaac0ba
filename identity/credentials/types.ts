// The contract every legacy password family implements: recognise, validate and bound, verify.

/** Why an exported hash cannot be used as it is. */
export type CredentialFailure = 'unknown_hash_format' | 'hash_params_out_of_bounds' | 'malformed_hash';

/** Per-row parameters the encoding itself does not carry (a separate salt, a project's hash config). */
export type HashParams = Record<string, unknown>;

export type ParseOutcome =
  | {
      ok: true;
      /** The family's stable name, stored beside the hash (e.g. `bcrypt`, `django_pbkdf2_sha256`). */
      family: string;
      /** The cost parameters found, for logs and metrics (e.g. `{ rounds: 5000 }`); never secrets. */
      cost: Record<string, number>;
    }
  | { ok: false; reason: CredentialFailure; detail: string };

export interface HashFamily {
  /** The family's stable name (as in ParseOutcome.family). A module may define several families. */
  name: string;
  /** A cheap shape test (prefix or pattern): does this string look like this family's encoding? */
  matches(encoded: string, params?: HashParams): boolean;
  /**
   * Validates the whole encoding and checks each cost parameter against `bounds` (bounds.ts), without
   * hashing anything. Never throws: anything wrong is `{ ok: false, reason, detail }`.
   */
  parse(encoded: string, params?: HashParams): ParseOutcome;
  /**
   * Checks a password against the encoding. Never throws and never hangs: a malformed or out-of-bounds
   * encoding resolves false. Compares digests in constant time. Does no heavy work on the event loop:
   * node:crypto's async pbkdf2/scrypt, bcrypt and @node-rs/argon2 run on the thread pool, and pure
   * JavaScript loops (crypt(3), phpass) run through `computeOffThread` (offthread.ts).
   */
  verify(encoded: string, password: string, params?: HashParams): Promise<boolean>;
}
