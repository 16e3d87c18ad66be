/**
 * Content words of a text and their keys: lower case, Porter-stemmed, and folded onto one word
 * per group of synonyms common in runbooks ("raise" = "increase", "refuse" = "reject"), so a
 * paraphrase meets its source.
 */

const STOPWORDS = new Set(
  (
    "a an the and or but if then else when while of to in on at by for with from into onto over under about as is are was were be been being " +
    "it its this that these those there here their they them he she his her we our you your i me my do does did done doing have has had having " +
    "can could should would will shall may might must not no nor so than too very just also only such each any all both either neither " +
    "which who whom whose what where why how more most some other same own again once up down out off further until after before above below " +
    "between through during against per via use using used make makes made get gets got see let lets one two need needs needed first then " +
    "e g i e etc vs every whether because since still yet " +
    // Words an answer uses to talk about its source rather than about the system.
    "runbook runbooks document documents section sections guide says say suggests suggest recommends recommend according"
  ).split(" "),
);

/** Synonym groups: every word of a group is keyed as its first word's stem. */
const SYNONYMS: readonly string[][] = [
  ["increase", "raise", "bump", "grow", "expand", "enlarge"],
  ["reduce", "lower", "decrease", "shrink"],
  ["delete", "remove", "purge"],
  ["check", "verify", "inspect", "examine", "review", "look"],
  ["fix", "resolve", "solve", "repair", "remedy", "mitigate"],
  ["reject", "refuse", "deny", "decline"],
  ["restart", "reboot", "bounce"],
  ["stop", "halt", "cease"],
  ["start", "launch", "begin", "boot"],
  ["show", "display", "list", "print"],
  ["cause", "reason", "culprit", "source"],
  ["application", "app"],
  ["configuration", "config", "settings", "setting"],
  ["wrong", "incorrect", "bad", "invalid", "misconfigured"],
  ["correct", "proper", "right", "valid"],
  ["large", "big", "huge", "bigger", "larger"],
  ["small", "little", "tiny", "smaller"],
  ["fast", "quick", "rapid", "quickly", "fast"],
  ["lose", "loss", "lost", "losing"],
  ["avoid", "prevent"],
  ["many", "multiple", "several", "numerous"],
  ["ensure", "sure"],
  ["enough", "sufficient"],
  ["full", "exhausted", "exhaust"],
  ["schedule", "place", "placed"],
  ["error", "errors", "failure", "failures"],
];

const stemCache = new Map<string, string>();

/** Porter's measure: the number of vowel-consonant sequences in a stem. */
function measure(s: string): number {
  let m = 0;
  let prevVowel = false;
  for (let i = 0; i < s.length; i++) {
    const v = isVowel(s, i);
    if (!v && prevVowel) m++;
    prevVowel = v;
  }
  return m;
}

function isVowel(s: string, i: number): boolean {
  const c = s[i];
  if (c === "a" || c === "e" || c === "i" || c === "o" || c === "u") return true;
  return c === "y" && i > 0 && !isVowel(s, i - 1);
}

const hasVowel = (s: string) => [...s].some((_, i) => isVowel(s, i));
const doubleConsonant = (s: string) => s.length > 1 && s.at(-1) === s.at(-2) && !isVowel(s, s.length - 1);
/** consonant-vowel-consonant at the end, the last not w, x or y. */
const cvc = (s: string) => {
  const n = s.length;
  if (n < 3) return false;
  return !isVowel(s, n - 3) && isVowel(s, n - 2) && !isVowel(s, n - 1) && !/[wxy]/.test(s[n - 1] ?? "");
};

const STEP2: Array<[string, string]> = [
  ["ational", "ate"],
  ["tional", "tion"],
  ["enci", "ence"],
  ["anci", "ance"],
  ["izer", "ize"],
  ["bli", "ble"],
  ["alli", "al"],
  ["entli", "ent"],
  ["eli", "e"],
  ["ousli", "ous"],
  ["ization", "ize"],
  ["ation", "ate"],
  ["ator", "ate"],
  ["alism", "al"],
  ["iveness", "ive"],
  ["fulness", "ful"],
  ["ousness", "ous"],
  ["aliti", "al"],
  ["iviti", "ive"],
  ["biliti", "ble"],
  ["logi", "log"],
];
const STEP3: Array<[string, string]> = [
  ["icate", "ic"],
  ["ative", ""],
  ["alize", "al"],
  ["iciti", "ic"],
  ["ical", "ic"],
  ["ful", ""],
  ["ness", ""],
];
const STEP4 = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize"];

function replaceSuffix(w: string, rules: ReadonlyArray<[string, string]>, minMeasure: number): string {
  for (const [suffix, by] of rules) {
    if (!w.endsWith(suffix)) continue;
    const base = w.slice(0, -suffix.length);
    return measure(base) > minMeasure ? base + by : w;
  }
  return w;
}

/** The Porter (1980) stemmer; a final "i" becomes "y" so that "policy" and "policies" read as a word. */
function porter(word: string): string {
  let w = word;
  if (w.length <= 2) return w;
  // Step 1a
  if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("ies")) w = w.slice(0, -2);
  else if (!w.endsWith("ss") && w.endsWith("s")) w = w.slice(0, -1);
  // Step 1b
  if (w.endsWith("eed")) {
    if (measure(w.slice(0, -3)) > 0) w = w.slice(0, -1);
  } else {
    const suffix = w.endsWith("ed") ? "ed" : w.endsWith("ing") ? "ing" : "";
    if (suffix && hasVowel(w.slice(0, -suffix.length))) {
      w = w.slice(0, -suffix.length);
      if (w.endsWith("at") || w.endsWith("bl") || w.endsWith("iz")) w += "e";
      else if (doubleConsonant(w) && !/[lsz]$/.test(w)) w = w.slice(0, -1);
      else if (measure(w) === 1 && cvc(w)) w += "e";
    }
  }
  // Step 1c
  if (w.endsWith("y") && hasVowel(w.slice(0, -1))) w = `${w.slice(0, -1)}i`;
  w = replaceSuffix(w, STEP2, 0);
  w = replaceSuffix(w, STEP3, 0);
  // Step 4
  for (const suffix of STEP4) {
    if (!w.endsWith(suffix)) continue;
    const base = w.slice(0, -suffix.length);
    if (measure(base) > 1 && (suffix !== "ion" || /[st]$/.test(base))) w = base;
    break;
  }
  // Step 5
  if (w.endsWith("e")) {
    const base = w.slice(0, -1);
    const m = measure(base);
    if (m > 1 || (m === 1 && !cvc(base))) w = base;
  }
  if (measure(w) > 1 && doubleConsonant(w) && w.endsWith("l")) w = w.slice(0, -1);
  return w.endsWith("i") ? `${w.slice(0, -1)}y` : w;
}

const synonymKey = new Map<string, string>();
for (const group of SYNONYMS) {
  const key = porter(group[0] ?? "");
  for (const word of group) synonymKey.set(porter(word), key);
}

/** Folds a word to its stem so that "restarts", "restarted" and "restarting" meet (Porter, cached). */
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = /^[a-z]+$/.test(word) ? porter(word) : word;
    if (stemCache.size > 50_000) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** The key of a lower-case word: its stem, folded onto its synonym group. */
export function wordKey(word: string): string {
  const s = stem(word);
  return synonymKey.get(s) ?? s;
}

const keyCache = new Map<string, string | null>();

/** The key of a lower-case word, or undefined for a stopword (one cached lookup per word). */
export function keyOf(word: string): string | undefined {
  let key = keyCache.get(word);
  if (key === undefined) {
    key = isStopword(word) ? null : wordKey(word);
    if (keyCache.size > 50_000) keyCache.clear();
    keyCache.set(word, key);
  }
  return key ?? undefined;
}

/** True for words that carry no claim (articles, pronouns, words about the source). */
export function isStopword(word: string): boolean {
  return word.length < 2 || STOPWORDS.has(word);
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Calls `each` with every run of letters and digits of a text and its offset: the words of
 * the grounding check (a hand-rolled scan: ASCII is decided by character code).
 */
export function forEachWord(text: string, each: (word: string, start: number) => void): void {
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    const word = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c > 127 && !(c >= 0xd800 && c <= 0xdfff) && LETTER_OR_DIGIT.test(text[i] ?? ""));
    if (word) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      each(text.slice(start, i), start);
      start = -1;
    }
  }
}

/** Content-word keys of a text: lower case, stopwords and one-letter tokens dropped. */
export function contentStems(text: string): string[] {
  const out: string[] = [];
  forEachWord(text.toLowerCase(), (w) => {
    const key = keyOf(w);
    if (key !== undefined) out.push(key);
  });
  return out;
}
