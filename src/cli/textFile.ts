import { readFile } from "node:fs/promises";
import { DocumentsError } from "../app/index.js";

/** The encodings a document file is read in. */
export type TextEncodingName = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
}

/**
 * What Windows-1252 puts at 0x80–0x9F, where Latin-1 has control codes. The five bytes it leaves
 * undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay control codes. (Node's TextDecoder reads
 * "windows-1252" as plain Latin-1.)
 */
const WINDOWS_1252_HIGH = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ";

/** Control codes that Windows-1252 text does not hold: what a guess at a legacy encoding must not produce. */
const NOT_TEXT = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f\u007f-\u009f]/;

function decodeStrict(bytes: Uint8Array, encoding: "utf-8" | "utf-16le" | "utf-16be"): string | undefined {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    const size = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (size === 0 || (size > 1 && decodeStrict(bytes.subarray(i, i + size), "utf-8") === undefined)) return i;
    i += size;
  }
  return -1;
}

/** UTF-16 without a byte-order mark: one byte of every pair is zero for most of the text (Latin script), the other never. */
function bomlessUtf16(bytes: Uint8Array): "utf-16le" | "utf-16be" | undefined {
  if (bytes.length < 2 || bytes.length % 2 !== 0) return undefined;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    if (bytes[i] === 0) zeroEven += 1;
    if (bytes[i + 1] === 0) zeroOdd += 1;
  }
  const pairs = bytes.length / 2;
  if (zeroEven === 0 && zeroOdd >= pairs / 2) return "utf-16le";
  if (zeroOdd === 0 && zeroEven >= pairs / 2) return "utf-16be";
  return undefined;
}

/** Windows-1252, one character per byte (so an index into the text is an offset into the bytes). */
function windows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString("latin1")
    .replace(/[\u0080-\u009f]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80] as string);
}

function hex(byte: number | undefined): string {
  return `0x${(byte ?? 0).toString(16).padStart(2, "0").toUpperCase()}`;
}

/**
 * The text of a document file's bytes: UTF-8 (a byte-order mark is dropped), UTF-16 LE or BE
 * (with a byte-order mark, or without one when every other byte is zero), else Windows-1252,
 * which includes Latin-1. Throws a `DocumentsError` naming the file and why when the bytes are
 * none of these: binary data (NUL bytes), UTF-32, or bytes that are neither valid UTF-8 nor
 * Windows-1252 text (an undefined byte or a control code).
 */
export function decodeText(bytes: Uint8Array, file: string): DecodedText {
  const refuse = (why: string): DocumentsError => new DocumentsError(`'${file}' ${why}`, { details: { file } });
  const [a, b, c, d] = [bytes[0], bytes[1], bytes[2], bytes[3]];
  if ((a === 0xff && b === 0xfe && c === 0 && d === 0) || (a === 0 && b === 0 && c === 0xfe && d === 0xff)) {
    throw refuse("is UTF-32 text, which is not read: save it as UTF-8");
  }
  if (a === 0xef && b === 0xbb && c === 0xbf) {
    const text = decodeStrict(bytes.subarray(3), "utf-8");
    if (text === undefined)
      throw refuse(
        `starts with a UTF-8 byte-order mark but is not UTF-8 (byte ${hex(bytes[firstInvalidUtf8(bytes.subarray(3)) + 3])} at ${firstInvalidUtf8(bytes.subarray(3)) + 3}): save it as UTF-8`,
      );
    return checked({ text, encoding: "utf-8" }, refuse);
  }
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) {
    const encoding = a === 0xff ? "utf-16le" : "utf-16be";
    const text = decodeStrict(bytes.subarray(2), encoding);
    if (text === undefined) throw refuse(`starts with a ${encoding.toUpperCase()} byte-order mark but is not ${encoding.toUpperCase()} text: save it as UTF-8`);
    return checked({ text, encoding }, refuse);
  }
  if (bytes.includes(0)) {
    const encoding = bomlessUtf16(bytes);
    const text = encoding ? decodeStrict(bytes, encoding) : undefined;
    if (encoding === undefined || text === undefined) throw refuse(`is not a text file: it holds NUL bytes (the first at ${bytes.indexOf(0)}); pass Markdown or text files`);
    return checked({ text, encoding }, refuse);
  }
  const utf8 = decodeStrict(bytes, "utf-8");
  if (utf8 !== undefined) return { text: utf8, encoding: "utf-8" };
  const text = windows1252(bytes);
  const bad = text.search(NOT_TEXT);
  if (bad >= 0) {
    const invalid = firstInvalidUtf8(bytes);
    throw refuse(`is neither UTF-8 (byte ${hex(bytes[invalid])} at ${invalid}) nor Windows-1252 (Latin-1) text (byte ${hex(bytes[bad])} at ${bad}): save it as UTF-8`);
  }
  return { text, encoding: "windows-1252" };
}

/** A decoded text that holds no NUL, as no text file does. */
function checked(decoded: DecodedText, refuse: (why: string) => DocumentsError): DecodedText {
  const nul = decoded.text.indexOf("\u0000");
  if (nul >= 0) throw refuse(`is not a text file: read as ${decoded.encoding.toUpperCase()} it holds NUL characters; pass Markdown or text files`);
  return decoded;
}

/** Reads a document file as text (see `decodeText`); a file that cannot be read is a `DocumentsError` naming it. */
export async function readTextFile(file: string): Promise<DecodedText> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new DocumentsError(`cannot read '${file}': ${(cause as Error).message}`, { cause });
  }
  return decodeText(bytes, file);
}
