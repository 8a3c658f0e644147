/**
 * Bearer tokens, one per role, and the runtime file that tells local clients
 * where the server is and what the tokens are (the idea of Jupyter's runtime
 * file): ~/.contrast/remote.json ($CONTRAST_REMOTE_FILE), mode 0600.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export const ROLES = ["observer", "user", "admin"] as const;
export type Role = (typeof ROLES)[number];
export type Tokens = Record<Role, string>;

/** observer < user < admin */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export function remoteFile(): string {
  return process.env.CONTRAST_REMOTE_FILE || join(homedir(), ".contrast", "remote.json");
}

/** A token per role: $CONTRAST_TOKEN_OBSERVER / _USER / _ADMIN when set, else a fresh random one. */
export function makeTokens(environment: NodeJS.ProcessEnv = process.env): Tokens {
  const token = (role: Role) => environment[`CONTRAST_TOKEN_${role.toUpperCase()}`] || randomBytes(24).toString("base64url");
  const tokens = { observer: token("observer"), user: token("user"), admin: token("admin") };
  if (new Set(Object.values(tokens)).size !== ROLES.length) throw new Error("the remote tokens of the roles must differ");
  return tokens;
}

/** Writes {url, tokens} readable by this user only (the directory too). */
export function writeRemoteFile(file: string, url: string, tokens: Tokens): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ url, tokens, pid: process.pid }, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/**
 * The role of `Authorization: Bearer <token>`, or null. Every role's token is
 * compared, each in constant time (of equal-length digests), so the time taken
 * tells nothing about any of them.
 */
export function roleOf(header: string | undefined, tokens: Tokens): Role | null {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? "");
  const given = digest(m ? m[1] : "");
  let found: Role | null = null;
  for (const role of ROLES) if (timingSafeEqual(given, digest(tokens[role])) && m) found = role;
  return found;
}
