/** Datasets named `FILE.h5:/path`, read with h5wasm (masks, and frames for the offline command). */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Dataset, File } from "h5wasm/node";
import type { NdArray, NumericArray } from "./npy.ts";

export function splitDatasetSpec(spec: string, what: string): { file: string; path: string } {
  const at = spec.lastIndexOf(":");
  if (at <= 0 || at === spec.length - 1) throw new Error(`${what} '${spec}' must be FILE.h5:/path/to/dataset`);
  return { file: resolve(spec.slice(0, at)), path: spec.slice(at + 1) };
}

export async function openDataset(file: string, path: string): Promise<{ file: File; dataset: Dataset }> {
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  const { default: h5wasm } = await import("h5wasm/node");
  await h5wasm.ready;
  const f = new h5wasm.File(file, "r");
  const node = f.get(path);
  if (!node || !(node instanceof h5wasm.Dataset)) {
    f.close();
    throw new Error(`${file} has no dataset ${path}`);
  }
  return { file: f, dataset: node };
}

export function asNumeric(value: unknown, where: string): NumericArray {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array))
    return value as NumericArray;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Float64Array.from(value, Number);
  throw new Error(`${where} is not a numeric dataset`);
}

export async function readHdf5Dataset(file: string, path: string): Promise<NdArray> {
  const { file: f, dataset } = await openDataset(file, path);
  try {
    return { shape: [...(dataset.shape ?? [])], data: asNumeric(dataset.value, `${file}:${path}`) };
  } finally {
    f.close();
  }
}
