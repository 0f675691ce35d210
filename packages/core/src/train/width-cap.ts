/**
 * Follows which adaptive layers sit at `maxWidth` from step to step, so a run warns once when a
 * layer reaches the cap (its rate keeps asking for more: the width ran away) and once when it
 * leaves it, instead of on every step.
 */
export class WidthCapWatch {
  private readonly capped = new Set<number>();

  /** Takes one step's `atMaxWidth` indices; returns the layers that reached or left the cap. */
  update(atMaxWidth: readonly number[]): { reached: number[]; left: number[] } {
    const now = new Set(atMaxWidth);
    const reached = atMaxWidth.filter((i) => !this.capped.has(i));
    const left = [...this.capped].filter((i) => !now.has(i)).sort((a, b) => a - b);
    this.capped.clear();
    for (const i of now) this.capped.add(i);
    return { reached, left };
  }
}

/** The log line for layers that reached the cap. */
export function widthCapWarning(
  reached: readonly number[],
  widths: readonly number[],
  rates: readonly number[],
): string {
  const layers = reached.map((i) => `layer ${i} (width ${widths[i]}, rate ${rates[i]?.toExponential(2)})`).join(', ');
  return `${layers} at model.maxWidth: the rate asks for more neurons than the cap allows, so the width ran away; check loss.weightPriorStd, loss.nObservations and model.minRate`;
}
