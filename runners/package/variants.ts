/**
 * How variants A and B of a package are marked. Each variant gets its own embedding key, derived
 * from the watermark key and the package id, and carries the package's 32-bit number as payload:
 *
 *   key_A = HMAC-SHA256(watermark key, "vigil ab package v1\0" || package id || "\0A")   (bit 0)
 *   key_B = HMAC-SHA256(watermark key, "vigil ab package v1\0" || package id || "\0B")   (bit 1)
 *   payload = first 4 bytes of SHA-256("vigil ab package number\0" || package id), 0 mapped to 1
 *
 * Two independent keyed patterns make A − B as large as two marks can be (pilot and data chips
 * both differ), which is what informed detection reads; each variant is also an ordinary mark that
 * the blind detector can read with its derived key (it then names the package, not a session).
 * Deriving per package keeps one package's A/B difference from telling anything about another's.
 */
import { createHash, createHmac } from 'node:crypto';

export type VariantName = 'A' | 'B';

export function variantKey(watermarkKey: Buffer, packageId: string, variant: VariantName): Buffer {
  return createHmac('sha256', watermarkKey).update(`vigil ab package v1\0${packageId}\0${variant}`).digest();
}

export function packageNumber(packageId: string): number {
  const n = createHash('sha256').update(`vigil ab package number\0${packageId}`).digest().readUInt32BE(0);
  return n === 0 ? 1 : n;
}
