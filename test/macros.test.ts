import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { runCommand, env, MacroLineError, tokenize, parseArgs, macros, defineMacro } from "../src/index.ts";
import { resetBeamline, takeOutput } from "./helpers/beamline.ts";

let bl: ReturnType<typeof resetBeamline>;
beforeEach(() => (bl = resetBeamline()));

test("arguments become gadgets, numbers, expressions, strings and keyword tags", async () => {
  env.scope = { step: 0.25, n: 4 };
  const { args, kwargs } = await parseArgs(tokenize(`samx 1e-3 2*pi step/2 n+1 hello "samy" jitter=0.1 note="two words" who=samy`));
  assert.equal(args[0], bl.samx);
  assert.equal(args[1], 0.001);
  assert.ok(Math.abs((args[2] as number) - 2 * Math.PI) < 1e-12);
  assert.equal(args[3], 0.125);
  assert.equal(args[4], 5);
  assert.equal(args[5], "hello");
  assert.equal(args[6], "samy", "a quoted gadget name stays a string");
  assert.deepEqual(kwargs, { jitter: 0.1, note: "two words", who: bl.samy });
});

test("a wildcard expands to the matching gadgets visible at the user level", async () => {
  const { args } = await parseArgs(tokenize("sam* g*"));
  assert.deepEqual(args, [bl.samx, bl.samy, "g*"], "gap is above the user level, so g* matches nothing");
  const out = (await runCommand("wms sam*")) as Record<string, number>;
  assert.deepEqual(Object.keys(out), ["samx", "samy"]);
});

test("unbalanced quotes are a clear error, not a crash", async () => {
  await assert.rejects(runCommand(`mv samx "1`), (e: Error) => e instanceof MacroLineError && /unbalanced/.test(e.message));
});

test("a wrong macro line prints usage and moves nothing", async () => {
  for (const line of ["mv samx", "mv samx abc", "mv 3 samx", "ascan samx 0 1 10", "ascan samx 0 1 ten 0.1", "mesh samx 0 1", "mv samx 1 samx 2"]) {
    await assert.rejects(runCommand(line), (e: Error) => {
      assert.ok(e instanceof MacroLineError, line);
      assert.match(e.message, /\n.*<motor1>/s, `usage shown for ${line}`);
      return true;
    });
  }
  assert.equal(await bl.samx.position(), 0);
  assert.equal(env.nextScanId, 1, "no scan was started");
});

test("runCommand resolves with the macro's result and keeps it in env.lastMacroResult", async () => {
  await runCommand("mv samx 1.5 samy -2");
  const r = await runCommand("%wms samx samy");
  assert.deepEqual(r, { samx: 1.5, samy: -2 });
  assert.deepEqual(env.lastMacroResult, r);
});

test("lsmac lists every macro with its usage line, help and ? show the usage", async () => {
  const names = (await runCommand("lsmac")) as string[];
  for (const m of ["mv", "mvr", "umv", "umvr", "wm", "wms", "wa", "lsm", "setlim", "setpos", "bookmark", "lsbook", "restore", "rmbook",
    "lsdet", "activate", "deactivate", "ct", "startlive", "stoplive", "userlevel", "path", "lsmac", "ascan", "dscan", "mesh", "dmesh",
    "listscan", "loopscan", "spiralscan", "fermatscan"]) {
    assert.ok(names.includes(m), `lsmac lists ${m}`);
  }
  const out = takeOutput();
  assert.match(out, /^ascan\s+ascan <motor1> <start> <stop>/m);
  await runCommand("help dscan");
  assert.match(takeOutput(), /relative to where the motors are now/);
  await runCommand("mesh?");
  assert.match(takeOutput(), /^mesh <motor1> <start> <stop> <intervals>/);
  await assert.rejects(runCommand("help nosuchmacro"), /no macro named 'nosuchmacro'/);
});

test("every macro has usage text that begins with its own name", () => {
  for (const [name, m] of macros) assert.ok(m.usage.startsWith(name), `${name}: ${m.usage.split("\n")[0]}`);
});

test("shortcuts bind a name to a command line: listed, explained without running, extra arguments refused", async () => {
  env.shortcuts.set("home", "mv samx 0 samy 0");
  env.shortcuts.set("there", "mv samx 2");
  await runCommand("there");
  assert.equal(await bl.samx.position(), 2);
  await runCommand("home # back");
  assert.equal(await bl.samx.position(), 0);
  await assert.rejects(runCommand("there 3"), (e: Error) => e instanceof MacroLineError
    && e.message === "there is a shortcut for 'mv samx 2' and takes no arguments (got '3'); nothing was run");
  assert.equal(await bl.samx.position(), 0, "nothing moved");
  takeOutput();
  for (const line of ["help there", "there?", "?there"]) {
    await runCommand(line);
    assert.match(takeOutput(), /^there is a shortcut for: mv samx 2\nIt takes no arguments\. It runs mv: mv <motor1> <position1>/, line);
  }
  assert.equal(await bl.samx.position(), 0, "explaining does not run it");
  const names = (await runCommand("lsmac")) as string[];
  assert.ok(names.includes("home") && names.includes("ascan"));
  assert.match(takeOutput(), /^shortcuts \(each runs its line; help NAME explains it\):\nhome\s+= mv samx 0 samy 0\nthere\s+= mv samx 2$/m);
  await assert.rejects(runCommand("mvd samx 1"), /no macro named 'mvd' \(did you mean mv, mvr\? lsmac lists them\)/);
});

test("function macros registered with defineMacro get arguments, keywords and the line", async () => {
  defineMacro("echo", "echo <anything...>\nReturns its arguments.", (args, kwargs, ctx) => ({ args, kwargs, line: ctx.line }));
  const r = (await runCommand("echo samx 3 x=1")) as { args: unknown[]; kwargs: object; line: string };
  assert.deepEqual(r.args, [bl.samx, 3]);
  assert.deepEqual(r.kwargs, { x: 1 });
  assert.equal(r.line, "echo samx 3 x=1");
});

test("a macro name with upper case is refused at registration", () => {
  assert.throws(() => defineMacro("Bad", "Bad", () => 0), /lower case/);
});
