/**
 * The model's option names, apart from the TensorFlow.js code that implements
 * them, so the command line can list its choices without loading TensorFlow.js.
 */
export type EncoderType = 'lstm' | 'transformer' | 'gnn';
export const ENCODER_TYPES: readonly EncoderType[] = ['lstm', 'transformer', 'gnn'];

export type BackwardPolicy = 'exact' | 'learned';
export const BACKWARD_POLICIES: readonly BackwardPolicy[] = ['exact', 'learned'];

export type TfBackendName = 'wasm' | 'cpu';
export const TF_BACKENDS: readonly TfBackendName[] = ['wasm', 'cpu'];
