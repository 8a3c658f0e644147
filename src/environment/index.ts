export { env, type Environment, type Hooks, type CtHook } from "./env.ts";
export { PathFixer } from "./paths.ts";
export { Scheduler, DummyScheduler, InjectionScheduler, SimulatedBeamScheduler } from "./scheduler.ts";
export { MotorSnapshot, EmptySnapshot, type Snapshot } from "./snapshot.ts";
import "./macros.ts";
