/** What a worker sends back to the collector for each frame: JSON, then the intensities. */
export interface FrameOutcome {
  series: number;
  frame: number;
  /** null when integrated; else why the frame was skipped (wrong shape, encoding) */
  skipped: string | null;
  badPixels: number;
  worker: number;
}

/** A frame's outcome with its intensities (null when it was skipped), wherever it was integrated. */
export interface Integrated { outcome: FrameOutcome; intensity: Float64Array | null }

/** The worker number of frames the receiver integrated itself. */
export const RECEIVER = -1;

export function encodeOutcome(outcome: FrameOutcome, intensity: Float64Array | null): Buffer[] {
  const head = Buffer.from(JSON.stringify(outcome));
  return intensity ? [head, Buffer.from(intensity.buffer, intensity.byteOffset, intensity.byteLength)] : [head];
}

export function decodeOutcome(parts: Buffer[]): Integrated {
  const outcome = JSON.parse(parts[0].toString()) as FrameOutcome;
  const blob = parts[1];
  const intensity = blob ? new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength)) : null;
  return { outcome, intensity };
}
