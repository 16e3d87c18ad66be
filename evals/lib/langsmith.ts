/**
 * LangSmith: the dataset is created or synced (examples keyed by item id in their metadata),
 * then the same target and scorers run through `langsmith`'s `evaluate()`, so the experiment
 * shows in the LangSmith UI. Needs `LANGSMITH_API_KEY`; the runner falls back to a local run
 * without it.
 */
import type { Client } from "langsmith";
import type { EvaluationResult } from "langsmith/evaluation";

export interface SyncExample {
  itemId: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface ExistingExample {
  id: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface SyncPlan {
  create: SyncExample[];
  update: Array<{ id: string; example: SyncExample }>;
  /** Ids of LangSmith examples whose item is gone from the file (or duplicated). */
  remove: string[];
  unchanged: number;
}

/** Stable JSON (sorted keys) for comparing example payloads. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** What to create, update and delete so the LangSmith dataset mirrors the local file. */
export function planSync(existing: readonly ExistingExample[], wanted: readonly SyncExample[]): SyncPlan {
  const byItem = new Map<string, ExistingExample>();
  const remove: string[] = [];
  for (const e of existing) {
    const itemId = typeof e.metadata?.itemId === "string" ? e.metadata.itemId : undefined;
    if (itemId === undefined || byItem.has(itemId)) remove.push(e.id);
    else byItem.set(itemId, e);
  }
  const plan: SyncPlan = { create: [], update: [], remove, unchanged: 0 };
  const wantedIds = new Set(wanted.map((w) => w.itemId));
  for (const w of wanted) {
    const e = byItem.get(w.itemId);
    if (!e) plan.create.push(w);
    else if (stableJson(e.inputs ?? {}) !== stableJson(w.inputs) || stableJson(e.outputs ?? {}) !== stableJson(w.outputs)) plan.update.push({ id: e.id, example: w });
    else plan.unchanged += 1;
  }
  for (const [itemId, e] of byItem) if (!wantedIds.has(itemId)) plan.remove.push(e.id);
  return plan;
}

/** Creates the dataset if needed and makes its examples match `wanted`. */
export async function syncDataset(client: Client, name: string, description: string, wanted: readonly SyncExample[]): Promise<SyncPlan> {
  const dataset = (await client.hasDataset({ datasetName: name })) ? await client.readDataset({ datasetName: name }) : await client.createDataset(name, { description });
  const existing: ExistingExample[] = [];
  for await (const e of client.listExamples({ datasetId: dataset.id })) existing.push({ id: e.id, inputs: e.inputs, outputs: e.outputs ?? {}, metadata: e.metadata ?? {} });
  const plan = planSync(existing, wanted);
  if (plan.create.length > 0) {
    await client.createExamples(plan.create.map((w) => ({ dataset_id: dataset.id, inputs: w.inputs, outputs: w.outputs, metadata: { itemId: w.itemId } })));
  }
  if (plan.update.length > 0) {
    await client.updateExamples(plan.update.map((u) => ({ id: u.id, dataset_id: dataset.id, inputs: u.example.inputs, outputs: u.example.outputs, metadata: { itemId: u.example.itemId } })));
  }
  if (plan.remove.length > 0) await client.deleteExamples(plan.remove);
  return plan;
}

/** A scorer in LangSmith's shape: the item's inputs, the target's outputs, the reference outputs. */
export type LangSmithScorer = (args: { inputs: Record<string, unknown>; outputs: Record<string, unknown>; referenceOutputs?: Record<string, unknown> }) => EvaluationResult[];

export interface LangSmithRun {
  datasetName: string;
  description: string;
  examples: readonly SyncExample[];
  target: (inputs: Record<string, unknown>) => Promise<Record<string, unknown>>;
  scorers: readonly LangSmithScorer[];
  experimentPrefix: string;
  concurrency: number;
  metadata: Record<string, unknown>;
}

/** Syncs the dataset, then runs the target and scorers through `evaluate()`. Returns the sync plan and the experiment name. */
export async function runOnLangSmith(run: LangSmithRun): Promise<{ plan: SyncPlan; experiment: string }> {
  const [{ Client }, { evaluate }] = await Promise.all([import("langsmith"), import("langsmith/evaluation")]);
  const client = new Client();
  const plan = await syncDataset(client, run.datasetName, run.description, run.examples);
  const evaluators = run.scorers.map(
    (scorer) =>
      ({ inputs, outputs, referenceOutputs }: { inputs: Record<string, unknown>; outputs: Record<string, unknown>; referenceOutputs?: Record<string, unknown> }) => ({
        results: scorer({ inputs, outputs, ...(referenceOutputs ? { referenceOutputs } : {}) }),
      }),
  );
  const results = await evaluate(run.target, {
    data: run.datasetName,
    evaluators,
    experimentPrefix: run.experimentPrefix,
    maxConcurrency: run.concurrency,
    metadata: run.metadata,
    client,
  });
  return { plan, experiment: results.experimentName };
}
