/**
 * Prints what Contrast's stream recorder publishes: status, scan number,
 * point index and the shape of every array (see src/recorders/stream/wire.ts;
 * stream_consumer.py does the same in Python).
 *
 *   node --import tsx examples/stream_consumer.ts [tcp://127.0.0.1:5556]
 */
import { Subscriber } from "zeromq";
import { decodeMessage, dtypeOf } from "../src/recorders/stream/wire.ts";
import { isNdArray, isTypedArray } from "../src/data/values.ts";

const address = process.argv[2] ?? process.env.CONTRAST_STREAM ?? "tcp://127.0.0.1:5556";

/** "path": "dtype[shape]" for every array in a message. */
function shapes(v: unknown, where = "", out: Record<string, string> = {}): Record<string, string> {
  if (isTypedArray(v)) out[where] = `${dtypeOf(v)}[${v.length}]`;
  else if (isNdArray(v)) out[where] = `${dtypeOf(v.data)}[${v.shape.join(",")}]`;
  else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) shapes(x, `${where}/${k}`, out);
  return out;
}

const sub = new Subscriber({ linger: 0 });
sub.connect(address);
sub.subscribe();
console.log(`listening to ${address}`);
for await (const frames of sub) {
  const msg = decodeMessage(frames);
  const scannr = msg.kind === "heartbeat" ? "" : msg.scannr;
  const index = msg.kind === "data" ? msg.index : "";
  console.log(msg.status, scannr, index, JSON.stringify(shapes(msg)));
}
