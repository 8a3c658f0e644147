/**
 * A Tango client speaking the Tango REST API v1.1 (SPEC section 8) over Node's global fetch.
 * Every request has a time limit; idempotent GETs are retried a few times after network
 * errors and timeouts; every failure is a TangoError naming device and attribute/command.
 */
import { TangoError, describeErrors, errorItems } from "./errors.ts";
import type {
  TangoAttributeInfo,
  TangoAttributeValue,
  TangoRestClientOptions,
  TangoValue,
} from "./types.ts";

export { TangoError } from "./errors.ts";
export type * from "./types.ts";

interface Where {
  device: string;
  target?: string;
  operation: string;
}

const RETRY_HTTP_STATUS = new Set([502, 504]); // a proxy in between had trouble

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TangoRestClient {
  readonly baseUrl: string;
  readonly tangoHost: string;
  readonly tangoPort: number;
  readonly timeoutMs: number;
  readonly retries: number;
  private readonly auth: string | undefined;

  constructor(options: TangoRestClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.tangoHost = options.tangoHost ?? "127.0.0.1";
    this.tangoPort = options.tangoPort ?? 10000;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.retries = options.retries ?? 2;
    this.auth =
      options.user !== undefined
        ? "Basic " + Buffer.from(`${options.user}:${options.password ?? ""}`).toString("base64")
        : undefined;
  }

  async readAttribute(device: string, attr: string): Promise<TangoAttributeValue> {
    const where = { device, target: attr, operation: "read" };
    const body = await this.request(where, "GET", `attributes/${enc(attr)}/value`);
    return attributeValue(body, where);
  }

  /** Reads a numeric scalar attribute, failing clearly if it is not a number. */
  async readNumber(device: string, attr: string): Promise<number> {
    const { value } = await this.readAttribute(device, attr);
    if (typeof value !== "number") {
      throw new TangoError({ device, target: attr, operation: "read",
        problem: `read failed: expected a number, got ${JSON.stringify(value)}` });
    }
    return value;
  }

  /** Reads several attributes in one request; fails if any of them fails. */
  async readAttributes(device: string, attrs: string[]): Promise<TangoAttributeValue[]> {
    const where = { device, target: attrs.join(","), operation: "read" };
    const query = attrs.map((a) => `attr=${enc(a)}`).join("&");
    const body = await this.request(where, "GET", `attributes/value?${query}`);
    if (!Array.isArray(body)) throw unexpected(where, body);
    return body.map((item, i) => attributeValue(item, { ...where, target: attrs[i] ?? where.target }));
  }

  /** Writes an attribute and returns its value as read back by the server. */
  async writeAttribute(device: string, attr: string, value: TangoValue): Promise<TangoAttributeValue> {
    const where = { device, target: attr, operation: "write" };
    const v = typeof value === "string" ? value : JSON.stringify(value);
    const body = await this.request(where, "PUT", `attributes/${enc(attr)}/value?v=${enc(v)}`);
    return attributeValue(body, where);
  }

  /** The device state, e.g. "ON", "MOVING", "FAULT". */
  async state(device: string): Promise<string> {
    const where = { device, operation: "state" };
    const body = await this.request(where, "GET", "state");
    if (!isRecord(body) || typeof body.state !== "string") throw unexpected(where, body);
    return body.state;
  }

  async status(device: string): Promise<string> {
    const where = { device, operation: "status" };
    const body = await this.request(where, "GET", "status");
    if (!isRecord(body) || typeof body.status !== "string") throw unexpected(where, body);
    return body.status;
  }

  /** Runs a command (never retried) and returns its output (null for DevVoid). */
  async command(device: string, cmd: string, input?: TangoValue): Promise<TangoValue> {
    const where = { device, target: cmd, operation: "command" };
    const body = await this.request(where, "PUT", `commands/${enc(cmd)}`, input === undefined ? {} : { input });
    if (!isRecord(body) || !("output" in body)) throw unexpected(where, body);
    return (body.output ?? null) as TangoValue;
  }

  async attributeInfo(device: string, attr: string): Promise<TangoAttributeInfo> {
    const where = { device, target: attr, operation: "attribute info" };
    const body = await this.request(where, "GET", `attributes/${enc(attr)}/info`);
    if (!isRecord(body) || typeof body.name !== "string") throw unexpected(where, body);
    return body as unknown as TangoAttributeInfo;
  }

  /** URL of a device resource; the device name keeps its slashes. */
  deviceUrl(device: string, path: string): string {
    const dev = device.split("/").map(enc).join("/");
    return `${this.baseUrl}/hosts/${this.tangoHost};port=${this.tangoPort}/devices/${dev}/${path}`;
  }

  private async request(where: Where, method: "GET" | "PUT", path: string, json?: unknown): Promise<unknown> {
    const url = this.deviceUrl(where.device, path);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.auth) headers.Authorization = this.auth;
    if (json !== undefined) headers["Content-Type"] = "application/json";
    const attempts = method === "GET" ? 1 + Math.max(0, this.retries) : 1;
    let last: TangoError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(50 * 2 ** (attempt - 2));
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: json === undefined ? undefined : JSON.stringify(json),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        last = this.networkError(where, err, attempt);
        continue;
      }
      let body: unknown;
      try {
        body = text.length > 0 ? JSON.parse(text) : null;
      } catch {
        body = undefined;
      }
      if (res.ok && body !== undefined) return body;
      const errors = errorItems(body);
      const problem = errors?.length
        ? describeErrors(errors)
        : `HTTP ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ""}`;
      last = new TangoError({ ...where, problem: `${where.operation} failed: ${problem}`,
        httpStatus: res.status, errors });
      if (!RETRY_HTTP_STATUS.has(res.status)) break;
    }
    throw last ?? new TangoError({ ...where, problem: `${where.operation} failed` });
  }

  private networkError(where: Where, err: unknown, attempts: number): TangoError {
    const tries = attempts > 1 ? ` (${attempts} attempts)` : "";
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      return new TangoError({ ...where, problem: `no answer within ${this.timeoutMs} ms${tries}`,
        timedOut: true, cause: err });
    }
    const cause = err instanceof Error && isRecord(err.cause) ? err.cause : undefined;
    const why = String(cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : err));
    return new TangoError({ ...where,
      problem: `${where.operation} failed: cannot reach ${new URL(this.baseUrl).origin}: ${why}${tries}`,
      cause: err });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function unexpected(where: Where, body: unknown): TangoError {
  return new TangoError({ ...where,
    problem: `${where.operation} failed: unexpected reply ${JSON.stringify(body)?.slice(0, 200)}` });
}

function attributeValue(body: unknown, where: Where): TangoAttributeValue {
  const errors = errorItems(body);
  if (errors?.length) {
    throw new TangoError({ ...where, problem: `${where.operation} failed: ${describeErrors(errors)}`, errors });
  }
  if (!isRecord(body) || typeof body.name !== "string" || !("value" in body)) throw unexpected(where, body);
  return {
    name: body.name,
    value: (body.value ?? null) as TangoValue,
    quality: typeof body.quality === "string" ? body.quality : "ATTR_VALID",
    timestamp: typeof body.timestamp === "number" ? body.timestamp : Date.now(),
  };
}
