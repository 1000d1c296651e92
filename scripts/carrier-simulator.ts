/**
 * Runs the carrier simulator on its own, for poking at it with curl or pointing a separately
 * started app at it (CARRIER_SIMULATOR_URL). `npm run dev` starts one itself; this is for when
 * you want it alone.
 *
 *   npx tsx --conditions=react-server scripts/carrier-simulator.ts [--port 4010] [--host 127.0.0.1]
 *       [--delay-ms 300] [--webhook-timeout-ms 15000] [--audio-dir .data/carrier-audio]
 *
 * Credentials come from SIGNALWIRE_PROJECT_ID, SIGNALWIRE_API_TOKEN and SIGNALWIRE_SIGNING_KEY,
 * the same variables the app reads, so the two agree on who signs what.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { RESERVED_NUMBERS, speechProblem, startCarrierSimulator } from "@/scripts/simulator";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "4010" },
    host: { type: "string", default: "127.0.0.1" },
    "delay-ms": { type: "string", default: "300" },
    "webhook-timeout-ms": { type: "string", default: "15000" },
    "audio-dir": { type: "string", default: ".data/carrier-audio" },
  },
});

function fail(message: string): never {
  console.error(`\n✖ ${message}\n`);
  process.exit(1);
}

function integer(name: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) fail(`--${name} must be a whole number, not ${value}`);
  return parsed;
}

async function main(): Promise<void> {
  const projectId = process.env.SIGNALWIRE_PROJECT_ID;
  const apiToken = process.env.SIGNALWIRE_API_TOKEN;
  const signingKey = process.env.SIGNALWIRE_SIGNING_KEY;
  const missing = Object.entries({ SIGNALWIRE_PROJECT_ID: projectId, SIGNALWIRE_API_TOKEN: apiToken, SIGNALWIRE_SIGNING_KEY: signingKey })
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length > 0) fail(`Set ${missing.join(", ")} (the simulator checks the app's credentials and signs with its key).`);

  const problem = await speechProblem();
  if (problem) console.warn(`⚠ speech synthesis is unavailable, so every recording will be reported absent: ${problem}`);

  const simulator = await startCarrierSimulator({
    port: integer("port", args.port),
    host: args.host,
    projectId: projectId!,
    apiToken: apiToken!,
    signingKey: signingKey!,
    audioDir: path.resolve(args["audio-dir"]!),
    delayMs: integer("delay-ms", args["delay-ms"]),
    webhookTimeoutMs: integer("webhook-timeout-ms", args["webhook-timeout-ms"]),
    log: (line) => console.log(`[carrier] ${line}`),
    warn: (line) => console.warn(`[carrier] ⚠ ${line}`),
  }).catch((error: NodeJS.ErrnoException) =>
    fail(error.code === "EADDRINUSE" ? `Port ${args.port} is in use; pass --port.` : error.message),
  );

  console.log(`Carrier simulator listening on ${simulator.url}`);
  console.log(`  point the app at it with CARRIER_SIMULATOR_URL=${simulator.url}`);
  console.log("  reserved numbers:");
  for (const [number, scenario] of Object.entries(RESERVED_NUMBERS)) console.log(`    ${number}  ${JSON.stringify(scenario)}`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await simulator.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
}

void main();
