/**
 * contrast-integrate: integrates every frame of a 2-D or 3-D HDF5 dataset
 * offline, with the same table and integrator as the live workers.
 */
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { asNumeric, openDataset, splitDatasetSpec } from "./hdf5Input.ts";
import { IntegratedResultFile } from "./resultFile.ts";
import { DEFAULT_OPTIONS, prepareIntegration, type IntegrationOptions } from "./setup.ts";
import { radialUnit, type RadialUnitName } from "./units.ts";
import { LocalWorkers } from "./pipeline/localWorkers.ts";
import { elementType, integrateImage, type ImageMessage } from "./pipeline/image.ts";
import { RECEIVER, type Integrated } from "./pipeline/results.ts";

export const INTEGRATE_USAGE = `usage: contrast-integrate --poni FILE --input FILE.h5:/path [--mask FILE.h5:/path|FILE.npy]
         --bins N [--unit q_nm^-1|q_A^-1|2th_deg|r_mm] [--split bbox|none] [--radial-range LO HI]
         [--sectors K] [--no-solid-angle] [--polarization P] [--bad-pixel V|none] [--cache DIR|--no-cache]
         [--workers N] --out OUT.h5
Integrates every frame of a 2-D or 3-D dataset to I(radial) (or I(chi, radial) with --sectors K:
K sectors over 360°) and writes /entry/integrated/{I,radial,chi,frame} to OUT.h5. The frames are
integrated by N threads (default 2; 0 integrates them in the thread that reads them).`;

export class UsageError extends Error {}

export interface IntegrateCommand {
  options: IntegrationOptions;
  input: string;
  out: string;
  /** threads that integrate */
  workers: number;
}

/** Options shared with the live workers; returns the arguments it did not know. */
export function parseIntegrationOptions(argv: string[], options: Omit<IntegrationOptions, "poni"> & { poni: string | null }): string[] {
  const rest: string[] = [];
  const value = (i: number, name: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${name} needs a value`);
    return v;
  };
  const number = (i: number, name: string): number => {
    const v = Number(value(i, name));
    if (!Number.isFinite(v)) throw new UsageError(`${name}: '${argv[i]}' is not a number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case "--poni": options.poni = value(++i, a); break;
      case "--mask": options.mask = value(++i, a); break;
      case "--bins": options.bins = number(++i, a); break;
      case "--unit": options.unit = radialUnit(value(++i, a)).name as RadialUnitName; break;
      case "--split": {
        const s = value(++i, a);
        if (s !== "bbox" && s !== "none") throw new UsageError(`--split is bbox or none, not '${s}'`);
        options.split = s;
        break;
      }
      case "--radial-range": options.radialRange = [number(++i, a), number(++i, a)]; break;
      case "--sectors": options.sectors = number(++i, a); break;
      case "--no-solid-angle": options.solidAngle = false; break;
      case "--polarization": options.polarization = number(++i, a); break;
      case "--bad-pixel": {
        const v = value(++i, a);
        options.badPixel = v === "none" ? null : number(i, a);
        break;
      }
      case "--cache": options.cache = resolve(value(++i, a)); break;
      case "--no-cache": options.cache = null; break;
      default: rest.push(a);
    }
  }
  return rest;
}

export function parseIntegrateCommand(argv: string[]): IntegrateCommand {
  const options = { ...DEFAULT_OPTIONS, poni: null as string | null };
  let input: string | null = null;
  let out: string | null = null;
  let workers = 2;
  const rest = parseIntegrationOptions(argv, options);
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--input" && rest[i + 1]) input = rest[++i];
    else if (rest[i] === "--out" && rest[i + 1]) out = rest[++i];
    else if (rest[i] === "--workers" && rest[i + 1]) {
      workers = Number(rest[++i]);
      if (!Number.isInteger(workers) || workers < 0) throw new UsageError(`--workers must be a whole number, not ${rest[i]}`);
    }
    else throw new UsageError(`unknown argument '${rest[i]}'`);
  }
  if (!options.poni) throw new UsageError("--poni is required");
  if (!input) throw new UsageError("--input is required");
  if (!out) throw new UsageError("--out is required");
  return { options: { ...options, poni: options.poni }, input, out, workers };
}

function progress(done: number, total: number, t0: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const rate = done / Math.max(1e-3, (performance.now() - t0) / 1000);
  return `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} frames, ${rate.toFixed(1)} frames/s`;
}

/** Runs the command; returns the number of frames integrated. */
export async function runIntegrate(command: IntegrateCommand, log: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<number> {
  const { options } = command;
  const out = resolve(command.out);
  if (existsSync(out)) throw new Error(`${out} already exists`);
  const prepared = await prepareIntegration(options);
  const { file: inputFile, path } = splitDatasetSpec(command.input, "--input");
  const { file: input, dataset } = await openDataset(inputFile, path);
  try {
    const shape = dataset.shape ?? [];
    const [rows, cols] = prepared.shape;
    if ((shape.length !== 2 && shape.length !== 3) || shape.at(-2) !== rows || shape.at(-1) !== cols)
      throw new Error(`${command.input} has shape ${shape.join("×")}; the geometry needs frames of ${rows}×${cols}`);
    const total = shape.length === 3 ? shape[0] : 1;
    log(`${prepared.fromCache ? "loaded" : "built"} the table in ${prepared.setupSeconds.toFixed(2)} s; integrating ${total} frame${total === 1 ? "" : "s"}`);
    const result = await IntegratedResultFile.create(out, prepared.table, prepared.poni, options);
    const tty = process.stderr.isTTY;
    const t0 = performance.now();
    // frames are read here and integrated by threads: reading through h5wasm grows its memory, and a
    // buffer detached that way makes this thread's typed-array loops half as fast from then on
    const pool = await LocalWorkers.start(command.workers, options, prepared, { log });
    try {
      const written = new Map<number, Float64Array>();
      let next = 0;
      let failed: unknown = null;
      let finished = () => {};
      const done = ({ outcome, intensity }: Integrated) => {
        written.set(outcome.frame, intensity!);
        try {
          for (let r = written.get(next); r; r = written.get(next)) {
            written.delete(next);
            result.append(next++, r);
            if (tty && (next % 5 === 0 || next === total)) process.stderr.write(progress(next, total, t0));
          }
        } catch (e) {
          failed = e;
        }
        if (next === total || failed) finished();
      };
      const allDone = new Promise<void>((resolve) => (finished = resolve));
      for (let f = 0; f < total && !failed; f++) {
        const frame = asNumeric(shape.length === 3 ? dataset.slice([[f, f + 1], [], []]) : dataset.value, command.input);
        const m: ImageMessage = { kind: "image", series: 0, frame: f, shape: [cols, rows], type: elementType(frame), encoding: "<",
          data: Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength) };
        if (!(await pool.integrateWhenFree(m, done))) done(integrateImage(m, prepared, RECEIVER));
      }
      if (total > 0) await allDone;
      if (failed) throw failed;
      if (tty) process.stderr.write("\n");
    } finally {
      await pool.stop();
      result.close();
    }
    log(`wrote ${total} integrated frame${total === 1 ? "" : "s"} to ${out}:/entry/integrated`);
    return total;
  } finally {
    input.close();
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(INTEGRATE_USAGE + "\n");
    return;
  }
  try {
    await runIntegrate(parseIntegrateCommand(argv));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`contrast-integrate: ${message}\n`);
    if (e instanceof UsageError) process.stderr.write(INTEGRATE_USAGE + "\n");
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
