/**
 * User masks (1 = masked) from `FILE.h5:/path` or `FILE.npy`. A mask whose
 * shape is not the detector's is refused before anything is integrated.
 */
import { existsSync } from "node:fs";
import { readNpy, type NdArray } from "./npy.ts";
import { readHdf5Dataset, splitDatasetSpec } from "./hdf5Input.ts";

export async function loadMask(spec: string, shape: [number, number]): Promise<Uint8Array> {
  let array: NdArray;
  if (spec.endsWith(".npy")) {
    if (!existsSync(spec)) throw new Error(`mask file ${spec} does not exist`);
    array = readNpy(spec);
  } else {
    const { file, path } = splitDatasetSpec(spec, "mask");
    array = await readHdf5Dataset(file, path);
  }
  if (array.shape.length !== 2 || array.shape[0] !== shape[0] || array.shape[1] !== shape[1])
    throw new Error(`mask ${spec} has shape ${array.shape.join("×")}, the detector is ${shape.join("×")}`);
  const mask = new Uint8Array(array.data.length);
  for (let i = 0; i < mask.length; i++) mask[i] = array.data[i] ? 1 : 0;
  return mask;
}

/** Pixels masked in either (a new array; either may be null). */
export function combineMasks(a: Uint8Array | null, b: Uint8Array | null, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (a?.[i] ?? 0) | (b?.[i] ?? 0) ? 1 : 0;
  return out;
}
