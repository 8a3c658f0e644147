/** The stream recorder's process: a ZeroMQ PUB socket publishing every message (wire.ts). */
import { Publisher } from "zeromq";
import type { ScanMessage } from "../messages.ts";
import { CannotOpen, type RecorderChild } from "../process/RecorderChild.ts";
import { encodeMessage, type WireMessage } from "./wire.ts";
import { PickleFormat } from "./pickleFormat.ts";
import type { StreamFormat } from "./StreamRecorder.ts";

export interface StreamChildOptions {
  address: string;
  heartbeatMs: number;
  /** messages queued per subscriber before PUB drops (ZeroMQ's SNDHWM) */
  highWaterMark: number;
  format: StreamFormat;
}

class StreamPublisher implements RecorderChild {
  readonly info: Record<string, string>;
  private sending: Promise<void> = Promise.resolve();
  private readonly heartbeat: NodeJS.Timeout;
  private published = 0;
  private failed = 0;

  constructor(private readonly socket: Publisher, readonly address: string, heartbeatMs: number,
    private readonly encode: (msg: WireMessage) => Buffer[]) {
    this.info = { address };
    this.heartbeat = setInterval(() => void this.publish({ kind: "heartbeat", status: "heartbeat", time: Date.now() / 1000 }), heartbeatMs);
  }

  describe(): string {
    return `PUB ${this.address} (${this.published} messages so far${this.failed ? `, ${this.failed} not sent` : ""})`;
  }

  /**
   * One send at a time (zeromq allows no more). PUB never waits for a slow
   * subscriber (beyond its high-water mark, that subscriber misses messages),
   * so a failed send is counted, not fatal.
   */
  private publish(msg: WireMessage): Promise<void> {
    const frames = this.encode(msg);
    const send = () => this.socket.send(frames).then(() => void this.published++, () => void this.failed++);
    return (this.sending = this.sending.then(send));
  }

  header(h: ScanMessage): Promise<void> { return this.publish(h); }
  point(p: ScanMessage): Promise<void> { return this.publish(p); }
  footer(f: ScanMessage): Promise<void> { return this.publish(f); }
  suspension(s: ScanMessage): Promise<void> { return this.publish(s); }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.sending.catch(() => {});
    this.socket.close(); // linger (below) gives subscribers the last messages
  }
}

export async function openRecorder(o: StreamChildOptions): Promise<RecorderChild> {
  // sendTimeout 0: PUB drops rather than blocks anyway, and zeromq's send is 3x faster without a timeout to arm
  const socket = new Publisher({ linger: 1000, sendTimeout: 0, sendHighWaterMark: o.highWaterMark });
  try {
    await socket.bind(o.address);
  } catch (e) {
    socket.close();
    const code = (e as { code?: string }).code;
    throw new CannotOpen(`cannot bind ${o.address}: ${code === "EADDRINUSE" ? "address in use" : (e as Error).message}`);
  }
  const pickled = new PickleFormat();
  const encode = o.format === "pickle" ? (m: WireMessage) => pickled.encode(m) : encodeMessage;
  return new StreamPublisher(socket, socket.lastEndpoint ?? o.address, o.heartbeatMs, encode);
}
