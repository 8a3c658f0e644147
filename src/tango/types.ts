/** JSON shapes of the Tango REST API v1.1 subset that TangoRestClient speaks. */

/** A Tango attribute or command value as JSON: scalars, spectra (arrays), images (arrays of arrays). */
export type TangoValue = number | string | boolean | null | TangoValue[];

/** `GET .../attributes/{attr}/value`. */
export interface TangoAttributeValue {
  name: string;
  value: TangoValue;
  /** "ATTR_VALID", "ATTR_INVALID", "ATTR_ALARM", "ATTR_CHANGING", "ATTR_WARNING". */
  quality: string;
  /** Milliseconds since the epoch, as stamped by the device server. */
  timestamp: number;
}

/** `GET .../attributes/{attr}/info` (the fields the gateway fills in). */
export interface TangoAttributeInfo {
  name: string;
  label: string;
  description: string;
  unit: string;
  standard_unit: string;
  display_unit: string;
  format: string;
  min_value: string;
  max_value: string;
  min_alarm: string;
  max_alarm: string;
  writable_attr_name: string;
  max_dim_x: number;
  max_dim_y: number;
  /** "READ", "WRITE", "READ_WRITE", "READ_WITH_WRITE". */
  writable: string;
  /** "SCALAR", "SPECTRUM", "IMAGE". */
  data_format: string;
  /** "DevDouble", "DevLong", "DevString", ... */
  data_type: string;
  level: string;
  enum_label: string[];
}

/** One entry of the `errors` list in a failed reply (a Tango DevError). */
export interface TangoErrorItem {
  reason: string;
  description: string;
  severity: string;
  origin: string;
}

export interface TangoRestClientOptions {
  /** e.g. "http://127.0.0.1:8080/tango/rest/v11" */
  baseUrl: string;
  /** Tango host (database host) as it appears in the URL; default "127.0.0.1". */
  tangoHost?: string;
  /** Tango host port; default 10000. */
  tangoPort?: number;
  user?: string;
  password?: string;
  /** Per-request time limit; default 3000 ms. */
  timeoutMs?: number;
  /** Extra attempts for idempotent GETs after a network error or timeout; default 2. */
  retries?: number;
}
