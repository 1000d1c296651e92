import pino, { type Logger } from "pino";
import { config } from "@/lib/config";

/**
 * JSON logs to stdout (pino, no transports: they spawn worker threads that bundlers mangle).
 * Every request gets a child logger carrying its request id; see `lib/http/route.ts`.
 * Written asynchronously: under load, lines that arrive while a write is in flight go out in
 * one write instead of one system call each; pino flushes what is left when the process exits.
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
  }, pino.destination({ dest: 1, sync: false }));
  return root;
}

export type { Logger };
