import { assemblyaiHeader, handleAssemblyAIWebhook } from "@/lib/intelligence/assemblyai-webhook";
import { webhookRoute } from "@/lib/http/webhook-route";

/**
 * AssemblyAI's transcript webhook (`?call=…&request=…`, our ids): the per-request auth header is
 * checked before anything else (lib/intelligence/assemblyai-webhook.ts); the work is queued and
 * the answer is quick. Repeats and unknown statuses are acknowledged and change nothing.
 */
export const POST = webhookRoute(
  assemblyaiHeader,
  { subject: { query: "request" }, notFound: "No such transcription request." },
  async (tx, { verified }, { log }) => {
    const result = await handleAssemblyAIWebhook(tx, verified);
    log.info({ ...verified.target, status: verified.body.status, result }, "assemblyai webhook");
    return new Response(null, { status: 204 });
  },
);
