/**
 * TangoRestClient against a real TangoTest device server through tools/tango-rest-gateway.py.
 * Skips with a one-line reason when tango-test / python3-tango are not installed.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { TangoError, TangoRestClient } from "../src/tango/client.ts";
import { needsTango } from "./helpers/system.ts";
import { freePort, startTango, type TangoFixture } from "./helpers/tango.ts";

const DEV = "sys/tg_test/1";

/** Resolves with the rejection of `p` (failing if it resolves) and how long it took. */
async function rejection(p: Promise<unknown>): Promise<{ error: TangoError; ms: number }> {
  const t0 = performance.now();
  try {
    await p;
  } catch (error) {
    assert.ok(error instanceof TangoError, `expected a TangoError, got ${String(error)}`);
    return { error, ms: performance.now() - t0 };
  }
  assert.fail("expected the request to fail");
}

/**
 * Waits until every thread of `pid` is stopped. kill(SIGSTOP) returns before a
 * busy multi-threaded process has stopped: a request sent at once may still be
 * answered by a thread that has not yet seen the signal.
 */
async function allThreadsStopped(pid: number): Promise<void> {
  const state = (task: string) => readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8").replace(/^.*\) /s, "")[0];
  while (!readdirSync(`/proc/${pid}/task`).every((t) => /[Tt]/.test(state(t)))) await new Promise((r) => setTimeout(r, 5));
}

describe("TangoRestClient against TangoTest", { skip: needsTango() }, () => {
  let tango: TangoFixture;
  let client: TangoRestClient;

  before(async () => {
    tango = await startTango();
    client = new TangoRestClient({ baseUrl: tango.restUrl, tangoPort: tango.tangoPort });
  });
  after(async () => {
    await tango?.stop();
  });

  test("reads a scalar attribute", async () => {
    const r = await client.readAttribute(DEV, "double_scalar");
    assert.equal(r.name, "double_scalar");
    assert.equal(typeof r.value, "number");
    assert.equal(r.quality, "ATTR_VALID");
    assert.ok(Math.abs(r.timestamp - Date.now()) < 60_000, `timestamp ${r.timestamp} is not now`);
    assert.equal(typeof (await client.readNumber(DEV, "long_scalar")), "number");
  });

  test("writes an attribute and reads it back", async () => {
    for (const v of [4.25, -1.5]) {
      const written = await client.writeAttribute(DEV, "double_scalar_w", v);
      assert.equal(written.value, v);
      assert.equal((await client.readAttribute(DEV, "double_scalar_w")).value, v);
    }
    const s = await client.writeAttribute(DEV, "string_scalar", "hello, tango & friends");
    assert.equal(s.value, "hello, tango & friends");
  });

  test("reads several attributes in one request", async () => {
    const rs = await client.readAttributes(DEV, ["double_scalar", "long_scalar", "string_scalar", "boolean_scalar"]);
    assert.deepEqual(rs.map((r) => r.name), ["double_scalar", "long_scalar", "string_scalar", "boolean_scalar"]);
    assert.deepEqual(rs.map((r) => typeof r.value), ["number", "number", "string", "boolean"]);
  });

  test("reads and writes spectrum attributes as arrays", async () => {
    const ro = await client.readAttribute(DEV, "double_spectrum_ro");
    assert.ok(Array.isArray(ro.value) && ro.value.length > 0, "double_spectrum_ro is a non-empty array");
    assert.ok(ro.value.every((x) => typeof x === "number"));
    const w = await client.writeAttribute(DEV, "double_spectrum", [1.5, 2.5, 3.5]);
    assert.deepEqual(w.value, [1.5, 2.5, 3.5]);
  });

  test("state and status", async () => {
    assert.equal(await client.state(DEV), "RUNNING"); // TangoTest's state after start-up
    assert.match(await client.status(DEV), /RUNNING/);
  });

  test("runs commands", async () => {
    assert.equal(await client.command(DEV, "DevDouble", 3.5), 3.5);
    assert.deepEqual(await client.command(DEV, "DevVarDoubleArray", [1, 2.5]), [1, 2.5]);
    assert.equal(await client.command(DEV, "DevString", "hi"), "hi");
    assert.equal(await client.command(DEV, "DevVoid"), null);
    assert.equal(await client.command(DEV, "State"), "RUNNING"); // DevState output as its name
  });

  test("attribute info", async () => {
    const i = await client.attributeInfo(DEV, "double_scalar");
    assert.equal(i.name, "double_scalar");
    assert.equal(i.data_type, "DevDouble");
    assert.equal(i.data_format, "SCALAR");
    assert.equal(i.writable, "READ_WRITE");
    const s = await client.attributeInfo(DEV, "double_spectrum_ro");
    assert.equal(s.data_format, "SPECTRUM");
    assert.equal(s.writable, "READ");
    assert.ok(s.max_dim_x > 1);
  });

  test("an unknown attribute or command is a TangoError naming it", async () => {
    const { error } = await rejection(client.readAttribute(DEV, "no_such_attr"));
    assert.match(error.message, /^sys\/tg_test\/1\/no_such_attr: read failed: .*not found/);
    assert.equal(error.reason, "API_AttrNotFound");
    assert.equal(error.httpStatus, 404);
    const c = await rejection(client.command(DEV, "NoSuchCommand"));
    assert.match(c.error.message, /^sys\/tg_test\/1\/NoSuchCommand: command failed: .*not found/);
    const m = await rejection(client.readAttributes(DEV, ["double_scalar", "no_value"]));
    assert.match(m.error.message, /^sys\/tg_test\/1\/no_value: read failed: .*has not been updated \[API_AttrValueNotSet\]$/);
    const w = await rejection(client.writeAttribute(DEV, "double_scalar_w", "abc"));
    assert.match(w.error.message, /^sys\/tg_test\/1\/double_scalar_w: write failed: cannot write 'abc'/);
    assert.equal(w.error.httpStatus, 400);
    const d = await rejection(client.state("sys/tg_test/2"));
    assert.match(d.error.message, /^sys\/tg_test\/2: state failed: Failed to connect to device sys\/tg_test\/2/);
  });

  test("a frozen device server gives a timeout, not a hang", async () => {
    const quick = new TangoRestClient({ baseUrl: tango.restUrl, tangoPort: tango.tangoPort, timeoutMs: 800, retries: 0 });
    process.kill(tango.deviceServerPid, "SIGSTOP");
    try {
      await allThreadsStopped(tango.deviceServerPid);
      const { error } = await rejection(quick.readAttribute(DEV, "double_scalar"));
      // the gateway's own Tango timeout is 2000 ms: this message means the client gave up at 800 ms
      assert.equal(error.message, "sys/tg_test/1/double_scalar: no answer within 800 ms");
      assert.ok(error.timedOut);
    } finally {
      process.kill(tango.deviceServerPid, "SIGCONT");
    }
    // Once resumed, the device answers again (Tango reconnects on its own).
    const t0 = Date.now();
    for (;;) {
      try {
        assert.equal(typeof (await client.readAttribute(DEV, "double_scalar")).value, "number");
        break;
      } catch (e) {
        if (Date.now() - t0 > 10_000) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });

  test("after the device server dies a read fails clearly within the timeout", async () => {
    await tango.killDeviceServer();
    const { error, ms } = await rejection(client.readAttribute(DEV, "double_scalar"));
    assert.match(error.message, /^sys\/tg_test\/1\/double_scalar: read failed: .*sys\/tg_test\/1/);
    assert.ok(error.httpStatus !== undefined && error.httpStatus >= 500, `HTTP ${error.httpStatus}`);
    assert.ok(ms < client.timeoutMs, `took ${ms} ms`);
    const s = await rejection(client.state(DEV));
    assert.match(s.error.message, /^sys\/tg_test\/1: state failed: Failed to connect to device sys\/tg_test\/1/);
  });
});

describe("TangoRestClient network failures", () => {
  test("an unreachable gateway fails fast, after retrying GETs", async () => {
    const port = await freePort();
    const client = new TangoRestClient({ baseUrl: `http://127.0.0.1:${port}/tango/rest/v11` });
    const { error, ms } = await rejection(client.readAttribute(DEV, "double_scalar"));
    assert.equal(
      error.message,
      `sys/tg_test/1/double_scalar: read failed: cannot reach http://127.0.0.1:${port}: ECONNREFUSED (3 attempts)`,
    );
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  test("a server that never answers times out; GETs are retried, commands are not", async () => {
    let requests = 0;
    const silent: Server = createServer(() => void requests++); // accepts, never replies
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const addr = silent.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    try {
      const client = new TangoRestClient({ baseUrl: `http://127.0.0.1:${port}/tango/rest/v11`, timeoutMs: 300, retries: 2 });
      const r = await rejection(client.readAttribute(DEV, "double_scalar"));
      assert.equal(r.error.message, "sys/tg_test/1/double_scalar: no answer within 300 ms (3 attempts)");
      assert.ok(r.ms >= 900 && r.ms < 2000, `took ${r.ms} ms`);
      assert.equal(requests, 3);
      requests = 0;
      const c = await rejection(client.command(DEV, "DevDouble", 3.5));
      assert.equal(c.error.message, "sys/tg_test/1/DevDouble: no answer within 300 ms");
      assert.equal(requests, 1);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  test("basic auth is sent and checked", { skip: needsTango() }, async () => {
    const tango = await startTango({ gatewayArgs: ["--user", "contrast", "--password", "s3cret"] });
    try {
      const opts = { baseUrl: tango.restUrl, tangoPort: tango.tangoPort };
      const ok = new TangoRestClient({ ...opts, user: "contrast", password: "s3cret" });
      assert.equal(await ok.command(DEV, "DevDouble", 1.25), 1.25);
      const bad = new TangoRestClient({ ...opts, user: "contrast", password: "wrong" });
      const { error } = await rejection(bad.readAttribute(DEV, "double_scalar"));
      assert.equal(error.httpStatus, 401);
      assert.match(error.message, /^sys\/tg_test\/1\/double_scalar: read failed: bad or missing credentials/);
    } finally {
      await tango.stop();
    }
  });
});
