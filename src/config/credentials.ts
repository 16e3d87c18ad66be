import { inspect } from "node:util";

/**
 * The user name and password of an Ollama address (`http://user:password@host:port`, as for a
 * reverse proxy with basic auth), kept apart from the address so that the address can be
 * printed and logged. Sent as `Authorization: Basic …` on every request to that server; shown
 * as `user:***` wherever it is serialized or inspected.
 */
export class OllamaCredentials {
  readonly username: string;
  readonly #password: string;

  constructor(username: string, password: string) {
    this.username = username;
    this.#password = password;
  }

  /** The `Authorization` header value. */
  authorization(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.#password}`, "utf8").toString("base64")}`;
  }

  toString(): string {
    return `${this.username}:***`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return `OllamaCredentials(${this.toString()})`;
  }
}

/** `Authorization` for requests to a server with these credentials; none without. */
export function authorizationHeaders(credentials: OllamaCredentials | undefined): Record<string, string> {
  return credentials ? { authorization: credentials.authorization() } : {};
}
