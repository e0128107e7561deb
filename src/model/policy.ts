/**
 * The GFlowNet's networks (SPEC §5): token embedding, a state encoder, the
 * forward head (62 logits, one per action), the optional learned backward
 * head (61 logits: every action but SEP) and the learnable log Z.
 */
import { N_ACTIONS, VOCAB_SIZE } from '../expr/vocab.js';
import { Rng } from '../util/rng.js';
import type { EncoderSession, EncoderType, StateEncoder, TokenBatch } from './encoder.js';
import { GnnEncoder } from './gnn.js';
import { LstmEncoder } from './lstm.js';
import { embed, linear, type DropoutSource } from './ops.js';
import { linearInit, ParamStore } from './params.js';
import { tf } from './tf.js';
import { TransformerEncoder } from './transformer.js';

import type { BackwardPolicy } from './names.js';
export { BACKWARD_POLICIES, type BackwardPolicy } from './names.js';
/** Backward actions of the learned head: every forward action but SEP. */
export const N_BACKWARD_ACTIONS = N_ACTIONS - 1;
/** Parameter name of log Z. */
export const LOG_Z_PARAM = 'log_z';

export interface PolicyConfig {
  encoder: EncoderType;
  /** Seeds the weight initialisation. */
  seed: number;
  hidden?: number; // 128
  backwardPolicy?: BackwardPolicy; // 'exact'
  /** Dropout of the LSTM between layers and of the transformer, while training (0.1). */
  dropout?: number;
  transformerHeads?: number; // 4
  transformerFeedForward?: number; // 2048, as PyTorch's TransformerEncoderLayer
  layers?: number; // 2
}

export interface PrefixOutputs {
  /** [B, L, H] embedding of every prefix state. */
  embeddings: tf.Tensor3D;
  /** [B, L, 62] forward logits at every prefix state. */
  forwardLogits: tf.Tensor3D;
  /** [B, L, 61] backward logits (learned backward policy only). */
  backwardLogits?: tf.Tensor3D;
}

export class GflowPolicy {
  readonly params: ParamStore;
  readonly encoder: StateEncoder;
  readonly hidden: number;
  readonly backwardPolicy: BackwardPolicy;
  readonly dropoutRate: number;
  readonly config: Required<PolicyConfig>;
  private readonly tokenTable: tf.Variable;
  private readonly forwardW: tf.Variable;
  private readonly forwardB: tf.Variable;
  private readonly backwardW?: tf.Variable;
  private readonly backwardB?: tf.Variable;
  readonly logZ: tf.Variable;

  constructor(config: PolicyConfig) {
    this.hidden = config.hidden ?? 128;
    this.backwardPolicy = config.backwardPolicy ?? 'exact';
    this.dropoutRate = config.dropout ?? 0.1;
    const layers = config.layers ?? 2;
    const heads = config.transformerHeads ?? 4;
    // PyTorch's TransformerEncoderLayer default width, which the published encoder keeps.
    const feedForward = config.transformerFeedForward ?? 2048;
    this.config = { encoder: config.encoder, seed: config.seed, hidden: this.hidden, backwardPolicy: this.backwardPolicy, dropout: this.dropoutRate, transformerHeads: heads, transformerFeedForward: feedForward, layers };
    this.params = new ParamStore(new Rng([0x9e3779b9, config.seed >>> 0, 0x85ebca6b, 0xc2b2ae35]));
    const H = this.hidden;
    this.tokenTable = this.params.add('token_embedding', [VOCAB_SIZE, H], { kind: 'normal', std: 1 });
    switch (config.encoder) {
      case 'lstm':
        this.encoder = new LstmEncoder(this.params, H, layers);
        break;
      case 'transformer':
        this.encoder = new TransformerEncoder(this.params, H, heads, feedForward, layers);
        break;
      case 'gnn':
        this.encoder = new GnnEncoder(this.params, H, layers);
        break;
    }
    this.forwardW = this.params.add('forward_head.w', [H, N_ACTIONS], linearInit(H));
    this.forwardB = this.params.add('forward_head.b', [N_ACTIONS], linearInit(H));
    if (this.backwardPolicy === 'learned') {
      this.backwardW = this.params.add('backward_head.w', [H, N_BACKWARD_ACTIONS], linearInit(H));
      this.backwardB = this.params.add('backward_head.b', [N_BACKWARD_ACTIONS], linearInit(H));
    }
    this.logZ = this.params.add(LOG_Z_PARAM, [], { kind: 'zeros' });
  }

  embedTokens(ids: Int32Array): tf.Tensor2D {
    return embed(this.tokenTable as tf.Tensor2D, ids);
  }

  forwardLogits(embeddings: tf.Tensor): tf.Tensor {
    return linear(embeddings, this.forwardW as tf.Tensor2D, this.forwardB as tf.Tensor1D);
  }

  /** Embeddings and logits of every prefix of a token batch, in one pass. */
  prefixOutputs(batch: TokenBatch, dropout?: DropoutSource): PrefixOutputs {
    const { batch: B, length: L } = batch;
    const tokenEmb = tf.reshape(this.embedTokens(batch.tokens), [B, L, this.hidden]) as tf.Tensor3D;
    const embeddings = this.encoder.encodePrefixes(batch, tokenEmb, dropout);
    const out: PrefixOutputs = { embeddings, forwardLogits: this.forwardLogits(embeddings) as tf.Tensor3D };
    if (this.backwardW && this.backwardB) out.backwardLogits = linear(embeddings, this.backwardW as tf.Tensor2D, this.backwardB as tf.Tensor1D) as tf.Tensor3D;
    return out;
  }

  /** A sampling session over `rows` trajectories (inference mode: no dropout). */
  startSession(rows: number): PolicySession {
    return new PolicySession(this, this.encoder.startSession(rows, (ids) => this.embedTokens(ids)));
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Per step: the logits and state embeddings of the trajectories still sampling. */
export class PolicySession {
  constructor(
    private readonly policy: GflowPolicy,
    private readonly session: EncoderSession,
  ) {}

  /** Appends tokens (BEG on the first call) to `rows`; returns [rows.length, 62] logits and [rows.length, H] embeddings. */
  advance(rows: Int32Array, tokens: Int32Array): { logits: Float32Array; embeddings: Float32Array } {
    const emb = this.session.advance(rows, tokens);
    const logits = tf.tidy(() => this.policy.forwardLogits(emb));
    const out = { logits: logits.dataSync() as Float32Array, embeddings: emb.dataSync() as Float32Array };
    logits.dispose();
    emb.dispose();
    return out;
  }

  dispose(): void {
    this.session.dispose();
  }
}
