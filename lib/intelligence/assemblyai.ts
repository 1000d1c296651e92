import "server-only";
import { AssemblyAI } from "assemblyai";
import { config, ConfigError, type Config } from "@/lib/config";

/**
 * The AssemblyAI SDK client, configured once from the environment: `new AssemblyAI({ apiKey,
 * baseUrl })`. In the embedded default `baseUrl` is the transcriber simulator's; the code that
 * uses the client is the same either way.
 */
let cached: { for: NonNullable<Config["transcriber"]>; client: AssemblyAI } | undefined;

export function assemblyai(): AssemblyAI {
  const transcriber = config().transcriber;
  if (!transcriber) throw new ConfigError("Transcription is not configured: set ASSEMBLYAI_API_KEY (see README).");
  if (cached?.for !== transcriber) cached = { for: transcriber, client: new AssemblyAI({ apiKey: transcriber.apiKey, baseUrl: transcriber.baseUrl }) };
  return cached.client;
}

/** A readiness probe's verdict on a provider: reachable and accepting our credentials, or why not. */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

/**
 * Is the transcriber there and does it take our key? One GET of a transcript id that cannot
 * exist, with the key: AssemblyAI (and the simulator) answer "not found" once the key is
 * accepted, 401 when it is not. Nothing is created or billed. Times out after `timeoutMs`.
 */
export async function probeTranscriber(timeoutMs: number): Promise<ProbeResult | null> {
  const transcriber = config().transcriber;
  if (!transcriber) return null;
  try {
    const res = await fetch(`${transcriber.baseUrl}/v2/transcript/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: transcriber.apiKey },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) return { ok: false, reason: `the transcriber refused our API key (HTTP ${res.status})` };
    if (res.status >= 500) return { ok: false, reason: `the transcriber answered HTTP ${res.status}` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `the transcriber did not answer: ${describe(err)}` };
  }
}

function describe(err: unknown): string {
  if (err instanceof Error && err.name === "TimeoutError") return "timed out";
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  return (cause ?? (err instanceof Error ? err.message : String(err))).slice(0, 200);
}
