/**
 * `npm run layout` writes the README's layout block from layers.json (the floors of lib/ and the
 * parts around it), so the README cannot drift from the list the lint rule enforces;
 * tests/unit/layers.test.ts fails when they differ.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

export interface Layers {
  lib: { floor: number; rooms: Record<string, string> }[];
  outside: Record<string, string>;
  components: Record<string, string[]>;
  also: Record<string, string>;
}

export const BEGIN = "<!-- layout: written by `npm run layout` from layers.json -->";
export const END = "<!-- /layout -->";
const WIDTH = 26;

function line(indent: number, name: string, text: string): string {
  const head = `${" ".repeat(indent)}${name}`;
  return `${head.padEnd(Math.max(WIDTH, head.length + 1))}${text}`;
}

const shown = (room: string, root: string) => room.slice(root.length + 1) + (room.endsWith(".ts") ? "" : "/");

export function layoutBlock(layers: Layers): string {
  const lines = [line(0, "lib/", "everything that is not a page or a route, in floors: a room imports only the rooms of lower floors")];
  for (const { floor, rooms } of [...layers.lib].sort((a, b) => b.floor - a.floor)) {
    lines.push(`  floor ${floor}`);
    for (const [room, text] of Object.entries(rooms)) lines.push(line(4, shown(room, "lib"), text));
  }
  for (const [part, text] of Object.entries(layers.outside)) lines.push(line(0, `${part}/`, text));
  for (const [part, text] of Object.entries(layers.also)) lines.push(line(0, `${part}/`, text));
  return ["```", ...lines.map((l) => l.trimEnd()), "```"].join("\n");
}

export function readLayers(): Layers {
  return JSON.parse(readFileSync("layers.json", "utf8")) as Layers;
}

/** The README with its layout block replaced (or the same text when it is current). */
export function withLayout(readme: string, layers: Layers): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no layout block: put ${BEGIN} and ${END} where it goes.`);
  return `${readme.slice(0, start + BEGIN.length)}\n${layoutBlock(layers)}\n${readme.slice(end)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const readme = readFileSync("README.md", "utf8");
  const next = withLayout(readme, readLayers());
  if (next === readme) console.log("README.md: the layout block is current.");
  else {
    writeFileSync("README.md", next);
    console.log("README.md: layout block written from layers.json.");
  }
}
