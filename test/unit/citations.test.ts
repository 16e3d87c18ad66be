import { describe, expect, it } from "vitest";
import type { ContextDocument } from "../../src/domain/index.js";
import { MAX_RANGE_WIDTH, checkCitations, findCitationMarkers, stripInvalidCitations } from "../../src/tools/citations.js";

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const DOCS: ContextDocument[] = [
  { content: "Loki OOM", title: "Loki OOMKilled", source: "runbooks/loki-oom.md" },
  { content: "Prometheus WAL", title: "Prometheus WAL corruption" },
  { content: "etcd defrag", source: "runbooks/etcd.md" },
];

describe("findCitationMarkers: what counts as a marker", () => {
  it.each<[string, string, number[][]]>([
    ["single", "Restart the pod [1].", [[1]]],
    ["list with space", "See [1, 3].", [[1, 3]]],
    ["list without space", "See [1,3].", [[1, 3]]],
    ["list of three", "See [3,1,2].", [[3, 1, 2]]],
    ["hyphen range", "See [2-4].", [[2, 3, 4]]],
    ["en dash range", "See [2–4].", [[2, 3, 4]]],
    ["range then number", "See [1-3, 5].", [[1, 2, 3, 5]]],
    ["padding inside brackets", "See [ 2 ].", [[2]]],
    ["zero", "See [0].", [[0]]],
    ["two adjacent markers", "See [1][2].", [[1], [2]]],
    ["two separate markers", "A [2]. B [1].", [[2], [1]]],
    ["marker at start of text", "[2] says so", [[2]]],
    ["range of width MAX_RANGE_WIDTH is expanded", `See [1-${1 + MAX_RANGE_WIDTH}].`, [range(1, 1 + MAX_RANGE_WIDTH)]],
    ["range wider than MAX_RANGE_WIDTH is taken literally", `See [1-${2 + MAX_RANGE_WIDTH}].`, [[1, 2 + MAX_RANGE_WIDTH]]],
    ["huge range is not expanded", "See [1-9999].", [[1, 9999]]],
    ["reversed range is taken literally", "See [4-2].", [[4, 2]]],
    ["degenerate range", "See [3-3].", [[3]]],
  ])("%s: %j", (_name, text, expected) => {
    expect(findCitationMarkers(text).map((m) => m.indices)).toEqual(expected);
  });

  it.each<[string, string]>([
    ["no brackets", "Restart the pod and check the logs."],
    ["word in brackets", "Set [placeholder] to your namespace."],
    ["PromQL range selector outside code", "rate(http_requests_total[5m]) is per second."],
    ["markdown link", "Read [1](http://runbooks.local/loki) first."],
    ["markdown link with en dash range", "Read [2–3](https://x.example/a) first."],
    ["inline code array index", "Use `arr[1]` to get the second item."],
    ["inline code PromQL", "Query `rate(x[5m])[1]` here."],
    ["fenced code block", "Run:\n```promql\nsum(rate(x[5m]))[1]\nfoo[2]\n```\nDone."],
    ["fenced block without language", "```\nitems[3]\n```"],
    ["unclosed fence runs to the end", "Run:\n```bash\necho ${arr[1]}\n"],
    ["footnote syntax", "As noted[^1]."],
    ["five digits", "Ticket [12345]."],
    ["negative number", "Offset [-1]."],
    ["empty brackets", "Empty []."],
  ])("%s: no marker", (_name, text) => {
    expect(findCitationMarkers(text)).toEqual([]);
  });

  it("reports offsets and raw text of each marker", () => {
    const text = "A [1]. B [2, 3].";
    const markers = findCitationMarkers(text);
    expect(markers).toEqual([
      { start: 2, end: 5, raw: "[1]", indices: [1] },
      { start: 9, end: 15, raw: "[2, 3]", indices: [2, 3] },
    ]);
    for (const m of markers) expect(text.slice(m.start, m.end)).toBe(m.raw);
  });

  it("finds markers after a code block and between code spans", () => {
    const text = "```\nx[9]\n```\nFix it [1]. Then `y[8]` and [2] then `z[7]`.";
    expect(findCitationMarkers(text).map((m) => m.raw)).toEqual(["[1]", "[2]"]);
  });

  it("a marker followed by a space and a parenthesis is still a marker", () => {
    expect(findCitationMarkers("See [1] (the Loki runbook).").map((m) => m.indices)).toEqual([[1]]);
  });

  it("ignores markers inside ~~~ fenced code blocks", () => {
    expect(findCitationMarkers("Run:\n~~~bash\necho ${arr[1]}\n~~~\n")).toEqual([]);
  });

  it("ignores markers inside double-backtick inline code", () => {
    expect(findCitationMarkers("Use ``arr[1]`` here.")).toEqual([]);
  });
});

describe("checkCitations", () => {
  it.each<[string, string, number, Array<[number, boolean]>, number[]]>([
    [
      "all valid",
      "A [1]. B [2, 3].",
      3,
      [
        [1, true],
        [2, true],
        [3, true],
      ],
      [],
    ],
    [
      "duplicates counted once in first-appearance order",
      "A [2]. B [1]. C [2]. D [1, 2].",
      3,
      [
        [2, true],
        [1, true],
      ],
      [],
    ],
    [
      "out of range",
      "A [1]. B [7].",
      3,
      [
        [1, true],
        [7, false],
      ],
      [7],
    ],
    ["zero is invalid", "A [0].", 3, [[0, false]], [0]],
    [
      "range partly out of range",
      "A [2-5].",
      3,
      [
        [2, true],
        [3, true],
        [4, false],
        [5, false],
      ],
      [4, 5],
    ],
    [
      "en dash range",
      "A [1–2].",
      3,
      [
        [1, true],
        [2, true],
      ],
      [],
    ],
    ["duplicate invalid counted once", "A [9]. B [9].", 3, [[9, false]], [9]],
    [
      "wide range only its ends",
      "A [1-99].",
      3,
      [
        [1, true],
        [99, false],
      ],
      [99],
    ],
    [
      "no documents: everything invalid",
      "A [1]. B [2].",
      0,
      [
        [1, false],
        [2, false],
      ],
      [1, 2],
    ],
    ["no markers", "Nothing cited here.", 3, [], []],
    ["markers in code ignored", "`a[7]` and ```\nb[8]\n``` but [1]", 3, [[1, true]], []],
  ])("%s", (_name, text, docCount, expected, invalid) => {
    const result = checkCitations(text, DOCS.slice(0, docCount));
    expect(result.citations.map((c) => [c.index, c.valid])).toEqual(expected);
    expect(result.invalid).toEqual(invalid);
  });

  it("attaches title and source of the cited document, and nothing to invalid ones", () => {
    const { citations } = checkCitations("A [3]. B [1]. C [2]. D [4].", DOCS);
    expect(citations).toEqual([
      { index: 3, valid: true, source: "runbooks/etcd.md" },
      { index: 1, valid: true, title: "Loki OOMKilled", source: "runbooks/loki-oom.md" },
      { index: 2, valid: true, title: "Prometheus WAL corruption" },
      { index: 4, valid: false },
    ]);
  });
});

describe("stripInvalidCitations", () => {
  it.each<[string, string, number, string]>([
    ["keeps valid markers verbatim", "A [1]. B [2, 3]. C [1-3].", 3, "A [1]. B [2, 3]. C [1-3]."],
    ["keeps the valid number of a mixed marker", "See [1, 7].", 3, "See [1]."],
    ["keeps valid numbers of a mixed list", "See [7, 2, 9, 3].", 3, "See [2, 3]."],
    ["range cut to the documents", "See [2-5].", 3, "See [2, 3]."],
    ["wide range keeps only its valid end", "See [1-99].", 3, "See [1]."],
    ["removes an invalid marker with the space before it", "Restart it [7].", 3, "Restart it."],
    ["removes a tab before it", "Restart it\t[7].", 3, "Restart it."],
    ["removes adjacent invalid markers", "Restart it [7][8] now.", 3, "Restart it now."],
    ["removes zero", "Restart it [0].", 3, "Restart it."],
    ["mixed text", "A [1]. B [9]. C [2, 8].", 3, "A [1]. B. C [2]."],
    ["no documents removes every marker", "A [1]. B [2, 3].", 0, "A. B."],
    ["duplicate numbers collapse", "See [1, 1, 9].", 3, "See [1]."],
    ["code is untouched", "Use `arr[7]` and [7].", 3, "Use `arr[7]` and."],
    ["fenced code is untouched", "```\nx[9]\n```\nok [9]", 3, "```\nx[9]\n```\nok"],
    ["links are untouched", "Read [7](http://x.example) now.", 3, "Read [7](http://x.example) now."],
  ])("%s", (_name, input, docCount, expected) => {
    expect(stripInvalidCitations(input, docCount)).toBe(expected);
  });

  it.each<[string]>([["Plain text without markers."], [""], ["  padded  "], ["rate(x[5m]) [word]"]])("returns text without markers unchanged: %j", (text) => {
    expect(stripInvalidCitations(text, 3)).toBe(text);
  });

  it("removes only spaces and tabs before a marker, never a line break", () => {
    expect(stripInvalidCitations("Line one\n[9] line two", 3)).toMatch(/^Line one\n ?line two$/);
  });

  it("leaves no invalid citation behind (checkCitations agrees)", () => {
    const text = "A [1, 4]. B [2-6]. C [0]. D [3].";
    const stripped = stripInvalidCitations(text, 3);
    expect(checkCitations(stripped, DOCS).invalid).toEqual([]);
    expect(checkCitations(stripped, DOCS).citations.map((c) => c.index)).toEqual([1, 2, 3]);
  });
});
