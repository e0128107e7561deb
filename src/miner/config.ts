/**
 * The miner's settings, their published defaults and its file names, apart
 * from the mining code, so the command line can state them without loading
 * TensorFlow.js.
 */
import type { BackwardPolicy, EncoderType } from '../model/names.js';
import type { WeightDecayType } from './schedule.js';

/** The published command's settings (snake_case there), plus our backward-policy option. */
export interface MinerConfig {
  seed: number;
  poolCapacity: number;
  logFreq: number;
  updateFreq: number;
  nEpisodes: number;
  encoderType: EncoderType;
  entropyCoef: number;
  entropyTemperature: number;
  maskDropoutProb: number;
  sslWeight: number;
  novWeight: number;
  weightDecayType: WeightDecayType;
  finalWeightRatio: number;
  backwardPolicy: BackwardPolicy;
  learningRate: number;
  /** Adam learning rate of log Z alone; null = learningRate (the published setting). */
  logZLearningRate: number | null;
  /** Admit alphas with no cross-sectional spread into the GFN pool with novelty 1, as published (GfnPoolOptions.admitFlat). */
  admitFlatAlphas: boolean;
}

/** SPEC §5 defaults of the published command. */
export const MINER_DEFAULTS: MinerConfig = {
  seed: 0,
  poolCapacity: 50,
  logFreq: 500,
  updateFreq: 64,
  nEpisodes: 10_000,
  encoderType: 'gnn',
  entropyCoef: 0.01,
  entropyTemperature: 1.0,
  maskDropoutProb: 1.0,
  sslWeight: 1.0,
  novWeight: 0.3,
  weightDecayType: 'linear',
  finalWeightRatio: 0,
  backwardPolicy: 'exact',
  learningRate: 1e-4,
  logZLearningRate: null,
  admitFlatAlphas: false,
};

export const METRICS_FILE = 'metrics.jsonl';
export const FINAL_POOL_FILE = 'pool.json';
