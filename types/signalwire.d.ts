// @signalwire/compatibility-api's package.json `exports` has no `types` condition, so
// TypeScript (moduleResolution: bundler) cannot find its declarations. Mapping the package name
// itself in tsconfig `paths` compiles but makes Turbopack emit RestClient as undefined, so the
// declarations are reached through an alias that only TypeScript knows (see tsconfig.json).
declare module "@signalwire/compatibility-api" {
  export * from "signalwire-compat-types";
}
