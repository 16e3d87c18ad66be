import { createServer } from "node:net";

/**
 * A loopback port that was free a moment ago and that nothing listens on now: use it as a
 * "connection refused" address, or hand it to a server that is about to start.
 */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
