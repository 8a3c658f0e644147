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
}

/**
 * Publishes header, points, footer and a heartbeat on a ZeroMQ PUB socket,
 * from a process of its own, in the language-neutral format of wire.ts.
 * A taken port makes start() fail; nothing else is disturbed.
 */
export class StreamRecorder extends ProcessRecorder {
  private readonly requested: string;

  constructor(opts: StreamRecorderOptions) {
    const address = opts.address ?? DEFAULT_STREAM_ADDRESS;
    super(opts, {
      module: siblingModule("./streamChild.ts", import.meta.url),
      options: { address, heartbeatMs: (opts.heartbeatSeconds ?? 10) * 1000, highWaterMark: opts.highWaterMark ?? 10_000 },
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
