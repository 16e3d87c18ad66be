/**
 * Several Ollama servers (`OLLAMA_HOSTS`) as one `ModelServer`: the union of their installed
 * models, with which server has which model. Each server's list comes from its own client and
 * its `/api/tags` cache (`BRUNO_TAGS_TTL_MS`); a server that does not answer is marked down for
 * the TTL (or at least a second) and asked again after it. Which of the servers that have a
 * model takes a call (fewest in flight, circuit closed) is the resilience layer's choice
 * (`Resilience.rank`); this pool only says who has the model and who answers.
 */
import { sameModelTag } from "../../domain/catalog.js";
import { ServerError, isBrunoError } from "../../domain/errors.js";
import { systemClock, type Clock } from "../../runtime/clock.js";
import type { HostStatus, InstalledModel, ModelDetails, ModelServer } from "../ports.js";

export interface OllamaPoolOptions {
  /** One client per server (`createOllamaModelServer`), in configured order; at least one. */
  servers: readonly ModelServer[];
  /** How long a server that did not answer is passed over (`BRUNO_TAGS_TTL_MS`, at least 1 s). */
  tagsTtlMs: number;
  clock?: Clock;
}

/** Shortest time a server that did not answer is passed over, whatever the TTL. */
const MIN_DOWN_MS = 1000;

interface Member {
  server: ModelServer;
  /** Passed over until then (clock ms); 0 when not known to be down. */
  downUntil: number;
  /** Why it is down. */
  error?: string | undefined;
  /** Its last model list. */
  models: InstalledModel[];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hasModel(models: readonly InstalledModel[], model: string): boolean {
  return models.some((m) => sameModelTag(m.name, model));
}

class OllamaHostPool implements ModelServer {
  readonly host: string;
  readonly addresses: readonly string[];
  private readonly members: Member[];
  private readonly clock: Clock;
  private readonly downMs: number;

  constructor(options: OllamaPoolOptions) {
    const first = options.servers[0];
    if (!first) throw new RangeError("an Ollama host pool needs at least one server");
    this.members = options.servers.map((server) => ({ server, downUntil: 0, models: [] }));
    this.addresses = this.members.map((m) => m.server.host);
    this.host = first.host;
    this.clock = options.clock ?? systemClock;
    this.downMs = Math.max(MIN_DOWN_MS, options.tagsTtlMs);
  }

  private member(host: string): Member | undefined {
    return this.members.find((m) => m.server.host === host);
  }

  private isDown(member: Member): boolean {
    return member.downUntil > this.clock.now();
  }

  markDown(host: string, error: unknown): void {
    const member = this.member(host);
    if (!member) return;
    member.downUntil = this.clock.now() + this.downMs;
    member.error = describe(error);
  }

  /** The member's models (cached), or undefined when it is down or does not answer now. */
  private async refresh(member: Member, options: { fresh?: boolean; signal?: AbortSignal }): Promise<InstalledModel[] | undefined> {
    if (!options.fresh && this.isDown(member)) return undefined;
    try {
      // A host that was down is asked for real, not answered from its client's cache.
      const models = await member.server.listModels({ ...options, fresh: options.fresh === true || member.downUntil > 0 });
      member.models = models;
      member.downUntil = 0;
      member.error = undefined;
      return models;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      this.markDown(member.server.host, error);
      return undefined;
    }
  }

  /** Every member's models; asks the down ones again when no member is up. */
  private async refreshAll(options: { fresh?: boolean; signal?: AbortSignal }): Promise<(InstalledModel[] | undefined)[]> {
    const lists = await Promise.all(this.members.map((m) => this.refresh(m, options)));
    if (lists.some((l) => l !== undefined) || options.fresh) return lists;
    return Promise.all(this.members.map((m) => this.refresh(m, { ...options, fresh: true })));
  }

  private noneAnswers(): ServerError {
    const why = this.members.map((m) => `${m.server.host}: ${m.error ?? "no answer"}`).join("; ");
    return new ServerError("SERVER_UNREACHABLE", `none of the Ollama servers of OLLAMA_HOSTS answers (${why}): start them with \`ollama serve\`, or fix OLLAMA_HOSTS`, {
      details: { hosts: [...this.addresses] },
    });
  }

  async listModels(options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<InstalledModel[]> {
    const lists = await this.refreshAll(options);
    if (lists.every((l) => l === undefined)) throw this.noneAnswers();
    const union: InstalledModel[] = [];
    for (const list of lists) for (const model of list ?? []) if (!union.some((m) => m.name === model.name)) union.push(model);
    return union;
  }

  async hostsWith(model: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const lists = await this.refreshAll(options);
    return this.members.filter((m, i) => lists[i] !== undefined && hasModel(m.models, model)).map((m) => m.server.host);
  }

  async showModel(name: string, options: { signal?: AbortSignal } = {}): Promise<ModelDetails> {
    const up = this.members.filter((m) => !this.isDown(m));
    const withModel = up.filter((m) => hasModel(m.models, name));
    let last: unknown;
    for (const member of withModel.length > 0 ? withModel : up.slice(0, 1)) {
      try {
        return await member.server.showModel(name, options);
      } catch (error) {
        if (options.signal?.aborted || (isBrunoError(error) && error.code === "MODEL_NOT_FOUND" && withModel.length === 0)) throw error;
        last = error;
      }
    }
    throw last ?? this.noneAnswers();
  }

  async version(options: { signal?: AbortSignal } = {}): Promise<string> {
    let last: unknown;
    for (const member of this.members) {
      if (this.isDown(member)) continue;
      try {
        return await member.server.version(options);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        this.markDown(member.server.host, error);
        last = error;
      }
    }
    throw last ?? this.noneAnswers();
  }

  async hosts(options: { fresh?: boolean; signal?: AbortSignal } = {}): Promise<HostStatus[]> {
    return Promise.all(
      this.members.map(async (member): Promise<HostStatus> => {
        const host = member.server.host;
        if (!options.fresh && this.isDown(member)) return { host, reachable: false, error: member.error, models: member.models };
        try {
          const version = await member.server.version(options);
          const models = (await this.refresh(member, options)) ?? member.models;
          if (member.downUntil > 0) return { host, reachable: false, error: member.error, version, models };
          return { host, reachable: true, version, models };
        } catch (error) {
          if (options.signal?.aborted) throw error;
          this.markDown(host, error);
          return { host, reachable: false, error: describe(error), models: member.models };
        }
      }),
    );
  }

  /** Loads the model on every reachable server that has it; resolves with the longest load. */
  async warm(name: string, options: { keepAlive: string; timeoutMs: number; signal?: AbortSignal }): Promise<{ loadMs: number }> {
    const targets = this.members.filter((m) => !this.isDown(m) && hasModel(m.models, name) && m.server.warm);
    if (targets.length === 0) return (await this.firstUp()).warm?.(name, options) ?? { loadMs: 0 };
    const loads = await Promise.all(targets.map((m) => (m.server.warm as NonNullable<ModelServer["warm"]>).call(m.server, name, options)));
    return { loadMs: Math.max(...loads.map((l) => l.loadMs)) };
  }

  private async firstUp(): Promise<ModelServer> {
    const member = this.members.find((m) => !this.isDown(m));
    if (!member) throw this.noneAnswers();
    return member.server;
  }
}

/** The pool of `OLLAMA_HOSTS`; see the module comment. */
export function createOllamaHostPool(options: OllamaPoolOptions): ModelServer & Required<Pick<ModelServer, "hosts" | "hostsWith" | "markDown" | "warm">> {
  return new OllamaHostPool(options);
}
