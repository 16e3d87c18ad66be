/** Content words of a text and their stems. */

const STOPWORDS = new Set(
  (
    "a an the and or but if then else when while of to in on at by for with from into onto over under about as is are was were be been being " +
    "it its this that these those there here their they them he she his her we our you your i me my do does did done doing have has had having " +
    "can could should would will shall may might must not no nor so than too very just also only such each any all both either neither " +
    "which who whom whose what where why how more most some other same own again once up down out off further until after before above below " +
    "between through during against per via use using used make makes made get gets got see let lets one two need needs needed first then " +
    "e g i e etc vs"
  ).split(" "),
);

/** Folds a word to a crude stem so that "restarts", "restarted" and "restarting" meet. */
export function stem(word: string): string {
  let w = word;
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ied")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("es")) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss")) w = w.slice(0, -1);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** Content-word stems of a text: lower case, stopwords and one-letter tokens dropped. */
export function contentStems(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    if (w.length < 2 || STOPWORDS.has(w)) continue;
    out.push(stem(w));
  }
  return out;
}
