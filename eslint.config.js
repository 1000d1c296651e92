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
    // Production code never knows the simulators are there, nor any other development or test
    // tooling: only scripts and tests may reach scripts/ (the simulators live in scripts/simulator).
    files: ["app/**", "components/**", "lib/**", "proxy.ts", "instrumentation*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@/scripts/*", "@/scripts/**", "@/tests/*", "@/tests/**"], message: "Production code must not import development or test tooling (scripts/, tests/), the simulators included." },
          ],
        },
      ],
    },
  },
];

export default config;
