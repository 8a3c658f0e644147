import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
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
  assert.match(takeOutput(), /samx\s+1\.250\s+1\.250\s+\[-Infinity, Infinity\]/);
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
  await runCommand(`bookmark samx "nice spot"`);
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
  assert.equal(mem.bookmarks[0].motor, "samx");
  assert.equal(mem.bookmarks[0].comment, "nice spot");
});

test("bookmark, lsbook, restore and rmbook", async () => {
  new MotorMemorizer(join(tempDir(), "m.json"));
  await runCommand("mv samx 1.5");
  const i = await runCommand("bookmark samx");
  await runCommand("mv samx -2");
  await runCommand("lsbook");
  assert.match(takeOutput(), /0  samx\s+1\.5/);
  await runCommand(`restore ${i}`);
  assert.equal(await bl.samx.position(), 1.5);
  await runCommand("rmbook 0");
  assert.deepEqual(await runCommand("lsbook"), []);
  await assert.rejects(runCommand("restore 0"), /no bookmark 0/);
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
