import { readFileSync } from "node:fs";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

/**
 * The layers (layers.json) as import rules: a room of lib/ imports only rooms of lower floors; the
 * parts outside lib/ import only the parts before them; components/ groups import only shared/.
 * tests/unit/layers.test.ts holds the whole import graph against the same list.
 */
const layers = JSON.parse(readFileSync(new URL("./layers.json", import.meta.url), "utf8"));

function layerZones() {
  const zones = [];
  const rooms = layers.lib.flatMap(({ floor, rooms }) => Object.keys(rooms).map((room) => ({ room, floor })));
  for (const { room, floor } of rooms) {
    const above = rooms.filter((r) => r.room !== room && r.floor >= floor).map((r) => r.room);
    if (above.length) {
      zones.push({ target: room, from: above, message: `${room} is on floor ${floor} of lib/ (layers.json): it may import only rooms of lower floors.` });
    }
  }
  const outside = Object.keys(layers.outside);
  const roots = { app: ["app", "proxy.ts", "instrumentation.ts", "instrumentation-client.ts"] };
  const paths = (part) => roots[part] ?? [part];
  const order = ["lib", ...outside];
  order.forEach((part, i) => {
    const later = order.slice(i + 1).flatMap(paths);
    if (later.length) {
      zones.push({ target: paths(part), from: later, message: `${part} stands below ${order.slice(i + 1).join(", ")} (layers.json): it must not import them. Production code never knows the simulators or the tests are there.` });
    }
  });
  for (const [group, allowed] of Object.entries(layers.components)) {
    const others = Object.keys(layers.components).filter((g) => g !== group && !allowed.includes(g));
    if (others.length) zones.push({ target: group, from: others, message: `${group} may import only ${allowed.join(", ") || "itself"} among the component groups (layers.json).` });
  }
  return zones;
}

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", ".data/**", ".test-data/**", "node_modules/**", "test-results/**", "playwright-report/**", "next-env.d.ts"],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "import/no-restricted-paths": ["error", { zones: layerZones() }],
    },
  },
];

export default config;
