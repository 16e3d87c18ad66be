/**
 * Optional bearer-token auth of `bruno serve` (`BRUNO_API_TOKEN`). The token is compared in
 * constant time: both sides are hashed to equal-length digests first, so neither the comparison
 * nor a length check tells a caller how much of a guess was right. The token is never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { failureResponse } from "./errors.js";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** True when `given` is the token; constant time in the content of both. */
export function tokenMatches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** Requires `Authorization: Bearer <token>`; 401 with `WWW-Authenticate: Bearer` otherwise. */
export function bearerAuth(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !tokenMatches(match[1], expected)) {
      const message = header === "" ? "this server requires a bearer token: send `Authorization: Bearer <BRUNO_API_TOKEN>`" : "the bearer token is not this server's BRUNO_API_TOKEN";
      return failureResponse(c, { status: 401, code: "UNAUTHORIZED", message }, { "WWW-Authenticate": 'Bearer realm="bruno"' });
    }
    await next();
    return undefined;
  };
}
