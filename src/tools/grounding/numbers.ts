/**
 * Quantities in text, normalised so that equal amounts meet however they are written: number
 * words ("three" = 3), durations in any unit ("a day" = 24h = 1440 minutes), sizes ("1Gi",
 * "1 GiB"), percentages ("90%" = "90 percent"); and the clause each one sits in.
 */
import { forEachWord, isStopword, wordKey } from "./words.js";

export type UnitClass = "duration" | "bytes" | "percent" | "count";

/** One quantity found in a lower-case text. */
export interface Quantity {
  /** In seconds, bytes, percent or plain units. */
  value: number;
  unit: UnitClass;
  /** Offsets in the text. */
  start: number;
  end: number;
  raw: string;
  /** A bare single digit or a number word without a unit ("3 pods", "two"): prose unless it contradicts. */
  small: boolean;
}

const WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  ninety: 90,
  hundred: 100,
};

const DURATION: Record<string, number> = {
  ms: 0.001,
  millisecond: 0.001,
  milliseconds: 0.001,
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86_400,
  day: 86_400,
  days: 86_400,
  w: 604_800,
  week: 604_800,
  weeks: 604_800,
  month: 2_592_000,
  months: 2_592_000,
  year: 31_536_000,
  years: 31_536_000,
};
const BYTES: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

const NUMBER_WORDS = Object.keys(WORDS).join("|");
/** Units written apart from the number ("4 hours", "90 percent"); one-letter units only glued on ("5m"). */
const SPACED_UNITS = "percent|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|bytes?|kib|mib|gib|tib|kb|mb|gb|tb";
const GLUED_UNITS = `%|ms|${SPACED_UNITS}|ki|mi|gi|ti|[smhdwb]`;
const QUANTITY = new RegExp(
  `(?<![\\w.\\-/:$])(?:(\\d[\\d,]*(?:\\.\\d+)?)(?:(${GLUED_UNITS})|\\s?-?(${SPACED_UNITS}))?|\\b(${NUMBER_WORDS}|an?)(?:[\\s-]+(${SPACED_UNITS}))?)(?![\\w%])(?!\\.\\d)`,
  "g",
);

function unitOf(unit: string): { unit: UnitClass; factor: number } | undefined {
  if (unit === "%" || unit === "percent") return { unit: "percent", factor: 1 };
  // "m" and "b" alone are minutes and bytes; "mb"/"mi" are sizes, "min" a duration.
  const d = DURATION[unit];
  if (d !== undefined && !(unit === "b")) return { unit: "duration", factor: d };
  const b = BYTES[unit];
  if (b !== undefined) return { unit: "bytes", factor: b };
  return undefined;
}

/** The quantities of a lower-case text, in order. */
const MAYBE_QUANTITY = new RegExp(`\\d|\\b(?:${NUMBER_WORDS}|an?\\s+(?:${SPACED_UNITS}))\\b`);

export function findQuantities(lower: string): Quantity[] {
  const out: Quantity[] = [];
  if (!MAYBE_QUANTITY.test(lower)) return out;
  for (const m of lower.matchAll(QUANTITY)) {
    const digits = m[1];
    const word = m[4];
    const unitText = m[2] ?? m[3] ?? m[5];
    let value: number;
    if (digits !== undefined) {
      value = Number(digits.replace(/,/g, ""));
      if (!Number.isFinite(value)) continue;
    } else {
      if (word === undefined) continue;
      // "a"/"an" count only before a unit ("a day", "an hour").
      if ((word === "a" || word === "an") && unitText === undefined) continue;
      value = word === "a" || word === "an" ? 1 : (WORDS[word] ?? 0);
    }
    const unit = unitText === undefined ? { unit: "count" as const, factor: 1 } : unitOf(unitText);
    if (!unit) continue;
    const small = unit.unit === "count" && (word !== undefined || (Number.isInteger(value) && value < 10 && !(digits ?? "").includes(".")));
    out.push({ value: round(value * unit.factor), unit: unit.unit, start: m.index, end: m.index + m[0].length, raw: m[0], small });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** True when two quantities state the same amount (a count matches the same number in any unit). */
export function sameAmount(claim: Pick<Quantity, "value" | "unit">, doc: Pick<Quantity, "value" | "unit">): boolean {
  if (claim.unit !== "count" && claim.unit !== doc.unit) return false;
  return Math.abs(claim.value - doc.value) <= 1e-9 * Math.max(1, Math.abs(doc.value));
}

// ---------------------------------------------------------------------------------------------
// Clauses
// ---------------------------------------------------------------------------------------------

/** A quantity with the words around it in its clause. */
export interface BoundQuantity extends Quantity {
  /** Keys of the clause's other content words. */
  context: Set<string>;
  /** The nearest content word before and after it in the clause (within three words). */
  left: string | undefined;
  right: string | undefined;
}

/** Where a clause ends: punctuation that closes a statement, table cells, "and"/"or"/"but", dashes (not brackets: "(critical alert)" names the figure before it). */
const CLAUSE_BREAK = /[;{}|!?]|,\s|\.(?:\s|$)|\s(?:and|or|but|while|whereas|then)\s|\s[-–—]{1,2}\s|\n/g;

/** Words between a number and its term that say nothing about which term it is ("less than 5", "up to 3"). */
const NOT_A_TERM = new Set(
  "less more greater fewer least most within above below under over than about around approximately roughly only just exactly nearly almost up least every after before reach reaches exceed exceeds exceeding set".split(
    " ",
  ),
);

/** The quantities of a lower-case text, each with the words of its clause. */
export function boundQuantities(lower: string): BoundQuantity[] {
  return bindQuantities(lower, findQuantities(lower));
}

/**
 * Binds quantities to the words of their clauses in a lower-case text; the quantities' offsets
 * (in order) are `base` plus offsets into the text.
 */
export function bindQuantities(lower: string, found: readonly Quantity[], base = 0, tokens?: { text: readonly string[]; start: readonly number[] }): BoundQuantity[] {
  const out: BoundQuantity[] = [];
  if (found.length === 0) return out;
  // The words of the text (offsets into it): given by the caller, or found here.
  let texts: readonly string[];
  let starts: readonly number[];
  if (tokens) {
    texts = tokens.text;
    starts = tokens.start;
  } else {
    const t: string[] = [];
    const st: number[] = [];
    forEachWord(lower, (w, at) => {
      t.push(w);
      st.push(at);
    });
    texts = t;
    starts = st;
  }
  const keys: Array<string | null | undefined> = new Array(texts.length);
  /** The word's key (null: a stopword or a number) and whether it can name a term. */
  const keyAt = (i: number): string | null => {
    let k = keys[i];
    if (k === undefined) {
      const w = texts[i] ?? "";
      k = isStopword(w) || /^\d/.test(w) ? null : wordKey(w);
      keys[i] = k;
    }
    return k;
  };
  const termAt = (i: number) => keyAt(i) !== null && !NOT_A_TERM.has(texts[i] ?? "");
  // Clause ranges, in order.
  const clauses: Array<[number, number]> = [];
  let begin = 0;
  for (const m of lower.matchAll(CLAUSE_BREAK)) {
    clauses.push([begin, m.index]);
    begin = m.index + m[0].length;
  }
  clauses.push([begin, lower.length]);
  // One context per clause: its content words, less units and number words (they are the quantity's own).
  const contexts = new Map<number, Set<string>>();
  const contextOf = (c: number, from: number, to: number) => {
    let set = contexts.get(c);
    if (!set) {
      set = new Set<string>();
      for (let i = from; i < to; i++) {
        const key = keyAt(i);
        const w = texts[i] ?? "";
        if (key !== null && !(w in WORDS) && !(w in DURATION) && !(w in BYTES) && w !== "percent") set.add(key);
      }
      contexts.set(c, set);
    }
    return set;
  };
  let c = 0;
  let firstWord = 0;
  for (const q of found) {
    const qs = q.start - base;
    const qe = q.end - base;
    while (c < clauses.length - 1 && (clauses[c] as [number, number])[1] <= qs) c++;
    const [cs, ce] = clauses[c] as [number, number];
    while (firstWord < starts.length && (starts[firstWord] ?? 0) < cs) firstWord++;
    let lastWord = firstWord;
    while (lastWord < starts.length && (starts[lastWord] ?? 0) < ce) lastWord++;
    let p = firstWord;
    while (p < lastWord && (starts[p] ?? 0) < qs) p++;
    let left: string | undefined;
    for (let i = p - 1; i >= firstWord && i >= p - 3; i--) {
      if (termAt(i)) {
        left = keyAt(i) ?? undefined;
        break;
      }
    }
    let r = p;
    while (r < lastWord && (starts[r] ?? 0) < qe) r++;
    let right: string | undefined;
    for (let i = r; i < lastWord && i < r + 3; i++) {
      if (termAt(i)) {
        right = keyAt(i) ?? undefined;
        break;
      }
    }
    const context = contextOf(c, firstWord, lastWord);
    out.push({ value: q.value, unit: q.unit, start: q.start, end: q.end, raw: q.raw, small: q.small, context, left, right });
  }
  return out;
}
