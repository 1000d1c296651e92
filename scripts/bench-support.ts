/**
 * What the benchmark scripts share: where the embedded database of a running app is, a demo
 * sign-in, and percentiles. Development tooling, like the rest of scripts/.
 */
import http from "node:http";
import { DEMO_PASSWORD } from "@/scripts/seed";

/** The database to measure: --database-url, else DATABASE_URL, else the embedded one `npm start` runs for this app port. */
export function benchDatabaseUrl(base: string, given: string | undefined): string {
  if (given) return given;
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const appPort = Number(new URL(base).port || 80);
  const pgPort = Number(process.env.EMBEDDED_PG_PORT ?? 54329 + (appPort - 3000));
  return `postgres://postgres:verbatim-local@127.0.0.1:${pgPort}/verbatim`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sign in as a demo user; the session cookie to send with each request. */
export async function signInCookie(base: string, email: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

/**
 * A keep-alive HTTP client for the benchmarks, on node:http rather than fetch: the benchmarks
 * run on the machine they measure, and fetch's own cost (web streams, Request and Response
 * objects) would be counted against the server. Every measured request goes through this, so
 * the routes compared with each other pay the same client.
 */
export function httpClient(sockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const send = (method: string, url: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
        res.once("error", reject);
      });
      req.once("error", reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}
