import type { VoiceConfigResponse } from "@/lib/calls/contracts";

/**
 * Which carrier and transcriber this deployment uses, said plainly (the simulators most of all).
 * A server component: it depends only on the deployment's configuration, so the page renders it
 * as HTML and ships no JavaScript for it.
 */
function TranscriberBadge({ transcriber }: { transcriber: VoiceConfigResponse["transcriber"] }) {
  if (transcriber !== "simulated") return null;
  return (
    <span data-testid="transcriber" className="ml-2 inline-block rounded-full border border-amber-400 bg-amber-100 px-2.5 py-0.5 text-xs font-semibold text-amber-900">
      simulated transcription
    </span>
  );
}

export function CarrierNote({
  carrier,
  notice = null,
  transcriber,
}: {
  carrier: VoiceConfigResponse["carrier"];
  notice?: VoiceConfigResponse["carrierNotice"];
  transcriber: VoiceConfigResponse["transcriber"];
}) {
  if (carrier === "simulated") {
    return (
      <div className="mt-2 text-sm">
        <span data-testid="carrier" className="inline-block rounded-full border border-amber-400 bg-amber-100 px-2.5 py-0.5 text-xs font-semibold text-amber-900">
          simulated carrier
        </span>
        <TranscriberBadge transcriber={transcriber} />
        <p className="mt-1 text-muted">
          No real phone rings: a built-in simulator answers and sends the provider callbacks
          {transcriber === "simulated" ? ", and a built-in transcriber stands in for AssemblyAI" : ""}.
        </p>
        {notice ? (
          <p data-testid="carrier-notice" role="status" className="mt-1 rounded border border-red-300 bg-red-50 p-2 text-red-900">
            The simulator is degraded: {notice}
          </p>
        ) : null}
      </div>
    );
  }
  if (carrier === "unconfigured") {
    return (
      <p data-testid="carrier" className="mt-2 rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
        Telephony is not configured, so calls cannot be placed. Set the SignalWire variables and restart.
      </p>
    );
  }
  return <p data-testid="carrier" className="mt-1 text-sm text-muted">Carrier: SignalWire</p>;
}
