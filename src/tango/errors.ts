import type { TangoErrorItem } from "./types.ts";

export interface TangoErrorDetails {
  device: string;
  /** Attribute or command name, when the request was about one. */
  target?: string;
  /** "read", "write", "command", "state", ... */
  operation: string;
  /** What went wrong, already phrased (e.g. "read failed: ..." or "no answer within 3000 ms"). */
  problem: string;
  httpStatus?: number;
  errors?: TangoErrorItem[];
  timedOut?: boolean;
  cause?: unknown;
}

/**
 * Any failure of a Tango request: the device server's error, an HTTP error from the
 * gateway, an unreachable gateway or a timeout. The message names device and attribute
 * (or command), e.g. "sys/tg_test/1/double_scalar: read failed: ...".
 */
export class TangoError extends Error {
  override name = "TangoError";
  readonly device: string;
  readonly target: string | undefined;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  /** The Tango error stack from the server, innermost cause first (empty if none). */
  readonly errors: TangoErrorItem[];
  readonly timedOut: boolean;

  constructor(d: TangoErrorDetails) {
    super(`${d.target ? `${d.device}/${d.target}` : d.device}: ${d.problem}`, { cause: d.cause });
    this.device = d.device;
    this.target = d.target;
    this.operation = d.operation;
    this.httpStatus = d.httpStatus;
    this.errors = d.errors ?? [];
    this.timedOut = d.timedOut ?? false;
  }

  /** The innermost Tango error reason, e.g. "API_AttrNotFound". */
  get reason(): string | undefined {
    return this.errors[0]?.reason;
  }
}

/** "outer context: root cause [REASON]" from a Tango error stack (innermost first). */
export function describeErrors(errors: TangoErrorItem[]): string {
  const texts = [...new Set(errors.map((e) => e.description.replace(/\s+/g, " ").trim()))];
  const text = texts.slice(0, 2).reverse().join(": ");
  return errors[0]?.reason ? `${text} [${errors[0].reason}]` : text;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** The `errors` list of a reply body, if it has one. */
export function errorItems(body: unknown): TangoErrorItem[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.errors)) return undefined;
  return body.errors.filter(isRecord).map((e) => ({
    reason: String(e.reason ?? ""),
    description: String(e.description ?? ""),
    severity: String(e.severity ?? ""),
    origin: String(e.origin ?? ""),
  }));
}
