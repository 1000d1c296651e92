import type { z } from "zod";
import type { Action } from "@/lib/rbac/policy";

/**
 * What a route wrapper knows about the handler it made: who may call it and the schemas it reads
 * the request with, the same objects it validates with. Recorded by `route()`, `sessionRoute`,
 * `memberRoute` and `webhookRoute` as they wrap, so tests/unit/openapi.test.ts can hold every
 * exported handler against the OpenAPI document (lib/openapi, docs/adr/0043) without anyone
 * restating it. Reading it costs nothing at request time.
 */
export type RouteContract =
  | { auth: "public" }
  | { auth: "session" }
  | {
      auth: "member";
      action: Action;
      body?: z.ZodType;
      bodyLimit?: number;
      textBody?: readonly string[];
      optionalBody?: boolean;
      query?: z.ZodType;
      upload?: boolean;
    }
  | { auth: "webhook"; scheme: string };

const contracts = new WeakMap<object, RouteContract>();

/** Record what `handler` is (the last wrapper to describe it wins: memberRoute over route()). */
export function describeRoute<H extends object>(handler: H, contract: RouteContract): H {
  contracts.set(handler, contract);
  return handler;
}

export function routeContract(handler: unknown): RouteContract | undefined {
  return typeof handler === "function" ? contracts.get(handler) : undefined;
}
