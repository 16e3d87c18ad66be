/** Numeric command-line options of the benchmark scripts, checked. */

/**
 * The whole number an option gives, at least `min`. Anything else ends the script with exit code
 * 2 and one line naming the option and what it got, so a typo never runs a benchmark on NaN.
 */
export function wholeNumber(name: string, value: string | undefined, min = 0): number {
  const n = Number(value);
  if (value === undefined || value.trim() === "" || !Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number of at least ${min}, not '${value ?? ""}'\n`);
    process.exit(2);
  }
  return n;
}
