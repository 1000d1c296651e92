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
