/**
 * Messages of the Dectris Eiger stream interface, version 1, header detail
 * "basic", uncompressed little-endian frames: a series header (two parts),
 * one four-part message per image, and a series end.
 */
export interface DetectorConfig {
  x_pixels_in_detector: number;
  y_pixels_in_detector: number;
  beam_center_x: number;
  beam_center_y: number;
  /** metres */
  detector_distance: number;
  /** ångström, as the detector reports it */
  wavelength: number;
  count_time: number;
  frame_time: number;
  nimages: number;
  ntrigger: number;
}

const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

export function seriesHeader(series: number, config: DetectorConfig): Buffer[] {
  return [json({ htype: "dheader-1.0", series, header_detail: "basic" }), json(config)];
}

export function imageMessage(series: number, frame: number, pixels: Uint32Array, width: number, height: number, startNs: bigint, stopNs: bigint): Buffer[] {
  const blob = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return [
    json({ htype: "dimage-1.0", series, frame, hash: "" }),
    json({ htype: "dimage_d-1.0", shape: [width, height], type: "uint32", encoding: "<", size: blob.byteLength }),
    blob,
    Buffer.from(`{"htype":"dconfig-1.0","start_time":${startNs},"stop_time":${stopNs},"real_time":${stopNs - startNs}}`),
  ];
}

export function seriesEnd(series: number): Buffer[] {
  return [json({ htype: "dseries_end-1.0", series })];
}

export type StreamMessage =
  | { kind: "header"; series: number; config: Partial<DetectorConfig> }
  | { kind: "image"; series: number; frame: number; shape: [number, number]; type: string; encoding: string; data: Buffer }
  | { kind: "end"; series: number };

/** Reads one multipart message of the stream; throws on anything else. */
export function parseStreamMessage(parts: Buffer[]): StreamMessage {
  const head = JSON.parse(parts[0].toString()) as { htype?: string; series?: number; frame?: number };
  switch (head.htype) {
    case "dheader-1.0":
      return { kind: "header", series: head.series ?? 0, config: parts[1] ? (JSON.parse(parts[1].toString()) as Partial<DetectorConfig>) : {} };
    case "dimage-1.0": {
      if (parts.length < 3) throw new Error(`image message of ${parts.length} parts`);
      const d = JSON.parse(parts[1].toString()) as { shape: [number, number]; type: string; encoding: string };
      return { kind: "image", series: head.series ?? 0, frame: head.frame ?? -1, shape: d.shape, type: d.type, encoding: d.encoding, data: parts[2] };
    }
    case "dseries_end-1.0":
      return { kind: "end", series: head.series ?? 0 };
    default:
      throw new Error(`unknown stream message htype '${head.htype}'`);
  }
}
