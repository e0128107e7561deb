/**
 * Decay of the consistency (ssl) and novelty reward weights over a run
 * (SPEC §5): from the initial value to initial × finalRatio after
 * `totalSteps` episodes. Linear and exponential follow PyTorch's LinearLR /
 * ExponentialLR as the published code uses them; polynomial is power 2,
 * (1 - s/N)² between the initial and the final value.
 */
export type WeightDecayType = 'linear' | 'exponential' | 'polynomial';
export const WEIGHT_DECAY_TYPES: readonly WeightDecayType[] = ['linear', 'exponential', 'polynomial'];

/** The multiplier of the initial weight at episode `step` (0-based). */
export function decayFactor(type: WeightDecayType, step: number, totalSteps: number, finalRatio: number): number {
  if (totalSteps <= 0) return 1;
  const progress = Math.min(Math.max(step, 0), totalSteps) / totalSteps;
  switch (type) {
    case 'linear':
      return 1 + (finalRatio - 1) * progress;
    case 'exponential':
      // gamma^step with gamma = finalRatio^(1/N); 0^0 = 1 keeps a zero ratio at 1 for the first episode.
      return progress === 0 ? 1 : Math.pow(finalRatio, progress);
    case 'polynomial':
      return finalRatio + (1 - finalRatio) * (1 - progress) * (1 - progress);
  }
}

export interface RewardWeights {
  ssl: number;
  novelty: number;
}

export class WeightSchedule {
  constructor(
    readonly type: WeightDecayType,
    readonly initial: RewardWeights,
    readonly finalRatio: number,
    readonly totalSteps: number,
  ) {}

  at(step: number): RewardWeights {
    const f = decayFactor(this.type, step, this.totalSteps, this.finalRatio);
    return { ssl: this.initial.ssl * f, novelty: this.initial.novelty * f };
  }
}
