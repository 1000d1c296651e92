import pino, { type Logger } from "pino";
import { config } from "@/lib/config";

/**
 * JSON logs to stdout (pino, no transports: they spawn worker threads that bundlers mangle).
 * Every request gets a child logger carrying its request id; see `lib/http/route.ts`.
 */
let root: Logger | undefined;

export function logger(): Logger {
  root ??= pino({
    level: config().logLevel,
    base: { service: "verbatim" },
    redact: {
      paths: ["password", "*.password", "token", "*.token", "authorization", "*.authorization", "cookie", "*.cookie"],
      censor: "[redacted]",
    },
  });
  return root;
}

export type { Logger };
