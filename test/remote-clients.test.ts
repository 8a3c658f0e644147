/** The example clients (examples/remote_client.py with Debian's python3, examples/remote_client.ts) against a running shell. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { TmuxShell, PROMPT, ROOT } from "./helpers/tmux.ts";
import { remoteOf } from "./helpers/remote.ts";
import { runNode } from "./helpers/cli.ts";
import { SYSTEM_PYTHON, needs } from "./helpers/system.ts";

test("remote_client.py and remote_client.ts queue a scan, wait for it and print its scan number", async (t) => {
  const s = TmuxShell.start({ env: { CONTRAST_STREAM: "tcp://127.0.0.1:0" } });
  t.after(() => s.kill());
  await s.waitFor(PROMPT, "the first prompt");
  await remoteOf(s);
  const env = { ...process.env, CONTRAST_REMOTE_FILE: join(s.dataDir, "remote.json") };

  const ts = await runNode(["--import", "tsx", "examples/remote_client.ts", "ascan samx 0 1 3 0.05"], { CONTRAST_REMOTE_FILE: env.CONTRAST_REMOTE_FILE });
  assert.equal(ts.code, 0, ts.err);
  assert.match(ts.out, /^scan #1: ascan samx 0 1 3 0\.05/m, "the item's output, from the event stream");
  assert.match(ts.out, /^scan #1 finished \(4 points\)$/m);
  assert.match(ts.out, /^item #1 finished: scan #1$/m);
  const bad = await runNode(["--import", "tsx", "examples/remote_client.ts", "ascan samx 0 1"], { CONTRAST_REMOTE_FILE: env.CONTRAST_REMOTE_FILE });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^400: ascan: needs <motor>/m);

  if (needs("python3", existsSync(SYSTEM_PYTHON))) return;
  const py = spawnSync(SYSTEM_PYTHON, ["examples/remote_client.py", "dscan samy -1 1 2 0.05"], { cwd: ROOT, env, encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout, "item #2 finished: scan #2\n");
  const pyBad = spawnSync(SYSTEM_PYTHON, ["examples/remote_client.py", "ascan nosuchmotor 0 1 2 0.1"], { cwd: ROOT, env, encoding: "utf8" });
  assert.equal(pyBad.status, 1);
  assert.match(pyBad.stderr, /^400: ascan: motor must be a motor \(got "nosuchmotor"\)\nascan <motor1>/);
});
