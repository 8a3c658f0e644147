export { Motor, LimitError, type MotorOptions } from "./Motor.ts";
export { DummyMotor, type DummyMotorOptions } from "./DummyMotor.ts";
export { PseudoMotor, slitPair, type PseudoMotorOptions } from "./PseudoMotor.ts";
export { MotorMemorizer, type Bookmark } from "./memorizer.ts";
import "./macros.ts";
export { type FlyAxis, type FlyLine, isFlyAxis } from "./FlyAxis.ts";
