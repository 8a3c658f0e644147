/** The queue's SQLite store on its own: order, positions, history, and what a reopening finds. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueueStore } from "../src/remote/QueueStore.ts";

test("items keep their order, positions clamp, take() moves the next into the history, reopening marks a cut-short item interrupted", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "q.sqlite");
  let { store, interrupted } = QueueStore.open(file);
  assert.deepEqual(interrupted, []);
  const a = store.add("wa", "local");
  const b = store.add("wm samx", "user");
  const c = store.add("ct 0.1", "local", 1);
  const d = store.add("lsm", "local", 99);
  assert.deepEqual(store.list().map((i) => [i.position, i.id]), [[1, c.id], [2, a.id], [3, b.id], [4, d.id]]);
  assert.equal(store.move(d.id, 0), true, "a position below 1 is the first");
  assert.equal(store.move(12345, 1), false);
  assert.deepEqual(store.list().map((i) => i.id), [d.id, c.id, a.id, b.id]);
  assert.equal(store.remove(c.id), true);
  assert.equal(store.remove(c.id), false);

  const first = store.take();
  assert.equal(first?.id, d.id);
  assert.equal(first?.status, "running");
  store.setScan(d.id, 7);
  const ended = store.finish(d.id, "finished");
  assert.equal(ended.scannr, 7);
  assert.ok(ended.endedAt !== null && ended.endedAt >= ended.startedAt);
  const cut = store.take(); // the shell "dies" while this one runs
  assert.equal(cut?.line, "wa");
  store.close();

  ({ store, interrupted } = QueueStore.open(file));
  assert.deepEqual(interrupted.map((h) => [h.id, h.status, h.error]), [[a.id, "interrupted", "the shell ended while it ran"]]);
  assert.deepEqual(store.history().map((h) => [h.line, h.status, h.addedBy]), [["lsm", "finished", "local"], ["wa", "interrupted", "local"]]);
  assert.deepEqual(store.list().map((i) => i.line), ["wm samx"]);
  assert.equal(store.history(1)[0].line, "wa", "history(n) keeps the last n");
  assert.equal(store.clear(), 1);
  assert.equal(store.take(), null);
  store.close();
});
