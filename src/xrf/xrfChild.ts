/** The child side of XrfMapRecorder: an XrfConsumer; what it says goes to the shell as [name] lines. */
import type { RecorderChild } from "../recorders/process/RecorderChild.ts";
import { XrfConsumer, type XrfConsumerOptions } from "./XrfConsumer.ts";

export async function openRecorder(o: XrfConsumerOptions): Promise<RecorderChild> {
  const consumer = new XrfConsumer(o);
  const url = await consumer.start();
  return {
    info: { url },
    describe: () => `view at ${url}${consumer.lastFile ? `, last: ${consumer.lastFile}` : ""}`,
    header() {},
    point() {},
    footer() {},
    close: () => consumer.close(),
  };
}
