/**
 * contrast-integrate-workers: the live pipeline (receiver, N local worker
 * threads, collector), or with `worker` one worker process that joins a
 * pipeline, possibly from another machine.
 */
import { resolve } from "node:path";
import { DEFAULT_EIGER_STREAM } from "../detectors/eiger/SimulatedEiger.ts";
import { parseIntegrationOptions, UsageError } from "./integrateCommand.ts";
import { DEFAULT_OPTIONS, type IntegrationOptions } from "./setup.ts";
import { startPipeline, type PipelineOptions } from "./pipeline/pipeline.ts";
import { runWorker } from "./pipeline/worker.ts";

export const WORKERS_USAGE = `usage: contrast-integrate-workers --poni FILE [--stream ADDR] [--workers N] [--dir DIR]
         [--frames-bind ADDR] [--results-bind ADDR] [--resend-after S] [integration options]
       contrast-integrate-workers worker --frames ADDR --results ADDR --poni FILE [integration options]
The pipeline PULLs Eiger stream v1 frames from --stream (default ${DEFAULT_EIGER_STREAM}), hands each
to an idle local worker (N threads of its process, default 2), else round-robin to the worker
processes that connected to the frames address, and writes scan_NNNNNN_integrated.h5 per series
into --dir (default .). Frames a worker process took but did not return are sent again when it
leaves, or after --resend-after seconds (default 30).
Integration options as for contrast-integrate: --mask --bins --unit --split --radial-range
--sectors --no-solid-angle --polarization --bad-pixel --cache/--no-cache.`;

function take(rest: string[], name: string): string | null {
  const i = rest.indexOf(name);
  if (i < 0) return null;
  const v = rest[i + 1];
  if (v === undefined || v.startsWith("--")) throw new UsageError(`${name} needs a value`);
  rest.splice(i, 2);
  return v;
}

function integrationOptions(argv: string[]): { options: IntegrationOptions; rest: string[] } {
  const options = { ...DEFAULT_OPTIONS, poni: null as string | null };
  const rest = parseIntegrationOptions(argv, options);
  if (!options.poni) throw new UsageError("--poni is required");
  return { options: { ...options, poni: resolve(options.poni), mask: options.mask }, rest };
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

export async function main(argv = process.argv.slice(2)): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(WORKERS_USAGE + "\n");
    return;
  }
  try {
    if (argv[0] === "worker") {
      const { options, rest } = integrationOptions(argv.slice(1));
      const frames = take(rest, "--frames"), results = take(rest, "--results");
      const id = Number(take(rest, "--id") ?? process.pid);
      if (!frames || !results) throw new UsageError("a worker needs --frames and --results");
      if (rest.length) throw new UsageError(`unknown argument '${rest[0]}'`);
      await runWorker({ frames, results, id }, options, log);
      return;
    }
    const { options, rest } = integrationOptions(argv);
    const workers = Number(take(rest, "--workers") ?? 2);
    if (!Number.isInteger(workers) || workers < 0) throw new UsageError(`--workers must be a whole number, not ${workers}`);
    const p: PipelineOptions = {
      stream: take(rest, "--stream") ?? DEFAULT_EIGER_STREAM,
      framesBind: take(rest, "--frames-bind") ?? "tcp://127.0.0.1:*",
      resultsBind: take(rest, "--results-bind") ?? "tcp://127.0.0.1:*",
      directory: resolve(take(rest, "--dir") ?? "."),
      workers,
      resendAfterMs: 1000 * Number(take(rest, "--resend-after") ?? 30),
    };
    if (rest.length) throw new UsageError(`unknown argument '${rest[0]}'`);
    const pipeline = await startPipeline(p, options, log);
    // stdout carries the addresses, so whoever started the pipeline can hand them to remote workers
    process.stdout.write(JSON.stringify({ frames: pipeline.framesAddress, results: pipeline.resultsAddress }) + "\n");
    await new Promise<void>((done) => {
      const stop = () => void pipeline.stop().then(done);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  } catch (e) {
    process.stderr.write(`contrast-integrate-workers: ${e instanceof Error ? e.message : String(e)}\n`);
    if (e instanceof UsageError) process.stderr.write(WORKERS_USAGE + "\n");
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
