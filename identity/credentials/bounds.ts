// Cost ceilings for imported hashes: above these, one sign-in could burn seconds of CPU or gigabytes
// of memory, so the hash is refused at import (`hash_params_out_of_bounds`) and never verified.
// Each ceiling admits the strongest defaults real platforms ship (noted beside it).
export const bounds = {
  /** bcrypt log2 cost. PHP and most frameworks use 10–12. */
  bcryptCost: { min: 4, max: 14 },
  /** argon2: memory in KiB, passes, lanes. PHP's default is m=65536,t=4,p=1; libsodium "sensitive" m=1 GiB is refused. */
  argon2: { maxMemoryKiB: 262_144, maxTime: 16, maxParallelism: 8 },
  /** scrypt (PHC and Firebase): N (cost), r (block size), p; memory is 128·N·r bytes. */
  scrypt: { maxN: 1 << 17, maxR: 16, maxP: 4, maxMemoryBytes: 256 * 1024 * 1024 },
  /** PBKDF2 iterations (Django 6 uses 1,200,000 for PBKDF2-SHA256; passlib's pbkdf2_sha512 25,000). */
  pbkdf2Iterations: { min: 1, max: 1_500_000 },
  /** SHA-crypt `rounds=` ($5$, $6$): default 5,000; passlib's default 535,000 ($5$) and 656,000 ($6$). */
  shaCryptRounds: { min: 1_000, max: 1_000_000 },
  /** phpass / Drupal 7 log2 iteration count: phpass default 8, WordPress 13, Drupal 7 15. */
  phpassLog2: { min: 7, max: 20 },
  /** Longest password we hash at all (bcrypt reads 72 bytes; longer input is refused at sign-in). */
  maxPasswordBytes: 1_024,
  /** Longest encoded hash string accepted at import. */
  maxEncodedLength: 2_048,
} as const;
