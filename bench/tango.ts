/**
 * tango.reads_per_s: sequential single-attribute reads of sys/tg_test/1/double_scalar through
 * TangoRestClient -> tools/tango-rest-gateway.py -> a real TangoTest, for about 2 s after a
 * warm-up. Starts and stops TangoTest and the gateway itself; returns [] without TangoTest.
 *
 *   node --import tsx bench/tango.ts
 */
import { TangoRestClient } from "../src/tango/client.ts";
import { needsTango } from "../test/helpers/system.ts";
import { TEST_DEVICE, startTango } from "../test/helpers/tango.ts";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

function tangoMissing(): boolean {
  try {
    return needsTango() !== false;
  } catch {
    return true; // CONTRAST_REQUIRE_SYSTEM=1 and missing: the tests report that, not the bench
  }
}

export async function benchTango(durationMs = 2000): Promise<{ name: string; value: number; unit: string }[]> {
  if (tangoMissing()) return [];
  const tango = await startTango();
  try {
    const client = new TangoRestClient({ baseUrl: tango.restUrl, tangoPort: tango.tangoPort });
    for (let i = 0; i < 50; i++) await client.readAttribute(TEST_DEVICE, "double_scalar");
    let reads = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < durationMs) {
      await client.readAttribute(TEST_DEVICE, "double_scalar");
      reads++;
      elapsed = performance.now() - t0;
    }
    return [{ name: "tango.reads_per_s", value: Math.round((reads / elapsed) * 1000), unit: "reads/s" }];
  } finally {
    await tango.stop();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  for (const r of await benchTango()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
