/**
 * Whether the specifics of a claim are in a document, each as a whole: a command, path, log
 * line, flag or `key=value` must occur as written (or fill in a command template of the
 * document), not merely have its parts scattered over the document; a quantity must occur with
 * the same amount, in the same role: a number the document gives for another term (the warning
 * threshold stated as the critical one, sizes rotated between volumes) counts as missing.
 */
import { flatten, templateRuns, tokenRuns, wordTokens, type DocumentIndex, type DocumentQuantity } from "./documents.js";
import { boundQuantities, findQuantities, sameAmount, type BoundQuantity } from "./numbers.js";
import { extractSpecifics, type SpecificKind } from "./specifics.js";
import { wordKey } from "./words.js";

/** One specific of a claim and how much of it the document holds. */
export interface SpecificCheck {
  kind: SpecificKind;
  text: string;
  /** 1 found whole (and, for a number, in its role), 0 not. */
  presence: number;
  /** Segments where it occurs; undefined when found without a place (a template, the title). */
  segments: number[] | undefined;
  /** Found, but the document gives it for something else. */
  otherRole: boolean;
  /** Offsets in the lower-case claim. */
  start: number;
  end: number;
  quantity?: BoundQuantity;
}

/** How much another figure's clause must match a number's clause, when none of its own does, for it to count as misplaced. */
const ROLE_MARGIN = 2;
/** Specifics at most this many words apart in a clause of the claim must share a segment of the document. */
const BINDING_WORDS = 3;

function exemptParts(text: string, doc: DocumentIndex, exempt: ReadonlySet<string>): boolean {
  // A command or name that the question filled in: every part is the question's or the document's.
  const parts = text
    .toLowerCase()
    .split(/[\s/=:,]+/)
    .filter((p) => p.length >= 2);
  if (parts.length < 2 || !parts.some((p) => exempt.has(p))) return false;
  return parts.every((p) => exempt.has(p) || tokenRuns(doc, wordTokens(p)).length > 0);
}

/** Where a non-numeric specific occurs whole: segments (possibly empty when found in the title), or undefined. */
function locate(kind: SpecificKind, text: string, doc: DocumentIndex, exempt: ReadonlySet<string>): { found: boolean; segments: number[] | undefined } {
  const needle = flatten(text);
  const words: string[] = [];
  const glued: boolean[] = [];
  let last = -1;
  for (const m of needle.matchAll(/[\p{L}\p{N}]+/gu)) {
    words.push(m[0]);
    glued.push(last >= 0 && !/\s/.test(needle.slice(last, m.index)));
    last = m.index + m[0].length;
  }
  const segmentsOf = (runs: readonly number[]) => [...new Set(runs.map((p) => doc.tokenSegment[p] ?? -1))].filter((i) => i >= 0);
  const runs = words.length > 0 ? tokenRuns(doc, words) : [];
  if (runs.length > 0) return { found: true, segments: segmentsOf(runs) };
  // Only a specific without letters or digits needs the text itself.
  if (words.length === 0 && doc.flat().includes(needle)) return { found: true, segments: undefined };
  if (kind === "code") {
    const filled = templateRuns(doc, words, glued);
    if (filled.length > 0) return { found: true, segments: segmentsOf(filled) };
  }
  if (exemptParts(text, doc, exempt)) return { found: true, segments: undefined };
  return { found: false, segments: undefined };
}

/**
 * Words that name which figure a number is (a severity, a bound, a default): they tell two
 * thresholds of one sentence apart, so they weigh double.
 */
const ROLE_WORDS = new Set(
  ["critical", "warning", "warn", "info", "max", "maximum", "min", "minimum", "default", "limit", "request", "timeout", "interval", "threshold", "quota", "capacity"].map(wordKey),
);

function roleWeight(doc: DocumentIndex, key: string): number {
  return (ROLE_WORDS.has(key) ? 2 : 1) / (doc.quantities().clauseFrequency.get(key) ?? 1);
}

/** How well a document quantity's clause matches the claim quantity's clause. */
function roleSimilarity(q: BoundQuantity, d: DocumentQuantity, doc: DocumentIndex): number {
  let sim = 0;
  for (const k of q.context) if (d.context.has(k)) sim += roleWeight(doc, k);
  return sim;
}

const comparable = (q: BoundQuantity, d: DocumentQuantity) => q.unit === "count" || d.unit === q.unit || d.unit === "count";

const roleWords = (context: ReadonlySet<string>) => [...context].filter((k) => ROLE_WORDS.has(k));

/**
 * True when the document states this kind of figure for the claim's term with another amount
 * and never with the claim's: the words next to the number ("3 replicas", "quorum is 2"), the
 * role words of its clause ("critical", "default", "timeout"), or, for a figure whose clause
 * shares no word with any clause of the document that has its amount, the clause as a whole.
 */
function misplaced(q: BoundQuantity, doc: DocumentIndex, own: readonly DocumentQuantity[]): boolean {
  const others = doc.quantities().list.filter((d) => comparable(q, d) && !sameAmount(q, d));
  if (others.length === 0) return false;
  for (const side of ["left", "right"] as const) {
    const neighbour = q[side];
    if (neighbour === undefined) continue;
    if (others.some((d) => d[side] === neighbour) && !own.some((d) => d[side] === neighbour)) return true;
  }
  if (q.small || q.context.size === 0) return false;
  const roles = roleWords(q.context);
  if (roles.length > 0 && others.some((d) => roles.some((r) => d.context.has(r))) && !own.some((d) => roles.some((r) => d.context.has(r)))) return true;
  const ownBest = Math.max(0, ...own.map((d) => roleSimilarity(q, d, doc)));
  const otherBest = Math.max(0, ...others.map((d) => roleSimilarity(q, d, doc)));
  return ownBest === 0 && otherBest >= ROLE_MARGIN;
}

function codeRanges(claim: string): Array<[number, number]> {
  return [...claim.matchAll(/`[^`]*`/g)].map((m) => [m.index, m.index + m[0].length]);
}

/** The specifics of a claim (question specifics exempt) and their presence in the document. */
export function checkSpecifics(claim: string, doc: DocumentIndex, exempt: ReadonlySet<string>): SpecificCheck[] {
  const lower = claim.toLowerCase();
  const code = codeRanges(lower);
  const inCode = (start: number) => code.some(([s, e]) => start > s && start < e);
  const checks: SpecificCheck[] = [];
  const quantities = boundQuantities(lower).filter((q) => !inCode(q.start) && !exempt.has(q.raw));
  const covered = new Set<string>();
  for (const q of quantities) {
    const own = doc.quantities().list.filter((d) => comparable(q, d) && sameAmount(q, d));
    const otherRole = misplaced(q, doc, own);
    // A small number ("3 pods", "two") is prose unless the document gives the term another amount.
    if (q.small && !otherRole) continue;
    covered.add(q.raw.replace(/\s+/g, ""));
    const found = own.length > 0;
    checks.push({
      kind: "number",
      text: claim.slice(q.start, q.end),
      presence: found && !otherRole ? 1 : 0,
      segments: found ? [...new Set(own.map((d) => d.segment))] : undefined,
      otherRole: found && otherRole,
      start: q.start,
      end: q.end,
      quantity: q,
    });
  }
  let from = 0;
  for (const s of extractSpecifics(claim)) {
    const key = s.text.toLowerCase();
    if (exempt.has(key)) continue;
    const start = Math.max(0, lower.indexOf(key, from));
    from = start;
    if (s.kind === "number") {
      const parsed = findQuantities(key);
      if (covered.has(key.replace(/\s+/g, "")) || (parsed.length === 1 && inCode(start))) continue;
      if (parsed.length === 1 && parsed[0]?.raw === key) continue;
      checks.push({ kind: s.kind, text: s.text, presence: tokenRuns(doc, wordTokens(key)).length > 0 ? 1 : 0, segments: undefined, otherRole: false, start, end: start + key.length });
      continue;
    }
    const where = locate(s.kind, s.text, doc, exempt);
    checks.push({ kind: s.kind, text: s.text, presence: where.found ? 1 : 0, segments: where.segments, otherRole: false, start, end: start + key.length });
  }
  bindNeighbours(lower, checks, doc);
  return checks;
}

/**
 * A number and a name (or two numbers) stated together in a clause of the claim ("5Gi for
 * `dind-sock`") must be together in some segment of the document; otherwise the number is
 * taken from another line and counts as misplaced. Names of the document's subject (title,
 * headings) are exempt.
 */
function bindNeighbours(lower: string, checks: SpecificCheck[], doc: DocumentIndex): void {
  const located = checks.filter((c) => c.presence === 1 && c.segments !== undefined && c.segments.length > 0 && !doc.headings().includes(c.text.toLowerCase()));
  for (const q of located) {
    if (q.kind !== "number" || !q.quantity) continue;
    for (const other of located) {
      if (other === q) continue;
      const [a, b] = other.start < q.start ? [other, q] : [q, other];
      const between = lower.slice(a.end, b.start);
      if (between.length < 0 || /[;,.()]|\b(?:and|or|but)\b/.test(between)) continue;
      if (wordTokens(between).length > BINDING_WORDS) continue;
      const shared = (q.segments ?? []).some((s) => (other.segments ?? []).includes(s));
      if (!shared) {
        q.presence = 0;
        q.otherRole = true;
      }
    }
  }
}
