import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [".next/**", ".data/**", ".test-data/**", "node_modules/**", "test-results/**", "playwright-report/**", "next-env.d.ts"],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Production code never knows the simulator is there: only scripts and tests may reach it.
    files: ["app/**", "components/**", "lib/**", "proxy.ts", "instrumentation*.ts"],
    ignores: ["lib/simulator/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@/lib/simulator", "@/lib/simulator/*"], message: "Production code must not import the carrier simulator." }] }],
    },
  },
];

export default config;
