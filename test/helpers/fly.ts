/** The fly-scan hardware the tests share: a piezo stage (pzx, pzy, 0..100) and a trigger box reading both encoders. */
import { PiezoStage, PandaBox } from "../../src/index.ts";

export function flyHardware() {
  const stage = new PiezoStage({ name: "lc400" });
  const pzx = stage.axis({ name: "pzx", dialLimits: [0, 100] });
  const pzy = stage.axis({ name: "pzy", dialLimits: [0, 100] });
  const box = new PandaBox({ name: "panda0", encoders: [pzx, pzy], triggerSource: stage.lineStart });
  return { stage, pzx, pzy, box };
}
