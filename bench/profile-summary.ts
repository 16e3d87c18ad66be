/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`): self and inclusive time by package / source
 * area, self time by function, and the call paths of chosen functions. With `--window` (written
 * by `bench/profile.ts`) only the samples of the measured turns count, not start-up.
 *
 *   tsx bench/profile-summary.ts bench/out/prof/graph/*.cpuprofile --window bench/out/prof/graph.json
 *        [--top 30] [--per N] [--callers fnA,fnB] [--depth 8]
 *
 * `--attribute src/,test/` charges each busy sample to the nearest frame of those areas (the code of
 * ours that triggered it, synchronously), with the area of the leaf.
 * `--per N` also prints each figure divided by N (e.g. the number of turns: CPU ms per turn).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "30" },
    per: { type: "string", default: "" },
    window: { type: "string", default: "" },
    callers: { type: "string", default: "" },
    depth: { type: "string", default: "8" },
    attribute: { type: "string", default: "src/,test/" },
  },
});

/** Where a frame's code lives: a package, our source, the test server, node internals, or V8. */
function area(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "(gc)";
    if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return functionName;
    return "(native)";
  }
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1] ?? ""}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return "node:internal";
  const m = /\/(src|test|bench)\/(.*)$/.exec(url);
  if (m) {
    const parts = (m[2] ?? "").split("/");
    return `${m[1]}/${parts.length > 1 ? (parts[0] ?? "") : (parts[0] ?? "").replace(/\.[mc]?[jt]s$/, "")}`;
  }
  return url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const m = /\/((?:src|test|bench)\/.*)$/.exec(url);
  return m?.[1] ?? url;
}

function frameName(f: CallFrame): string {
  return `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

const per = values.per === "" ? 0 : Number(values.per);

function report(title: string, map: Map<string, number>, totalUs: number, top: number): void {
  process.stdout.write(`\n${title}\n`);
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows) {
    const perText = per > 0 ? ` ${(us / 1000 / per).toFixed(3).padStart(8)} ms/turn` : "";
    process.stdout.write(`${(us / 1000).toFixed(1).padStart(10)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%${perText}  ${key}\n`);
  }
}

function main(): void {
  const top = Number(values.top);
  const depth = Number(values.depth);
  const callers = values.callers.split(",").filter((s) => s !== "");
  const window = values.window ? (JSON.parse(readFileSync(values.window, "utf8")) as { startUs: number; endUs: number }) : undefined;
  const selfByArea = new Map<string, number>();
  const inclusiveByArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const paths = new Map<string, Map<string, number>>();
  const nearest = new Map<string, number>();
  const prefixes = values.attribute.split(",").filter((x) => x !== "");
  let totalUs = 0;
  let busyUs = 0;
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let t = profile.startTime;
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      t += us;
      if (window && (t < window.startUs || t > window.endUs)) return;
      const node = nodes.get(id);
      if (!node) return;
      const { functionName, url } = node.callFrame;
      totalUs += us;
      const a = area(url, functionName);
      if (a !== "(idle)") busyUs += us;
      add(selfByArea, a, us);
      add(byFunction, frameName(node.callFrame), us);
      const stack: CallFrame[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const frame = nodes.get(cur)?.callFrame;
        if (frame) stack.push(frame);
      }
      const areas = new Set(stack.map((f) => area(f.url, f.functionName)));
      if (a !== "(idle)") {
        const own = stack.find((f) => prefixes.some((p) => area(f.url, f.functionName).startsWith(p)));
        add(nearest, own ? `${frameName(own)}  [${a}]` : `(no ${prefixes.join(" or ")} frame)  [${a}]`, us);
      }
      for (const x of areas) add(inclusiveByArea, x, us);
      for (const name of callers) {
        const at = stack.findIndex((f) => f.functionName === name);
        if (at < 0) continue;
        const path = stack
          .slice(at, at + depth)
          .map((f) => frameName(f))
          .join(" ← ");
        const m = paths.get(name) ?? new Map<string, number>();
        add(m, path, us);
        paths.set(name, m);
      }
    });
  }
  process.stdout.write(
    `profiles: ${positionals.length}; ${window ? "in the measured window, " : ""}sampled ${(totalUs / 1000).toFixed(0)} ms, of which not idle ${(busyUs / 1000).toFixed(0)} ms${per > 0 ? ` (${(busyUs / 1000 / per).toFixed(2)} ms per turn)` : ""}\n`,
  );
  report("self time by area (package / source folder)", selfByArea, totalUs, top);
  report("inclusive time by area (any frame of the area on the stack)", inclusiveByArea, totalUs, top);
  report("self time by function", byFunction, totalUs, top);
  report(`busy time by the nearest ${prefixes.join(" or ")} frame on the stack  [area of the leaf]`, nearest, totalUs, top);
  for (const [name, m] of paths) report(`call paths through ${name} (inclusive)`, m, totalUs, 8);
}

main();
