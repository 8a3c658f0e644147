/** env.scan: a pause waits at the next point boundary with the motors where they are; abort while paused ends the scan interrupted. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { env, runCommand, AbortError } from "../src/index.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";

const waitUntil = async (ok: () => boolean): Promise<void> => {
  while (!ok()) await new Promise((r) => setTimeout(r, 5));
};

test("pause at a point boundary, resume, pause again, and abort while paused: footer interrupted, the motor back at its start", async () => {
  const { samx, rec } = resetBeamline();
  await samx.move(2);
  const line = new AbortController();
  env.scan.abortRunning = () => (line.abort(), true);
  const scan = runCommand("dscan samx 0 1 50 0.01", { signal: line.signal });
  const points = () => rec.messages.filter((m) => m.kind === "data").length;

  await waitUntil(() => points() >= 3);
  env.scan.pause();
  await waitUntil(() => env.scan.paused);
  const at = points();
  const where = await samx.position();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(points(), at, "no point while paused");
  assert.equal(await samx.position(), where, "the motor stays where it is");
  assert.equal(env.scan.current?.done, at);

  env.scan.resume();
  await waitUntil(() => points() >= at + 3);
  env.scan.pause();
  await waitUntil(() => env.scan.paused);
  assert.equal(env.scan.abort(), true);
  await assert.rejects(scan, AbortError);
  const footer = rec.messages.at(-1);
  assert.equal(footer?.kind, "footer");
  assert.equal(footer?.kind === "footer" && footer.status, "interrupted");
  assert.equal(await samx.position(), 2, "dscan went back");
  assert.match(takeOutput(), /scan #\d+ paused before point \d+: the motors stay where they are[\s\S]*resumed[\s\S]*interrupted/);
  assert.equal(env.scan.paused, false);
  env.scan.abortRunning = () => false;
});
