/**
 * The remote control of a real shell (tmux), over real HTTP on loopback:
 * tokens and roles, the queue, pause / resume / abort of a running scan (the
 * footer read back by h5py), the event stream, and a restart.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, existsSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { TmuxShell, PROMPT } from "./helpers/tmux.ts";
import { call, listen, ok, remoteOf, waitForStatus, type Remote } from "./helpers/remote.ts";
import { scanFileSummary } from "./helpers/recorders.ts";
import { needsH5py } from "./helpers/system.ts";
import { parseRemoteAddress } from "../src/remote/index.ts";
import { roleOf } from "../src/remote/auth.ts";

async function shell(t: TestContext, env: Record<string, string> = {}): Promise<TmuxShell> {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0", ...env } });
  t.after(() => s.kill());
  await s.waitFor(PROMPT, "the first prompt");
  return s;
}

/** Every route: method, path, the role it needs, and a body that is valid for it. */
const ROUTES: [string, string, "observer" | "user" | "admin", unknown?][] = [
  ["GET", "status", "observer"],
  ["GET", "positions", "observer"],
  ["GET", "queue", "observer"],
  ["GET", "history", "observer"],
  ["POST", "queue", "user", { line: "ascan samx 0 1 2 0.05" }],
  ["POST", "queue/move", "user", { id: 1, position: 1 }],
  ["DELETE", "queue/1", "user"],
  ["POST", "queue/clear", "user"],
  ["POST", "scan/pause", "user"],
  ["POST", "scan/resume", "user"],
  ["POST", "scan/abort", "user"],
  ["POST", "queue/start", "user"],
  ["POST", "queue/stop", "admin"],
  ["POST", "userlevel", "admin", { level: 3 }],
];

test("every route: 401 without a valid token, 403 below its role, served to the role it needs", async (t) => {
  const s = await shell(t);
  const remote = await remoteOf(s);
  assert.match(remote.url, /^http:\/\/127\.0\.0\.1:\d+$/, "loopback by default");
  // and not on this machine's other addresses
  const port = new URL(remote.url).port;
  for (const address of Object.values(networkInterfaces()).flat().filter((a) => a && !a.internal && a.family === "IPv4")) {
    await assert.rejects(fetch(`http://${address?.address}:${port}/api/status`), `nothing listens on ${address?.address}`);
  }
  assert.equal(statSync(join(s.dataDir, "remote.json")).mode & 0o777, 0o600);

  for (const [method, path, role, body] of ROUTES) {
    for (const token of [null, "wrong", `${remote.tokens.admin}x`]) {
      const r = await call(remote, method, path, token, body);
      assert.equal(r.status, 401, `${method} ${path} with token ${token}`);
      assert.deepEqual(r.body, { error: "unauthorized" });
      assert.equal(r.headers.get("access-control-allow-origin"), null);
    }
    for (const who of ["observer", "user", "admin"] as const) {
      const r = await call(remote, method, path, remote.tokens[who], body);
      const allowed = ["observer", "user", "admin"].indexOf(who) >= ["observer", "user", "admin"].indexOf(role);
      if (!allowed) {
        assert.equal(r.status, 403, `${method} ${path} as ${who}`);
        assert.match(r.body.error, new RegExp(`needs the ${role} role`));
      } else {
        // a route that has nothing to act on says so (409, 404); it is never refused for the role
        assert.ok([200, 201, 404, 409].includes(r.status), `${method} ${path} as ${who}: ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(r.headers.get("access-control-allow-origin"), null);
      }
    }
  }
  const events = await fetch(`${remote.url}/api/events`);
  assert.equal(events.status, 401);

  // a preflight from another site's page gets no CORS permission
  const preflight = await fetch(`${remote.url}/api/queue`, { method: "OPTIONS", headers: { Origin: "http://evil.example", "Access-Control-Request-Method": "POST" } });
  assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  assert.ok(preflight.status >= 400);

  const big = await call(remote, "POST", "queue", remote.tokens.user, { line: `ascan samx 0 1 2 0.05 note=${"x".repeat(20_000)}` });
  assert.equal(big.status, 413);
  assert.equal((await call(remote, "POST", "queue", remote.tokens.user, "{not json")).status, 400);
  assert.equal((await call(remote, "GET", "nowhere", remote.tokens.user)).status, 404);

  // the person at the shell sees what remote clients did
  await s.waitFor(/remote user: queued #\d+: ascan samx 0 1 2 0\.05/, "the notice of the queued line");
  await s.waitFor(/remote admin: set the user level to 3/, "the notice of the user level");
});

test("a bad line is refused with 400 and the usage; a queued ascan runs and its history has the scan number", async (t) => {
  const s = await shell(t);
  const remote = await remoteOf(s);
  const bad = await call(remote, "POST", "queue", remote.tokens.user, { line: "ascan samx 0 1 5" });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^ascan: needs <motor> <start> <stop> triples/);
  assert.match(bad.body.usage, /^ascan <motor1> <start> <stop>/);
  assert.equal((await call(remote, "POST", "queue", remote.tokens.user, { line: "nosuch 1 2" })).status, 400);
  assert.deepEqual(await ok(remote, "GET", "queue", "observer"), []);

  const item = await ok(remote, "POST", "queue", "user", { line: "ascan samx 0 1 3 0.05" });
  assert.equal(item.line, "ascan samx 0 1 3 0.05");
  const second = await ok(remote, "POST", "queue", "user", { line: "wm samx", position: 1 });
  assert.deepEqual((await ok(remote, "GET", "queue", "observer")).map((i: { id: number }) => i.id), [second.id, item.id]);
  await ok(remote, "POST", "queue/move", "user", { id: item.id, position: 1 });
  assert.deepEqual((await ok(remote, "GET", "queue", "observer")).map((i: { id: number }) => i.id), [item.id, second.id]);

  const positions = await ok(remote, "GET", "positions", "observer");
  assert.ok(positions.some((m: { name: string; position: number }) => m.name === "samx" && m.position === 0));
  assert.ok(!positions.some((m: { name: string }) => m.name === "gap"), "gap is above the user level");

  await ok(remote, "POST", "queue/start");
  await waitForStatus(remote, (st) => st.state === "idle" && !st.queue.running && st.queue.length === 0, "the queue to run out");
  const history = await ok(remote, "GET", "history", "observer");
  assert.equal(history.length, 2);
  assert.equal(history[0].line, "ascan samx 0 1 3 0.05");
  assert.equal(history[0].status, "finished");
  assert.equal(history[0].scannr, 1);
  assert.ok(history[0].endedAt >= history[0].startedAt);
  assert.equal(history[1].status, "finished");
  assert.equal(history[1].scannr, null);
  if (!needsH5py()) assert.equal(scanFileSummary(join(s.dataDir, "000001.h5")).status, "finished");
});

test("pause, resume and abort a running scan through the API: it waits at a point, goes on, and ends interrupted and back at its start", async (t) => {
  const s = await shell(t);
  const remote = await remoteOf(s);
  const events = await listen(remote, remote.tokens.observer);
  t.after(() => events.close());
  await ok(remote, "POST", "queue", "user", { line: "dscan samx 0 1 200 0.05" });
  await ok(remote, "POST", "queue", "user", { line: "ascan samx 0 1 2 0.05" });
  await ok(remote, "POST", "queue/start");
  await waitForStatus(remote, (st) => st.scan?.done >= 2, "two points");

  await ok(remote, "POST", "scan/pause");
  const paused = await waitForStatus(remote, (st) => st.state === "paused", "the pause");
  const samxAt = (await ok(remote, "GET", "positions", "observer")).find((m: { name: string }) => m.name === "samx").position;
  await s.waitFor(/scan #1 paused before point \d+: the motors stay where they are/, "the pause on the screen");
  await new Promise((r) => setTimeout(r, 1000));
  const still = await ok(remote, "GET", "status", "observer");
  assert.equal(still.state, "paused");
  assert.equal(still.scan.done, paused.scan.done, "no point is taken while paused");
  assert.equal((await ok(remote, "GET", "positions", "observer")).find((m: { name: string }) => m.name === "samx").position, samxAt);

  await ok(remote, "POST", "scan/resume");
  await waitForStatus(remote, (st) => st.state === "running" && st.scan.done > paused.scan.done + 1, "points after the resume");
  await ok(remote, "POST", "scan/abort");
  await waitForStatus(remote, (st) => st.state === "idle", "the abort");

  const history = await ok(remote, "GET", "history", "observer");
  assert.equal(history.length, 1, "an aborted item stops the queue");
  assert.equal(history[0].status, "interrupted");
  assert.equal(history[0].scannr, 1);
  assert.equal((await ok(remote, "GET", "queue", "observer")).length, 1);
  const samx = (await ok(remote, "GET", "positions", "observer")).find((m: { name: string }) => m.name === "samx");
  assert.equal(samx.position, 0, "the relative scan went back to its start");
  await s.waitFor(/scan #1 interrupted/, "the scan's end on the screen");

  const types = new Set(events.events.map((e) => e.type));
  for (const type of ["state", "queue", "history", "console"]) assert.ok(types.has(type), `a ${type} event`);
  assert.ok(events.events.some((e) => e.type === "console" && /^scan #1: dscan samx 0 1 200 0\.05/.test(e.data.text)));
  assert.ok(events.events.some((e) => e.type === "state" && e.data.state === "paused"));
  assert.ok(events.events.some((e) => e.type === "history" && e.data.status === "interrupted" && e.data.scannr === 1));

  if (needsH5py()) return;
  const file = scanFileSummary(join(s.dataDir, "000001.h5"));
  assert.equal(file.status, "interrupted");
  assert.ok(file.rows.samx > paused.scan.done);
});

test("the queue survives a restart of the shell, which does not start it; CONTRAST_REMOTE=off serves nothing", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contrast-remote-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await shell(t, { CONTRAST_DATA_DIR: dir });
  let remote: Remote = await remoteOf(first);
  await ok(remote, "POST", "queue", "user", { line: "ascan samx 0 1 2 0.05" });
  await ok(remote, "POST", "queue", "user", { line: "ascan samy 0 1 2 0.05" });
  first.keys("C-d");
  assert.equal(await first.waitForExit(), 0);

  const second = await shell(t, { CONTRAST_DATA_DIR: dir });
  const before = remote;
  remote = await remoteOf(second);
  assert.notEqual(remote.tokens.user, before.tokens.user, "fresh tokens at each start");
  assert.equal((await call(remote, "GET", "status", before.tokens.user)).status, 401);
  const queue = await ok(remote, "GET", "queue", "observer");
  assert.deepEqual(queue.map((i: { line: string }) => i.line), ["ascan samx 0 1 2 0.05", "ascan samy 0 1 2 0.05"]);
  const status = await ok(remote, "GET", "status", "observer");
  assert.equal(status.queue.running, false);
  assert.equal(status.state, "idle");
  second.keys("C-d");
  await second.waitForExit();

  rmSync(join(dir, "remote.json"));
  const off = await shell(t, { CONTRAST_DATA_DIR: dir, CONTRAST_REMOTE: "off" });
  assert.match(await off.run("qls"), /1\. #1\s+ascan samx 0 1 2 0\.05/);
  assert.doesNotMatch(off.screen(), /remote control:/);
  assert.equal(existsSync(join(dir, "remote.json")), false);
});

test("addresses and tokens: loopback by default, CONTRAST_REMOTE_ADDRESS forms, a bearer token names its role", () => {
  assert.deepEqual(parseRemoteAddress(undefined), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseRemoteAddress("0.0.0.0:8080"), { host: "0.0.0.0", port: 8080 });
  assert.deepEqual(parseRemoteAddress(":9000"), { host: "127.0.0.1", port: 9000 });
  assert.deepEqual(parseRemoteAddress("[::1]:9000"), { host: "::1", port: 9000 });
  assert.deepEqual(parseRemoteAddress("::1"), { host: "::1", port: 0 });
  assert.throws(() => parseRemoteAddress("host:99999"), /not an address/);
  const tokens = { observer: "o-token", user: "u-token", admin: "a-token" };
  assert.equal(roleOf("Bearer u-token", tokens), "user");
  assert.equal(roleOf("bearer a-token", tokens), "admin");
  assert.equal(roleOf("Bearer u-toke", tokens), null);
  assert.equal(roleOf("u-token", tokens), null);
  assert.equal(roleOf(undefined, tokens), null);
  assert.equal(roleOf("Bearer ", { observer: "", user: "x", admin: "y" }), null, "an empty token never matches");
});
