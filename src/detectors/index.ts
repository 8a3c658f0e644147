export { Detector, isLiveDetector, type DataId, type DetectorOptions, type LiveDetector } from "./Detector.ts";
export { SimulatedDetector } from "./SimulatedDetector.ts";
export { TriggerSource, isTriggerable, isTriggerBox, setTriggerMode, type TriggerTrain, type TriggerBox } from "./triggers.ts";
export { DummyDetector, Dummy1dDetector, DummyDictDetector, Dummy2dDetector, type Signal } from "./dummies.ts";
export { DummyWritingDetector } from "./DummyWritingDetector.ts";
export { PseudoDetector } from "./PseudoDetector.ts";
export { DetectorGroup } from "./DetectorGroup.ts";
import "./macros.ts";
