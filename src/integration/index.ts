export { readPoniFile, parsePoni, formatPoni, type Poni } from "./poni.ts";
export { prepareIntegration, DEFAULT_OPTIONS as DEFAULT_INTEGRATION_OPTIONS, type IntegrationOptions } from "./setup.ts";
export { Integrator } from "./integrator.ts";
export { IntegrationRecorder } from "./IntegrationRecorder.ts";
import "./macros.ts";
