/**
 * Hides the password of every URL-like token (`scheme://user:password@host`, or `user:password@host`
 * without a scheme) as `***`, so that messages and logs may quote a setting's value.
 */
export function redactPasswords(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)?([^\s/?#"'`]+)/gi, (token: string, scheme: string | undefined, rest: string) => {
    const at = rest.lastIndexOf("@");
    if (at < 0) return token;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon < 0) return token;
    return `${scheme ?? ""}${userinfo.slice(0, colon)}:***@${rest.slice(at + 1)}`;
  });
}

/** A value as a message quotes it: strings in double quotes, passwords redacted. */
export function quoteValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(redactPasswords(value));
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === undefined) return "nothing";
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  const text = json ?? String(value);
  return redactPasswords(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
