/**
 * Integration tables on disk, named by a hash of everything they depend on
 * (geometry, mask, binning, corrections), so a restarted worker loads its
 * table instead of rebuilding it. Files are written to a temporary name and
 * renamed, so a reader never sees half a table. A file that fails to load is
 * rebuilt and rewritten.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Corrections } from "./pixelGeometry.ts";
import type { Poni } from "./poni.ts";
import type { Binning, IntegrationTable } from "./table.ts";

const FORMAT = "contrast-integration-table-1";
const ARRAYS = ["radial", "chi", "counts", "firstBin", "weights", "entryBins", "pixelNormalization", "denominator"] as const;
type ArrayName = (typeof ARRAYS)[number];
const TYPES = { radial: Float64Array, chi: Float64Array, counts: Uint8Array, firstBin: Uint32Array, weights: Float32Array, entryBins: Uint32Array, pixelNormalization: Float32Array, denominator: Float64Array };

export function defaultCacheDirectory(): string {
  return process.env.CONTRAST_INTEGRATION_CACHE ?? join(homedir(), ".cache", "contrast", "integration");
}

export function tableKey(poni: Poni, mask: Uint8Array | null, binning: Binning, corrections: Corrections): string {
  const hash = createHash("sha256");
  const { detector, ...geometry } = poni;
  hash.update(JSON.stringify({
    FORMAT, geometry, detector: { name: detector.name, pixel1: detector.pixel1, pixel2: detector.pixel2, shape: detector.shape },
    binning: { ...binning, unit: binning.unit.name }, corrections,
  }));
  hash.update(mask ?? new Uint8Array(0));
  return hash.digest("hex").slice(0, 32);
}

export function saveTable(directory: string, key: string, table: IntegrationTable): string {
  mkdirSync(directory, { recursive: true });
  const parts: Buffer[] = [];
  const layout: Record<string, [number, number] | null> = {};
  let offset = 0;
  for (const name of ARRAYS) {
    const a = table[name];
    if (!a) {
      layout[name] = null;
      continue;
    }
    const pad = (8 - (offset % 8)) % 8; // keep every array aligned for its element size
    if (pad) parts.push(Buffer.alloc(pad));
    offset += pad;
    layout[name] = [offset, a.length];
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
  }
  const header = Buffer.from(JSON.stringify({ format: FORMAT, key, outputSize: table.outputSize, firstBinBytes: table.firstBin.BYTES_PER_ELEMENT, layout }));
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(header.length, 0);
  const headerPad = Buffer.alloc((8 - ((8 + header.length) % 8)) % 8);
  const path = join(directory, `${key}.table`);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, Buffer.concat([prefix, header, headerPad, ...parts]));
  renameSync(temporary, path);
  return path;
}

/** The table stored under key, or null when there is none (or it is unreadable). */
export function loadTable(directory: string, key: string): IntegrationTable | null {
  const path = join(directory, `${key}.table`);
  if (!existsSync(path)) return null;
  try {
    const file = readFileSync(path);
    const headerLength = file.readUInt32LE(0);
    const header = JSON.parse(file.toString("utf8", 8, 8 + headerLength)) as { format: string; key: string; outputSize: number; firstBinBytes: number; layout: Record<ArrayName, [number, number] | null> };
    if (header.format !== FORMAT || header.key !== key) return null;
    const bodyStart = 8 + headerLength + ((8 - ((8 + headerLength) % 8)) % 8);
    // one aligned copy of the body; the arrays are views on it
    const body = new Uint8Array(file.byteLength - bodyStart);
    body.set(file.subarray(bodyStart));
    const view = <T extends ArrayName>(name: T) => {
      const at = header.layout[name];
      if (!at) return null;
      const Type = name === "firstBin" && header.firstBinBytes === 2 ? Uint16Array : TYPES[name];
      if (at[0] + at[1] * Type.BYTES_PER_ELEMENT > body.byteLength) throw new Error("truncated");
      return new Type(body.buffer, at[0], at[1]);
    };
    const need = <T extends ArrayName>(name: T) => {
      const v = view(name);
      if (!v) throw new Error(`no ${name}`);
      return v;
    };
    return {
      outputSize: header.outputSize, radial: need("radial") as Float64Array, chi: view("chi") as Float64Array | null,
      counts: need("counts") as Uint8Array, firstBin: need("firstBin") as Uint16Array | Uint32Array,
      weights: need("weights") as Float32Array, entryBins: view("entryBins") as Uint32Array | null, pixelNormalization: need("pixelNormalization") as Float32Array,
      denominator: need("denominator") as Float64Array,
    };
  } catch {
    return null;
  }
}
