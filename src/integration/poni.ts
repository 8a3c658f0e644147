/**
 * PONI files, version 2, as pyFAI writes them: `Key: value` lines, `#` comments.
 * A missing, unknown or malformed field is refused with an error naming it.
 */
import { readFileSync } from "node:fs";
import { type AreaDetector, EIGER_NAMES, genericDetector, namedDetector } from "./detector.ts";

export interface Poni {
  /** sample–detector distance along the detector normal, metres */
  distance: number;
  /** point of normal incidence on the detector, metres from the first pixel's corner */
  poni1: number;
  poni2: number;
  /** detector rotations, radians */
  rot1: number;
  rot2: number;
  rot3: number;
  /** metres */
  wavelength: number;
  detector: AreaDetector;
}

const NUMBER_FIELDS = ["Distance", "Poni1", "Poni2", "Rot1", "Rot2", "Rot3", "Wavelength"] as const;
const KNOWN_FIELDS = new Set<string>(["poni_version", "Detector", "Detector_config", ...NUMBER_FIELDS]);

export class PoniError extends Error {
  constructor(readonly source: string, readonly field: string, problem: string) {
    super(`${source}: field '${field}' ${problem}`);
  }
}

export function readPoniFile(path: string): Poni {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read PONI file ${path}: ${(e as Error).message}`);
  }
  return parsePoni(text, path);
}

export function parsePoni(text: string, source = "PONI"): Poni {
  const fields = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new Error(`${source}: line '${line}' is not 'Field: value'`);
    const key = line.slice(0, colon).trim();
    if (!KNOWN_FIELDS.has(key)) throw new PoniError(source, key, "is unknown");
    fields.set(key, line.slice(colon + 1).trim());
  }
  const need = (key: string): string => {
    const v = fields.get(key);
    if (v === undefined || v === "") throw new PoniError(source, key, "is missing");
    return v;
  };
  if (need("poni_version") !== "2") throw new PoniError(source, "poni_version", `is ${fields.get("poni_version")}; only version 2 is read`);
  const numbers = {} as Record<(typeof NUMBER_FIELDS)[number], number>;
  for (const key of NUMBER_FIELDS) {
    const v = Number(need(key));
    if (!Number.isFinite(v)) throw new PoniError(source, key, `is not a number: '${fields.get(key)}'`);
    numbers[key] = v;
  }
  if (numbers.Distance <= 0) throw new PoniError(source, "Distance", "must be positive");
  if (numbers.Wavelength <= 0) throw new PoniError(source, "Wavelength", "must be positive");
  return {
    distance: numbers.Distance, poni1: numbers.Poni1, poni2: numbers.Poni2,
    rot1: numbers.Rot1, rot2: numbers.Rot2, rot3: numbers.Rot3, wavelength: numbers.Wavelength,
    detector: parseDetector(need("Detector"), fields.get("Detector_config") ?? "{}", source),
  };
}

function parseDetector(name: string, configText: string, source: string): AreaDetector {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(configText) as Record<string, unknown>;
  } catch {
    throw new PoniError(source, "Detector_config", `is not JSON: '${configText}'`);
  }
  const named = namedDetector(name);
  if (named) return named;
  if (name !== "Detector")
    throw new PoniError(source, "Detector", `'${name}' is unknown (Detector with Detector_config, or one of ${EIGER_NAMES.join(", ")})`);
  const size = (key: string): number => {
    const v = config[key];
    if (typeof v !== "number" || !(v > 0)) throw new PoniError(source, `Detector_config.${key}`, v === undefined ? "is missing" : "must be a positive number");
    return v;
  };
  const shape = config.max_shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((n) => Number.isInteger(n) && n > 0))
    throw new PoniError(source, "Detector_config.max_shape", shape === undefined ? "is missing" : "must be [rows, columns]");
  for (const key of Object.keys(config))
    if (!["pixel1", "pixel2", "max_shape"].includes(key)) throw new PoniError(source, `Detector_config.${key}`, "is unknown");
  return genericDetector(size("pixel1"), size("pixel2"), [shape[0] as number, shape[1] as number]);
}

/** The PONI text pyFAI would write for this geometry. */
export function formatPoni(p: Poni): string {
  const config = p.detector.name === "Detector"
    ? JSON.stringify({ pixel1: p.detector.pixel1, pixel2: p.detector.pixel2, max_shape: p.detector.shape }).replaceAll(",", ", ").replaceAll(":", ": ")
    : "{}";
  return [
    "# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis", "poni_version: 2",
    `Detector: ${p.detector.name}`, `Detector_config: ${config}`,
    `Distance: ${p.distance}`, `Poni1: ${p.poni1}`, `Poni2: ${p.poni2}`,
    `Rot1: ${p.rot1}`, `Rot2: ${p.rot2}`, `Rot3: ${p.rot3}`, `Wavelength: ${p.wavelength}`, "",
  ].join("\n");
}
