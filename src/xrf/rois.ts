/**
 * Regions of interest for XRF maps, from a JSON file:
 *
 *   { "keV_per_bin": 0.01,                        optional, default 10 eV per bin
 *     "rois": [
 *       { "name": "Fe", "energy_keV": 6.404, "width_keV": 0.3 },
 *       { "name": "total", "bins": [100, 2000] },  an explicit, inclusive bin range
 *       { "name": "Ni", "energy_keV": 7.478, "width_keV": 0.3, "per_channel": true }
 *     ] }
 *
 * (a bare array of regions is accepted too). The bin of energy E is E / keV_per_bin.
 * Errors name the file, the line and the field at fault.
 */
import { readFileSync } from "node:fs";

export interface Roi {
  name: string;
  /** first and last bin, inclusive */
  first: number;
  last: number;
  /** NaN for an explicit bin range */
  energy_keV: number;
  width_keV: number;
  /** keep the sum of each channel too, not only the sum over channels */
  perChannel: boolean;
}

export interface RoiSet {
  keVPerBin: number;
  rois: Roi[];
}

const FIELDS = new Set(["name", "energy_keV", "width_keV", "bins", "per_channel"]);

/** Line numbers of each region's fields: regions[i][field] = line, by a scan of the text that follows JSON's nesting. */
function fieldLines(text: string): { regions: Record<string, number>[]; topLines: Record<string, number> } {
  const regions: Record<string, number>[] = [];
  const topLines: Record<string, number> = {};
  let line = 1;
  let depth = 0;
  let arrayDepth = -1; // depth of the rois array's contents
  let key: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\n") line++;
    else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const s = text.slice(i + 1, j);
      i = j;
      const rest = text.slice(j + 1).match(/^\s*:/);
      if (rest) {
        key = s;
        if (depth === 1 && arrayDepth < 0) topLines[s] = line;
        if (arrayDepth >= 0 && depth === arrayDepth + 1 && regions.length) regions[regions.length - 1][s] = line;
      }
    } else if (ch === "[" || ch === "{") {
      depth++;
      if (ch === "[" && arrayDepth < 0 && (depth === 1 || (depth === 2 && key === "rois"))) arrayDepth = depth;
      else if (ch === "{" && depth === arrayDepth + 1) regions.push({ "": line });
    } else if (ch === "]" || ch === "}") {
      if (ch === "]" && depth === arrayDepth) arrayDepth = -2; // only the first such array
      depth--;
    }
  }
  return { regions, topLines };
}

/** Parses and checks a ROI file's text; `source` names it in errors. */
export function parseRois(text: string, source: string): RoiSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const at = m ? text.slice(0, Number(m[1])).split("\n").length : undefined;
    throw new Error(`${source}${at ? `:${at}` : ""}: not valid JSON (${(e as Error).message})`);
  }
  const { regions: lines, topLines } = fieldLines(text);
  const top = Array.isArray(doc) ? { rois: doc } : (doc as Record<string, unknown>);
  if (typeof top !== "object" || top === null || !Array.isArray(top.rois))
    throw new Error(`${source}:1: expected an array of regions, or an object with "rois": [...]`);
  for (const k of Object.keys(top)) if (!Array.isArray(doc) && k !== "rois" && k !== "keV_per_bin")
    throw new Error(`${source}:${topLines[k] ?? 1}: field "${k}": unknown (known: rois, keV_per_bin)`);
  const keVPerBin = top.keV_per_bin ?? 0.01;
  if (typeof keVPerBin !== "number" || !(keVPerBin > 0))
    throw new Error(`${source}:${topLines.keV_per_bin ?? 1}: field "keV_per_bin": must be a number > 0`);
  const rois: Roi[] = [];
  const seen = new Set<string>();
  top.rois.forEach((r: unknown, i: number) => {
    const at = (field?: string) => `${source}:${(field && lines[i]?.[field]) || lines[i]?.[""] || 1}: region ${i + 1}${field ? `, field "${field}"` : ""}`;
    if (typeof r !== "object" || r === null || Array.isArray(r)) throw new Error(`${at()}: must be an object`);
    const o = r as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!FIELDS.has(k)) throw new Error(`${at(k)}: unknown (known: ${[...FIELDS].join(", ")})`);
    if (typeof o.name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.name)) throw new Error(`${at("name")}: must be a name of letters, digits and _`);
    if (seen.has(o.name)) throw new Error(`${at("name")}: "${o.name}" is given twice`);
    seen.add(o.name);
    if (o.per_channel !== undefined && typeof o.per_channel !== "boolean") throw new Error(`${at("per_channel")}: must be true or false`);
    let first: number, last: number, energy = NaN, width = NaN;
    if (o.bins !== undefined) {
      if (o.energy_keV !== undefined || o.width_keV !== undefined) throw new Error(`${at("bins")}: give either bins or energy_keV and width_keV, not both`);
      const b = o.bins;
      if (!Array.isArray(b) || b.length !== 2 || !b.every((x) => Number.isInteger(x) && x >= 0) || b[0] > b[1])
        throw new Error(`${at("bins")}: must be [first, last], whole numbers, 0 <= first <= last`);
      [first, last] = b as [number, number];
    } else {
      if (typeof o.energy_keV !== "number" || !(o.energy_keV > 0)) throw new Error(`${at(o.energy_keV === undefined ? undefined : "energy_keV")}${o.energy_keV === undefined ? ": needs energy_keV and width_keV, or bins" : ": must be a number > 0"}`);
      if (typeof o.width_keV !== "number" || !(o.width_keV > 0)) throw new Error(`${at(o.width_keV === undefined ? undefined : "width_keV")}${o.width_keV === undefined ? ', field "width_keV": missing' : ": must be a number > 0"}`);
      energy = o.energy_keV;
      width = o.width_keV;
      first = Math.max(0, Math.round((energy - width / 2) / keVPerBin));
      last = Math.round((energy + width / 2) / keVPerBin);
    }
    rois.push({ name: o.name, first, last, energy_keV: energy, width_keV: width, perChannel: o.per_channel === true });
  });
  if (!rois.length) throw new Error(`${source}: no regions`);
  return { keVPerBin, rois };
}

export function loadRois(file: string): RoiSet {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read the ROI file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseRois(text, file);
}
