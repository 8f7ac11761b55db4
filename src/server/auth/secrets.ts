// Random secrets and ids. A secret leaves the server once, in the response that creates it;
// the store keeps only its SHA-256 and finds it again by that hash.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Readable prefixes say what a leaked string is (and let secret scanners spot it). */
export const TOKEN_PREFIX = {
  apiKey: "dhk_",
  accessToken: "dho_",
  refreshToken: "dhr_",
  session: "dhs_",
  signInLink: "dhl_",
  deviceCode: "dhd_",
} as const;

export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url")}`;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function nowIso(): string {
  return new Date().toISOString();
}

export function isoAfter(seconds: number, from = Date.now()): string {
  return new Date(from + seconds * 1000).toISOString();
}
