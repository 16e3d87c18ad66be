import { readFile } from "node:fs/promises";
import { z } from "zod";
import { Complexity, QueryType } from "../../src/graph/state.js";

/** One labelled routing query (`routing.jsonl`). */
export const RoutingItem = z.object({
  id: z.string().min(1),
  query: z.string().min(1),
  queryType: QueryType,
  complexity: Complexity,
  requiresCode: z.boolean(),
  maxLatencyMs: z.number().positive().optional(),
  expectedModel: z.string().min(1),
  note: z.string().optional(),
});
export type RoutingItem = z.infer<typeof RoutingItem>;

/** Reads a JSONL dataset, validating every line; errors name the file and line. */
export async function readJsonl<T>(path: string, schema: z.ZodType<T>): Promise<T[]> {
  const text = await readFile(path, "utf8");
  const items: T[] = [];
  const ids = new Set<string>();
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (cause) {
      throw new Error(`${path}:${i + 1}: not JSON: ${(cause as Error).message}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new Error(`${path}:${i + 1}: ${z.prettifyError(parsed.error)}`);
    const id = (parsed.data as { id?: unknown }).id;
    if (typeof id === "string") {
      if (ids.has(id)) throw new Error(`${path}:${i + 1}: duplicate id ${id}`);
      ids.add(id);
    }
    items.push(parsed.data);
  });
  return items;
}
