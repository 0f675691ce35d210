/**
 * The paper's two-class synthetic benchmarks (docs/method.md §10), regenerated from a seed instead
 * of downloaded, so every process of a data-parallel run builds the identical data set locally.
 */
import { Prng } from '../random/prng.js';
import { validateDataset, type ClassificationDataset } from './dataset.js';

/** Overrides for the paper's defaults; useful for small, fast tests and noise-free geometry checks. */
export interface SyntheticOptions {
  /** Examples per class (paper: 2500 for DoubleMoon and Spiral, 5000 for SpiralHard). */
  pointsPerClass?: number;
  /** Standard deviation `s` of the Gaussian noise added to each coordinate (paper: 0.3). */
  noise?: number;
}

/** Options of {@link doubleMoon}; the radius is exposed because the geometry scales with it. */
export interface DoubleMoonOptions extends SyntheticOptions {
  /** Moon radius `r` (paper: 10). */
  radius?: number;
}

// Stream tags: the same seed gives unrelated streams for different generators.
const TAG_DOUBLE_MOON = 0x6d6f6f6e;
const TAG_SPIRAL = 0x73706972;
const TAG_SPIRAL_HARD = 0x68617264;

function resolve(
  opts: SyntheticOptions | undefined,
  defaultPoints: number,
  generator: string,
): { points: number; noise: number } {
  const points = opts?.pointsPerClass ?? defaultPoints;
  const noise = opts?.noise ?? 0.3;
  if (!Number.isSafeInteger(points) || points < 1) {
    throw new RangeError(`${generator}: pointsPerClass must be a positive integer, got ${points}`);
  }
  if (!Number.isFinite(noise) || noise < 0)
    throw new RangeError(`${generator}: noise must be finite and >= 0, got ${noise}`);
  return { points, noise };
}

function checkSeed(seed: number, generator: string): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${generator}: seed must be a safe integer, got ${seed}`);
}

/** Assembles the class-0 block followed by the class-1 block into a validated data set. */
function twoClass(name: string, points: number, fill: (x: Float32Array, y: Int32Array) => void): ClassificationDataset {
  const n = 2 * points;
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  y.fill(1, points);
  fill(x, y);
  return validateDataset({ name, task: 'classification', inputDim: 2, numClasses: 2, outputDim: 2, n, x, y });
}

/**
 * DoubleMoon: two interleaved half circles of radius `r`. Class 0 lies on the upper half of the
 * circle centred at (−r/2, 0); class 1 is its point reflection through (0, r/4), i.e. the lower
 * half of the circle centred at (r/2, r/2). Rows are class 0 first, then class 1.
 */
export function doubleMoon(seed: number, opts: DoubleMoonOptions = {}): ClassificationDataset {
  checkSeed(seed, 'doubleMoon');
  const { points, noise } = resolve(opts, 2500, 'doubleMoon');
  const r = opts.radius ?? 10;
  if (!Number.isFinite(r) || r <= 0) throw new RangeError(`doubleMoon: radius must be finite and > 0, got ${r}`);
  const rng = Prng.fromKey(seed, TAG_DOUBLE_MOON);
  return twoClass('double-moon', points, (x) => {
    for (let i = 0; i < 2 * points; i++) {
      const a = Math.PI * rng.uniform();
      const u = r * Math.cos(a) + noise * rng.normal();
      const v = r * Math.sin(a) + noise * rng.normal();
      if (i < points) {
        x[2 * i] = u - r / 2;
        x[2 * i + 1] = v;
      } else {
        x[2 * i] = r / 2 - u;
        x[2 * i + 1] = r / 2 - v;
      }
    }
  });
}

/** Shared spiral body: class 0 is (−t cos t, t sin t) + noise, class 1 the negation of a fresh draw. */
function spiralPoints(rng: Prng, points: number, noise: number, turnsTimesTwoPi: number, scale: number) {
  return (x: Float32Array): void => {
    for (let i = 0; i < 2 * points; i++) {
      const t = Math.sqrt(rng.uniform()) * turnsTimesTwoPi;
      const u = -t * Math.cos(t) + noise * rng.normal();
      const v = t * Math.sin(t) + noise * rng.normal();
      const sign = i < points ? 1 : -1;
      x[2 * i] = sign * u * scale;
      x[2 * i + 1] = sign * v * scale;
    }
  };
}

/**
 * Spiral: two interleaved two-turn spirals, `t = sqrt(U(0,1))·4π` so points are uniform in area;
 * the distance from the origin equals the angle parameter `t` up to noise. Rows are class 0 first.
 */
export function spiral(seed: number, opts: SyntheticOptions = {}): ClassificationDataset {
  checkSeed(seed, 'spiral');
  const { points, noise } = resolve(opts, 2500, 'spiral');
  return twoClass('spiral', points, spiralPoints(Prng.fromKey(seed, TAG_SPIRAL), points, noise, 4 * Math.PI, 1));
}

/**
 * SpiralHard: the Spiral formulas over four turns (`t` up to 8π), 5000 points per class, with all
 * coordinates (noise included) halved afterwards. Rows are class 0 first.
 */
export function spiralHard(seed: number, opts: SyntheticOptions = {}): ClassificationDataset {
  checkSeed(seed, 'spiralHard');
  const { points, noise } = resolve(opts, 5000, 'spiralHard');
  return twoClass(
    'spiral-hard',
    points,
    spiralPoints(Prng.fromKey(seed, TAG_SPIRAL_HARD), points, noise, 8 * Math.PI, 0.5),
  );
}
