import { z } from "zod";
import type { ModelCatalog } from "../domain/catalog.js";
import { OllamaCredentials } from "./credentials.js";
import { SETTINGS, type AnySetting, type Setting } from "./settings.js";

/*
 * The zod schemas derived from the settings table. A path `a` is a top-level setting; a path
 * `a.b` puts setting `b` in group `a`, which defaults to `{}` so that every group is present.
 */

type Table = readonly AnySetting[];
type PathOf<T extends Table> = T[number]["path"];
type TopOf<P extends string> = P extends `${infer G}.${string}` ? G : P;
type ChildOf<P extends string, G extends string> = P extends `${G}.${infer L}` ? L : never;
type SettingAt<T extends Table, P extends string> = Extract<T[number], { readonly path: P }>;

/** `full`: defaults applied, as the application sees its settings. `partial`: every value optional, no defaults. */
type Mode = "full" | "partial";

type Leaf<E, M extends Mode> = E extends Setting<string, infer S, infer D> ? (M extends "partial" ? z.ZodOptional<S> : [D] extends [undefined] ? z.ZodOptional<S> : z.ZodDefault<S>) : never;

type Group<Shape extends z.ZodRawShape, M extends Mode> = M extends "partial" ? z.ZodOptional<z.ZodObject<Shape>> : z.ZodPrefault<z.ZodObject<Shape>>;

/** The object shape a settings table describes. */
export type ShapeOf<T extends Table, M extends Mode> = {
  [K in TopOf<PathOf<T>>]: K extends PathOf<T> ? Leaf<SettingAt<T, K>, M> : Group<{ [L in ChildOf<PathOf<T>, K>]: Leaf<SettingAt<T, `${K}.${L}`>, M> }, M>;
};

function buildSchema<T extends Table, M extends Mode>(table: T, mode: M): z.ZodObject<ShapeOf<T, M>> {
  const top = new Map<string, z.ZodType | Record<string, z.ZodType>>();
  for (const s of table) {
    const leaf = mode === "full" && s.default !== undefined ? s.schema.default(s.default as never) : s.schema.optional();
    const [first, second, ...more] = s.path.split(".");
    if (first === undefined || first === "" || second === "" || more.length > 0) {
      throw new Error(`setting path '${s.path}' must be 'name' or 'group.name'`);
    }
    if (second === undefined) {
      top.set(first, leaf);
      continue;
    }
    const group = top.get(first) ?? {};
    if (group instanceof z.ZodType) throw new Error(`setting path '${s.path}' nests under the setting '${first}'`);
    group[second] = leaf;
    top.set(first, group);
  }
  const shape: Record<string, z.ZodType> = {};
  for (const [name, entry] of top) {
    if (entry instanceof z.ZodType) shape[name] = entry;
    else shape[name] = mode === "full" ? z.object(entry).prefault({}) : z.object(entry).optional();
  }
  // The loop above builds exactly the shape ShapeOf<T, M> computes from the same table.
  return z.object(shape) as unknown as z.ZodObject<ShapeOf<T, M>>;
}

/**
 * What the settings table does not hold: the credentials of the Ollama address
 * (`http://user:password@host`), which `loadConfig` splits off `OLLAMA_HOST` / `--host` so that
 * `ollamaHost` is an address that can be printed and logged.
 */
const DERIVED = { ollamaCredentials: z.instanceof(OllamaCredentials).optional() };

/** Every setting of the generation stage, with its default. */
export const ConfigSchema = buildSchema(SETTINGS, "full").extend(DERIVED);

/** The same settings, each optional and without a default: what one source (the environment) contributes. */
export const PartialConfigSchema = buildSchema(SETTINGS, "partial").extend(DERIVED);

export type BrunoConfigInput = z.input<typeof ConfigSchema>;
export type BrunoConfig = z.output<typeof ConfigSchema> & { catalog: ModelCatalog };

/** The setting at a config path (`timeouts.totalMs`), if the table has one. */
export function settingAt(path: string): AnySetting | undefined {
  return SETTINGS_BY_PATH.get(path);
}

const SETTINGS_BY_PATH: ReadonlyMap<string, AnySetting> = new Map(SETTINGS.map((s) => [s.path, s]));
