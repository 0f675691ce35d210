import { buildExperiment, fit, selectBackend, type RunConfig } from '@awn/core';

/** What one seed of `awn repeat` reports: the model selected on the validation split, and the last one. */
export interface SeedResult {
  seed: number;
  steps: number;
  /** Steps between validation evaluations (one epoch unless set). */
  evalEvery: number;
  /** Name of the headline metric, and whether higher is better. */
  metric: string;
  higherIsBetter: boolean;
  /** The last evaluation that reached the best validation score (the paper's model selection). */
  selected: ModelSnapshot & { validation: number };
  /** The model after the last step. */
  final: ModelSnapshot;
  /** Steps after which some layer sat at model.maxWidth (0: the width never ran away). */
  cappedSteps: number;
  /** First step at which a layer sat at model.maxWidth, or null. */
  firstCappedStep: number | null;
  wallSeconds: number;
}

/** A model's test score and widths at one step. */
export interface ModelSnapshot {
  step: number;
  test: number;
  widths: number[];
  totalWidth: number;
}

/** Steps between validation evaluations: `training.evalEvery` when set, else one epoch. */
export function evaluationInterval(config: RunConfig, trainExamples: number): number {
  return config.training.evalEvery > 0
    ? config.training.evalEvery
    : Math.max(1, Math.ceil(trainExamples / config.training.batchSize));
}

/**
 * Trains one seed of a run and selects its model by validation score as the paper does:
 * evaluate every `evalEvery` steps and keep the model of the latest evaluation whose score is at
 * least the best so far (the authors' training framework compares with ≥, so a later tie
 * replaces an earlier best: at 100 % validation accuracy the selected model keeps moving with
 * training, and its width with it). Scoring the test split when a model is kept is the same as
 * keeping that checkpoint and scoring it at the end.
 */
export async function trainSeed(config: RunConfig, evalEvery?: number): Promise<SeedResult> {
  await selectBackend(config.backend);
  const exp = buildExperiment(config);
  if (!exp.splits.validation)
    throw new RangeError('awn repeat selects each model on the validation split: data.validationFraction must be > 0');
  const every = evalEvery ?? evaluationInterval(config, exp.splits.train.n);
  const { name, higherIsBetter } = exp.metric;
  const headline = (split: 'validation' | 'test'): number => exp.score(exp.model, split)[name]!;
  const atLeastAsGood = (a: number, b: number): boolean => (higherIsBetter ? a >= b : a <= b);
  const snapshot = (step: number): ModelSnapshot => {
    const widths = exp.model.adaptiveLayers.map((l) => l.width);
    return { step, test: headline('test'), widths, totalWidth: widths.reduce((a, b) => a + b, 0) };
  };
  let selected: SeedResult['selected'] | undefined;
  let cappedSteps = 0;
  let firstCappedStep: number | null = null;
  const started = performance.now();
  const result = await fit({
    model: exp.model,
    optimizer: exp.optimizer,
    loss: exp.loss,
    train: exp.train,
    steps: config.training.steps,
    compression: config.compression,
    onStep: (m) => {
      const step = m.step + 1;
      if (m.atMaxWidth.length > 0) {
        cappedSteps++;
        firstCappedStep ??= step;
      }
      if (step % every !== 0 && step !== config.training.steps) return;
      const validation = headline('validation');
      if (!selected || atLeastAsGood(validation, selected.validation)) selected = { ...snapshot(step), validation };
    },
  });
  return {
    seed: config.seed,
    steps: result.step,
    evalEvery: every,
    metric: name,
    higherIsBetter,
    selected: selected!,
    final: snapshot(result.step),
    cappedSteps,
    firstCappedStep,
    wallSeconds: (performance.now() - started) / 1e3,
  };
}
