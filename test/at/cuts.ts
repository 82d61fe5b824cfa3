import fc from "fast-check";

/**
 * Ways to cut `text` into reads: not at all, at every single position, and at random sets of
 * positions (fixed by `seed`, so a failure repeats).
 */
export function cutsOf(text: string, seed: number, runs = 40, most = 12): number[][] {
  const all: number[][] = [[]];
  for (let i = 1; i < text.length; i++) all.push([i]);
  const random = fc.sample(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: most }), { numRuns: runs, seed });
  for (const c of random) all.push([...c].sort((a, b) => a - b));
  return all;
}
