import { ProcessRecorder, type ProcessRecorderOptions } from "../process/ProcessRecorder.ts";
import { siblingModule } from "../../util/layout.ts";

export const DEFAULT_STREAM_ADDRESS = "tcp://127.0.0.1:5556";

export interface StreamRecorderOptions extends ProcessRecorderOptions {
  /** where the PUB socket binds; port 0 takes any free port (see `address` once started) */
  address?: string;
  /** seconds between heartbeats (default 10) */
  heartbeatSeconds?: number;
  /** messages queued per subscriber before a slow one misses some (default 10000) */
  highWaterMark?: number;
  /**
   * "json" (default): multipart JSON + raw array frames (wire.ts), for any language;
   * "pickle": one protocol-2 pickle per message, as the original Contrast publishes (pickleFormat.ts)
   */
  format?: StreamFormat;
}

export type StreamFormat = "json" | "pickle";

/**
 * Publishes header, points, footer and a heartbeat on a ZeroMQ PUB socket,
 * from a process of its own, in the language-neutral format of wire.ts or
 * as the original's pickled dicts (`format: "pickle"`).
 * A taken port makes start() fail; nothing else is disturbed.
 */
export class StreamRecorder extends ProcessRecorder {
  private readonly requested: string;

  constructor(opts: StreamRecorderOptions) {
    const address = opts.address ?? DEFAULT_STREAM_ADDRESS;
    if (opts.format !== undefined && opts.format !== "json" && opts.format !== "pickle")
      throw new Error(`${opts.name}: stream format must be "json" or "pickle", not ${JSON.stringify(opts.format)}`);
    super(opts, {
      module: siblingModule("./streamChild.ts", import.meta.url),
      options: { address, heartbeatMs: (opts.heartbeatSeconds ?? 10) * 1000, highWaterMark: opts.highWaterMark ?? 10_000,
        format: opts.format ?? "json" },
    });
    this.requested = address;
  }

  /** The address subscribers connect to: the real port once started. */
  get address(): string {
    return this.childInfo.address ?? this.requested;
  }

  override describe(): string {
    return super.describe() || `PUB ${this.address}`;
  }
}
