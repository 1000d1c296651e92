import { lockCall } from "@/lib/calls/lock";
import { handleDialResult } from "@/lib/calls/status";
import { config } from "@/lib/config";
import { UnprocessableError } from "@/lib/errors";
import { readQuery } from "@/lib/http/route";
import { lamlQuerySchema } from "@/lib/telephony/callbacks";
import { buildLaml, LamlStepError, type LamlInput } from "@/lib/telephony/laml";
import { laml, signalwireRoute } from "@/lib/telephony/webhook-route";

/** The LaML document for a step of the call's flow: a pure function of its modulation snapshot. */
const handler = signalwireRoute(async (tx, { callId, form, url }) => {
  const { step } = readQuery(url, lamlQuerySchema);
  const snapshot = step === "after-dial" ? await handleDialResult(tx, callId, form) : (await lockCall(tx, callId)).snapshot;
  const input: LamlInput = { step };
  try {
    return laml(buildLaml(snapshot, input, { callId, baseUrl: config().publicBaseUrl }));
  } catch (err) {
    if (err instanceof LamlStepError) throw new UnprocessableError(err.message, "laml_step_not_in_flow");
    throw err;
  }
});

export const POST = handler;
export const GET = handler;
