import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { runCommand, env, DummyMotor, Motor, MotorMemorizer, slitPair, LimitError, MacroLineError, Gadget } from "../src/index.ts";
import { resetBeamline, takeOutput, tempDir } from "./helpers/beamline.ts";

let bl: ReturnType<typeof resetBeamline>;
beforeEach(() => {
  MotorMemorizer.current?.detach();
  bl = resetBeamline();
});

test("gadgets are tracked per class, found by name, and names are unique", () => {
  assert.deepEqual(Motor.getInstances().map((m) => m.name).sort(), ["gap", "samx", "samy"]);
  assert.deepEqual(DummyMotor.getInstances().length, 3);
  assert.equal(Gadget.byName("samx"), bl.samx);
  assert.throws(() => new DummyMotor({ name: "samx" }), /a gadget named 'samx' already exists/);
  assert.throws(() => new DummyMotor({ name: "" }), /needs a name/);
});

test("user = dial * scaling + offset; limits are kept in dial units and shown in user units", async () => {
  const m = new DummyMotor({ name: "th", scaling: -2, offset: 1, dialLimits: [-1, 3] });
  await m.move(-3);
  assert.equal(await m.dial(), 2);
  assert.deepEqual(m.userLimits, [-5, 3]);
  await m.setPosition(0);
  assert.equal(await m.dial(), 2, "setpos changes only the offset");
  assert.equal(await m.position(), 0);
  assert.deepEqual(m.dialLimits, [-1, 3]);
  m.setLimits(-2, 2);
  assert.deepEqual(m.userLimits, [-2, 2]);
});

test("mv moves several motors together and waits until the motion is done", async () => {
  bl.samx.velocity = 10;
  bl.samy.velocity = 10;
  const moving = runCommand("mv samx 1 samy 0.5");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await bl.samx.busy(), true);
  assert.equal(await bl.samy.busy(), true);
  await moving;
  assert.equal(await bl.samx.busy(), false);
  assert.equal(await bl.samx.position(), 1);
  assert.equal(await bl.samy.position(), 0.5);
  await runCommand("mvr samx -0.25 samy 1");
  assert.equal(await bl.samx.position(), 0.75);
  assert.equal(await bl.samy.position(), 1.5);
  await runCommand("umv samx 2");
  assert.match(takeOutput(), /samx 2\.000/);
  await runCommand("umvr samx 1");
  assert.equal(await bl.samx.position(), 3);
});

test("a limit violation moves nothing, not even the motors whose targets were fine", async () => {
  await assert.rejects(runCommand("mv samx 1 samy 7"), (e: Error) => e instanceof LimitError && /samy: target 7 is outside the limits \[-5, 5\]/.test(e.message));
  assert.equal(await bl.samx.position(), 0);
  assert.equal(await bl.samy.position(), 0);
  await assert.rejects(bl.samy.move(-6), LimitError);
  await assert.rejects(runCommand("mvr samy 5.5"), LimitError);
  assert.equal(await bl.samy.position(), 0);
});

test("Ctrl-C during mv stops the motors where they are", async () => {
  bl.samx.velocity = 1;
  const ctl = new AbortController();
  const moving = runCommand("mv samx 5", { signal: ctl.signal });
  await new Promise((r) => setTimeout(r, 50));
  ctl.abort();
  await assert.rejects(moving, /interrupted/);
  const p = await bl.samx.position();
  assert.ok(p > 0 && p < 1, `stopped early at ${p}`);
  assert.equal(await bl.samx.busy(), false);
});

test("wm, wa and lsm print positions; wa and lsm hide gadgets above the user level", async () => {
  await runCommand("mv samx 1.25");
  await runCommand("wm samx");
  assert.match(takeOutput(), /^samx\s+1\.250\s+1\.250$/m, "a motor without limits shows none");
  await runCommand("wa");
  const wa = takeOutput();
  assert.match(wa, /samx\s+1\.250/);
  assert.doesNotMatch(wa, /gap/);
  const names = (await runCommand("lsm")) as string[];
  assert.deepEqual(names, ["samx", "samy"]);
  assert.match(takeOutput(), /samy\s+DummyMotor\s+1\s+0\.000\s+\[-5\.000, 5\.000\]/);
  env.userLevel = 4;
  assert.deepEqual(await runCommand("lsm"), ["gap", "samx", "samy"]);
});

test("a gadget above the user level is refused by macros", async () => {
  await assert.rejects(runCommand("mv gap 1"), (e: Error) => e instanceof MacroLineError && /gap needs user level 4 \(the level now is 3/.test(e.message));
  assert.equal(await bl.gap.position(), 0);
  await runCommand("userlevel 4");
  await runCommand("mv gap 1");
  assert.equal(await bl.gap.position(), 1);
});

test("setlim and setpos change limits and offsets", async () => {
  await runCommand("setlim samx -1 2");
  await assert.rejects(runCommand("mv samx 3"), LimitError);
  await runCommand("setpos samx 10");
  assert.equal(await bl.samx.position(), 10);
  assert.equal(await bl.samx.dial(), 0);
  assert.deepEqual(bl.samx.userLimits, [9, 12], "limits follow the user frame");
  await assert.rejects(runCommand("setlim samx 2 1"), /above/);
});

test("the memorizer restores offsets, limits and bookmarks after a restart", async () => {
  const file = join(tempDir(), "motors.json");
  new MotorMemorizer(file);
  await runCommand("setpos samx 5");
  await runCommand("setlim samy -1 1");
  await runCommand(`bookmark spot samx samy`);
  const saved = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(saved.motors.samx.offset, 5);
  MotorMemorizer.current?.detach();

  // a new session: the same motors made again from the beamline script
  bl.samx.dispose();
  bl.samy.dispose();
  const samx = new DummyMotor({ name: "samx" });
  const samy = new DummyMotor({ name: "samy", dialLimits: [-5, 5] });
  const mem = new MotorMemorizer(file);
  assert.equal(await samx.position(), 5);
  assert.deepEqual(samy.userLimits, [-1, 1]);
  assert.deepEqual(mem.bookmarks.spot.dial, { samx: 0, samy: 0 });
});

test("bookmark, lsbook, restore and rmbook: named sets of motors, by dial position", async () => {
  new MotorMemorizer(join(tempDir(), "m.json"));
  await runCommand("mv samx 1.5 samy -1");
  assert.equal(await runCommand("bookmark here samx samy"), "here");
  await runCommand("setpos samx 11.5");
  await runCommand("mv samx 8 samy 2");
  takeOutput();
  await runCommand("lsbook here");
  assert.match(takeOutput(), /here[\s\S]*samx\s+11\.500\s+dial 1\.500[\s\S]*samy\s+-1\.000\s+dial -1\.000/, "shown where it goes in the new user frame");
  await runCommand("restore here");
  assert.equal(await bl.samx.dial(), 1.5, "setpos did not move the bookmark");
  assert.equal(await bl.samy.position(), -1);
  await runCommand("bookmark other samy");
  assert.deepEqual(Object.keys((await runCommand("lsbook")) as object), ["here", "other"]);
  // wrong arguments print the usage and change nothing
  for (const [line, why] of [["bookmark samx", /too few arguments/], ["bookmark samx samy", /the bookmark's name comes first \(samx is a motor\)/],
    ["restore nowhere", /no bookmark named 'nowhere'/], ["rmbook here nowhere", /no bookmark named 'nowhere'/], ["rmbook here yes=1", /yes=1 goes alone/]] as const) {
    await assert.rejects(runCommand(line), (e: Error) => e instanceof MacroLineError && why.test(e.message) && /\n\w+ <name/.test(e.message), line);
  }
  assert.deepEqual(Object.keys(MotorMemorizer.current!.bookmarks), ["here", "other"]);
  await runCommand("rmbook other");
  assert.deepEqual(Object.keys(MotorMemorizer.current!.bookmarks), ["here"]);
  // no name: without a terminal nothing goes unless yes=1
  takeOutput();
  assert.deepEqual(await runCommand("rmbook"), []);
  assert.match(takeOutput(), /nothing removed: no terminal to ask; rmbook yes=1 removes all 1 bookmark$/m);
  assert.deepEqual(await runCommand("rmbook yes=1"), ["here"]);
  await runCommand("lsbook");
  assert.match(takeOutput(), /no bookmarks/);
});

test("old index-based bookmarks in a memorizer file are read, as bookmarks named by their index", async () => {
  const file = join(tempDir(), "old.json");
  writeFileSync(file, JSON.stringify({ motors: { samx: { offset: 2, dialLimits: [null, null] } },
    bookmarks: [{ motor: "samx", position: 3.5, comment: "nice spot", time: "2024-01-02T03:04:05Z" }, { motor: "samy", position: -1, comment: "", time: "2024-01-02T03:04:06Z" }] }));
  new MotorMemorizer(file);
  takeOutput();
  await runCommand("lsbook");
  assert.match(takeOutput(), /^0\s+2024-01-02 03:04:05\s+nice spot\n\s+samx\s+3\.500\s+\(user position, old bookmark\)\n1 /m);
  await runCommand("restore 1");
  assert.equal(await bl.samy.position(), -1);
  await runCommand("restore 0");
  assert.equal(await bl.samx.position(), 3.5);
  await runCommand("rmbook 0");
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(file, "utf8")).bookmarks), ["1"], "saved back in the named form");
});

test("wm and wms of one motor return its position as a number; setlim and setpos take several motors", async () => {
  await runCommand("mv samx 0.25");
  assert.equal(await runCommand("wms samx"), 0.25);
  assert.equal(env.lastMacroResult, 0.25);
  assert.equal(await runCommand("wm samx"), 0.25);
  assert.deepEqual(await runCommand("wms samx samy"), { samx: 0.25, samy: 0 });
  takeOutput();
  await runCommand("wm samy");
  assert.match(takeOutput(), /^samy\s+0\.000\s+\[-5\.000, 5\.000\]\s+0\.000\s+\[-5\.000, 5\.000\]$/m, "user and dial limits");
  await runCommand("setlim samx -1 2 samy -3 inf");
  assert.deepEqual(bl.samx.userLimits, [-1, 2]);
  assert.deepEqual(bl.samy.userLimits, [-3, Infinity]);
  await runCommand("setpos samx 10 samy 1");
  assert.deepEqual([await bl.samx.position(), await bl.samy.position()], [10, 1]);
  assert.deepEqual([await bl.samx.dial(), await bl.samy.dial()], [0.25, 0]);
  takeOutput();
  await runCommand("wm samx");
  assert.match(takeOutput(), /^samx\s+10\.000\s+\[8\.750, 11\.750\]\s+0\.250\s+\[-1\.000, 2\.000\]$/m);
  // a bad triple or pair anywhere changes nothing
  for (const line of ["setlim samx 0 1 samy 2", "setlim samx 0 1 samy 2 1", "setlim samx 0 1 samx 0 2", "setpos samx 0 samy", "setpos samx 0 samy inf"]) {
    await assert.rejects(runCommand(line), (e: Error) => e instanceof MacroLineError && /\nset(lim|pos) <motor1>/.test(e.message), line);
  }
  assert.deepEqual(bl.samx.userLimits, [8.75, 11.75]);
  assert.deepEqual([await bl.samx.position(), await bl.samy.position()], [10, 1]);
});

test("slit gap and offset pseudo motors move the blades", async () => {
  const left = new DummyMotor({ name: "left", dialLimits: [-3, 3], dialPosition: -1 });
  const right = new DummyMotor({ name: "right", dialLimits: [-3, 3], dialPosition: 1 });
  const [sgap, soff] = slitPair(left, right, { gap: "sgap", offset: "soff" });
  assert.equal(await sgap.position(), 2);
  await runCommand("mv sgap 1");
  assert.deepEqual([await left.position(), await right.position()], [-0.5, 0.5]);
  await runCommand("mv soff 1");
  assert.deepEqual([await left.position(), await right.position()], [0.5, 1.5]);
  assert.equal(await sgap.position(), 1);
  await assert.rejects(runCommand("mv sgap 5"), /right: target 3.5 is outside the limits \[-3, 3\]/);
  assert.deepEqual([await left.position(), await right.position()], [0.5, 1.5], "a blade limit moves neither blade");
});
