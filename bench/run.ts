/** npm run bench: prints one JSON line per figure. `npm run bench -- scan` runs one group. */
import type { Figure } from "./scan.ts";

type Group = () => Promise<Figure[]>;
const groups: Record<string, () => Promise<Group>> = {
  scan: async () => (await import("./scan.ts")).benchScan,
  shell: async () => (await import("./shell.ts")).benchShell,
  liveplot: async () => (await import("./liveplot.ts")).benchLivePlot,
  tango: async () => (await import("./tango.ts")).benchTango,
  recorders: async () => (await import("./recorders.ts")).benchRecorders,
  remote: async () => (await import("./remote.ts")).benchRemote,
  xrf: async () => (await import("./xrf.ts")).benchXrf,
  integration: async () => (await import("./integration.ts")).benchIntegration,
  pipeline: async () => (await import("./pipeline.ts")).benchPipeline,
  flyscan: async () => (await import("./flyscan.ts")).benchFlyScan,
};

const only = process.argv.slice(2);
for (const [name, load] of Object.entries(groups)) {
  if (only.length && !only.includes(name)) continue;
  try {
    for (const f of await (await load())()) process.stdout.write(JSON.stringify(f) + "\n");
  } catch (e) {
    process.stderr.write(`bench ${name} failed: ${e instanceof Error ? e.stack : e}\n`);
    process.exitCode = 1;
  }
}
process.exit();
