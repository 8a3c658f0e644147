import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Dataset, File } from "h5wasm/node";
import type { DataId } from "./Detector.ts";

/**
 * The file a writing detector keeps for one scan, `scan_NNNNNN_NAME.h5`, with
 * an empty, growable frame dataset at `path` (frames × rows × columns).
 */
export async function createDetectorFile(
  name: string, dataId: DataId, path: string, shape: [number, number], dtype: "<H" | "<I",
): Promise<{ fileName: string; file: File; dataset: Dataset }> {
  // h5wasm compiles a large WebAssembly module: load it on the first scan, not at start-up
  const { default: h5wasm } = await import("h5wasm/node");
  await h5wasm.ready;
  mkdirSync(dataId.path, { recursive: true });
  const fileName = join(dataId.path, `scan_${String(dataId.scannr).padStart(6, "0")}_${name}.h5`);
  if (existsSync(fileName)) throw new Error(`${name}: ${fileName} already exists`);
  const file = new h5wasm.File(fileName, "w");
  const groups = path.split("/").slice(0, -1);
  for (let i = 1; i <= groups.length; i++) file.create_group(groups.slice(0, i).join("/"));
  const [h, w] = shape;
  const dataset = file.create_dataset({
    name: path, data: dtype === "<H" ? new Uint16Array(0) : new Uint32Array(0), shape: [0, h, w],
    maxshape: [null, h, w], chunks: [1, h, w], dtype,
  });
  return { fileName, file, dataset };
}
