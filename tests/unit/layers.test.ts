import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { layoutBlock, readLayers, withLayout } from "@/scripts/layout";

/**
 * The layers of layers.json held against the code: every import of the project read with
 * TypeScript's own resolver (type-only and dynamic imports included), then checked room by room.
 */

const root = process.cwd();
const layers = readLayers();
const floorOf = new Map(layers.lib.flatMap(({ floor, rooms }) => Object.keys(rooms).map((room) => [room, floor] as const)));
const outside = ["lib", ...Object.keys(layers.outside)];
const componentGroups = Object.keys(layers.components);

const options = ts.parseJsonConfigFileContent(JSON.parse(readFileSync("tsconfig.json", "utf8")), ts.sys, root).options;
const host = ts.createCompilerHost(options);

const sources = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.tsx"], { encoding: "utf8" })
  .split("\n")
  .filter((f) => f && existsSync(f) && !f.startsWith("tests/") && !f.endsWith(".d.ts"));

interface Edge {
  from: string;
  to: string;
  specifier: string;
}

/** The project files a file imports (npm packages left out), with the specifier as written. */
function importsOf(file: string): Edge[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.flatMap(({ fileName }) => {
    const resolved = ts.resolveModuleName(fileName, path.resolve(file), options, host).resolvedModule;
    if (!resolved || resolved.isExternalLibraryImport) return [];
    const to = path.relative(root, resolved.resolvedFileName);
    return to.startsWith("..") || to.includes("node_modules") ? [] : [{ from: file, to, specifier: fileName }];
  });
}

/** The room of lib/ a file is in: a folder under lib/, or a file directly in it. */
function libRoom(file: string): string | null {
  const parts = file.split("/");
  if (parts[0] !== "lib") return null;
  return parts.length > 2 ? `lib/${parts[1]}` : file;
}

/** The part of the repository a file is in, as the outside order names them. */
function partOf(file: string): string {
  const top = file.split("/")[0]!;
  if (top === "proxy.ts" || top.startsWith("instrumentation")) return "app";
  return top;
}

/** The room for the folder-loop check: lib rooms, component groups, then whole parts. */
function roomOf(file: string): string {
  return libRoom(file) ?? componentGroups.find((g) => file.startsWith(`${g}/`)) ?? partOf(file);
}

let edges: Edge[];
beforeAll(() => {
  edges = sources.flatMap(importsOf);
});

describe("the layers of lib/ (layers.json)", () => {
  it("names every room of lib/, and every room it names exists", () => {
    const rooms = new Set(sources.map(libRoom).filter((r): r is string => r !== null));
    expect([...rooms].filter((r) => !floorOf.has(r)).sort()).toEqual([]);
    expect([...floorOf.keys()].filter((r) => !existsSync(r))).toEqual([]);
  });

  it("has no import from a room to a room of its own floor or a higher one", () => {
    const upward = edges.flatMap(({ from, to }) => {
      const a = libRoom(from);
      const b = libRoom(to);
      if (!a || !b || a === b) return [];
      return floorOf.get(b)! >= floorOf.get(a)! ? [`${from} (floor ${floorOf.get(a)}) -> ${to} (floor ${floorOf.get(b)})`] : [];
    });
    expect(upward).toEqual([]);
    // The graph is not empty: the check above reads real imports.
    expect(edges.filter((e) => libRoom(e.from) && libRoom(e.to) && libRoom(e.from) !== libRoom(e.to)).length).toBeGreaterThan(200);
  });

  it("keeps the parts outside lib/ in their order, and component groups to shared/", () => {
    const wrong = edges.flatMap(({ from, to }) => {
      const a = outside.indexOf(partOf(from));
      const b = outside.indexOf(partOf(to));
      if (a >= 0 && b > a) return [`${from} -> ${to}`];
      const group = componentGroups.find((g) => from.startsWith(`${g}/`));
      const target = componentGroups.find((g) => to.startsWith(`${g}/`));
      if (group && target && group !== target && !layers.components[group]!.includes(target)) return [`${from} -> ${to}`];
      return [];
    });
    expect(wrong).toEqual([]);
  });

  it("has no two folders that import each other, at any depth", () => {
    const graph = new Map<string, Set<string>>();
    for (const { from, to } of edges) {
      const a = roomOf(from);
      const b = roomOf(to);
      if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
    }
    // A loop is a room that reaches itself.
    const reaches = (start: string): Set<string> => {
      const seen = new Set<string>();
      const stack = [...(graph.get(start) ?? [])];
      while (stack.length) {
        const next = stack.pop()!;
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(...(graph.get(next) ?? []));
      }
      return seen;
    };
    expect([...graph.keys()].filter((room) => reaches(room).has(room)).sort()).toEqual([]);
  });
});

describe("the offline verifier", () => {
  function closure(entry: string): Set<string> {
    const seen = new Set<string>();
    const stack = [entry];
    while (stack.length) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      stack.push(...importsOf(file).map((e) => e.to));
    }
    return seen;
  }

  it("imports nothing outside lib/evidence: verify-bundle.ts, verify-archive.ts and the ZIP reader", () => {
    for (const entry of ["lib/evidence/verify-bundle.ts", "lib/evidence/verify-archive.ts", "lib/evidence/bundle-zip.ts"]) {
      const files = closure(entry);
      expect([...files].filter((f) => !f.startsWith("lib/evidence/")), entry).toEqual([]);
      expect(files.size, entry).toBeGreaterThan(1);
    }
  });

  it("is walked through real imports: a file outside lib/evidence would show", () => {
    // The same walk from a sealing module reaches the database: the check above can fail.
    const files = closure("lib/evidence-sealing/verify.ts");
    expect([...files].some((f) => f.startsWith("lib/db/"))).toBe(true);
  });
});

describe("the lint rule drawn from layers.json", () => {
  const eslint = new ESLint({ cwd: root });
  const layerErrors = async (file: string, code: string) =>
    (await eslint.lintText(code, { filePath: path.resolve(file) }))[0]!.messages.filter((m) => m.ruleId === "import/no-restricted-paths");

  it("fails an import from a lower floor to a higher one, static, relative, type-only or dynamic", async () => {
    const deliberate = [
      'import { transcriptionDetail } from "@/lib/intelligence/transcript-view";\nexport const x = transcriptionDetail;\n',
      'import { taskList } from "../worker/task-list";\nexport const x = taskList;\n',
      'import type { TranscriptionRow } from "@/lib/intelligence/transcriptions";\nexport type X = TranscriptionRow;\n',
      'export const x = () => import("@/lib/call-detail/detail");\n',
    ];
    for (const code of deliberate) expect(await layerErrors("lib/calls/layer-probe.ts", code), code).toHaveLength(1);
    // Same floor: intelligence and evidence-sealing stand side by side and must not meet.
    expect(await layerErrors("lib/intelligence/layer-probe.ts", 'import { sealCall } from "@/lib/evidence-sealing/seal-call";\nexport const x = sealCall;\n')).toHaveLength(1);
    // The evidence formats stand on the ground floor: not even the configuration is below them.
    expect(await layerErrors("lib/evidence/layer-probe.ts", 'import { config } from "@/lib/config";\nexport const x = config;\n')).toHaveLength(1);
    expect(await layerErrors("lib/evidence/layer-probe.ts", 'import { canonicalJson } from "./canonical-json";\nexport const x = canonicalJson;\n')).toHaveLength(0);
  }, 60_000);

  it("allows an import from a higher floor to a lower one", async () => {
    expect(await layerErrors("lib/calls/layer-probe.ts", 'import { surveySchema } from "@/lib/surveys/documents";\nexport const x = surveySchema;\n')).toEqual([]);
  }, 60_000);

  it("keeps production code from the tooling and the component groups apart", async () => {
    expect(await layerErrors("lib/calls/layer-probe.ts", 'import { startCarrierSimulator } from "@/scripts/simulator";\nexport const x = startCarrierSimulator;\n')).toHaveLength(1);
    expect(await layerErrors("bin/layer-probe.ts", 'import { seedDemo } from "@/scripts/seed";\nexport const x = seedDemo;\n')).toHaveLength(1);
    expect(await layerErrors("components/calls/layer-probe.ts", 'import { SettingsDialog } from "@/components/settings/settings-dialog";\nexport const x = SettingsDialog;\n')).toHaveLength(1);
  }, 60_000);
});

describe("the README's layout", () => {
  it("is the block layers.json writes", () => {
    const readme = readFileSync("README.md", "utf8");
    expect(readme).toContain(layoutBlock(layers));
    expect(withLayout(readme, layers)).toBe(readme);
  });

  it("matches the tree: every part it names exists, and every top-level folder of code is named", () => {
    for (const part of [...outside, ...Object.keys(layers.also), ...componentGroups]) {
      expect(existsSync(part) && statSync(part).isDirectory(), part).toBe(true);
    }
    const codeFolders = new Set(sources.map((f) => f.split("/")).filter((p) => p.length > 1).map((p) => p[0]!));
    expect([...codeFolders].filter((f) => !outside.includes(f)).sort()).toEqual([]);
    const groups = new Set(sources.filter((f) => f.startsWith("components/")).map((f) => f.split("/")).filter((p) => p.length > 2).map((p) => `components/${p[1]}`));
    expect([...groups].sort()).toEqual([...componentGroups].sort());
  });
});
