/**
 * Node options for the pipeline's process and for worker processes. Each 18 MB
 * frame that zeromq hands over counts as external memory, so V8 collects every
 * few frames; its helper threads then compete with the integrating threads for
 * the cores. Collecting on each thread itself gave 68–76 frames/s end to end
 * against 62–67 on this 2-core machine, alternating runs.
 *
 * A module of its own: the shell imports it (for the recorder child) and must
 * not load the pipeline, zeromq and h5wasm with it.
 */
export const PIPELINE_NODE_FLAGS = ["--single-threaded-gc"];
