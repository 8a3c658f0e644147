export { PiezoStage, PiezoAxis, type PiezoStageOptions, type PiezoAxisOptions } from "./PiezoStage.ts";
export { PandaBox, type PandaBoxOptions, type Encoder } from "./PandaBox.ts";
