/**
 * A small XML reader for LaML documents. LaML is plain XML without namespaces, DTDs or mixed
 * content that matters beyond a verb's text, so elements, attributes, text, comments, CDATA,
 * the XML declaration and the five named plus numeric entities are all it needs; anything else
 * is an error that names the offset, because a carrier that silently skips a broken document
 * would hide the app's bug.
 */

export interface LamlElement {
  name: string;
  attrs: Record<string, string>;
  children: LamlNode[];
}

export type LamlNode = LamlElement | string;

export class LamlParseError extends Error {
  override name = "LamlParseError";
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string, at: number): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (whole, entity: string) => {
    if (!whole.endsWith(";")) throw new LamlParseError(`Unterminated entity ${whole} near offset ${at}`);
    if (entity.startsWith("#x") || entity.startsWith("#X")) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    const named = NAMED_ENTITIES[entity];
    if (named === undefined) throw new LamlParseError(`Unknown entity &${entity}; near offset ${at}`);
    return named;
  });
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

/** Parses a document and returns its root element (which, for LaML, must be <Response>). */
export function parseLaml(xml: string): LamlElement {
  let pos = 0;
  const root: LamlElement = { name: "#document", attrs: {}, children: [] };
  const stack: LamlElement[] = [root];

  function fail(message: string): never {
    throw new LamlParseError(`${message} at offset ${pos}`);
  }

  while (pos < xml.length) {
    const current = stack[stack.length - 1]!;
    if (xml.startsWith("<?", pos)) {
      const end = xml.indexOf("?>", pos);
      if (end < 0) fail("Unterminated processing instruction");
      pos = end + 2;
    } else if (xml.startsWith("<!--", pos)) {
      const end = xml.indexOf("-->", pos);
      if (end < 0) fail("Unterminated comment");
      pos = end + 3;
    } else if (xml.startsWith("<![CDATA[", pos)) {
      const end = xml.indexOf("]]>", pos);
      if (end < 0) fail("Unterminated CDATA section");
      current.children.push(xml.slice(pos + 9, end));
      pos = end + 3;
    } else if (xml.startsWith("<!", pos)) {
      fail("DOCTYPE and other declarations are not LaML");
    } else if (xml.startsWith("</", pos)) {
      NAME.lastIndex = pos + 2;
      const match = NAME.exec(xml);
      if (!match) fail("Malformed closing tag");
      const name = match[0];
      if (name !== current.name) fail(`Closing </${name}> does not match <${current.name}>`);
      pos = NAME.lastIndex;
      while (/\s/.test(xml[pos] ?? "")) pos += 1;
      if (xml[pos] !== ">") fail(`Malformed closing tag </${name}`);
      pos += 1;
      stack.pop();
    } else if (xml[pos] === "<") {
      NAME.lastIndex = pos + 1;
      const match = NAME.exec(xml);
      if (!match) fail("Malformed tag");
      const element: LamlElement = { name: match[0], attrs: {}, children: [] };
      pos = NAME.lastIndex;
      for (;;) {
        ATTRIBUTE.lastIndex = pos;
        const attr = ATTRIBUTE.exec(xml);
        if (!attr) break;
        const [, attrName, , doubleQuoted, singleQuoted] = attr;
        if (attrName! in element.attrs) fail(`Duplicate attribute ${attrName} on <${element.name}>`);
        element.attrs[attrName!] = decodeEntities(doubleQuoted ?? singleQuoted ?? "", pos);
        pos = ATTRIBUTE.lastIndex;
      }
      while (/\s/.test(xml[pos] ?? "")) pos += 1;
      current.children.push(element);
      if (xml.startsWith("/>", pos)) {
        pos += 2;
      } else if (xml[pos] === ">") {
        pos += 1;
        stack.push(element);
      } else {
        fail(`Malformed attributes on <${element.name}>`);
      }
    } else {
      const next = xml.indexOf("<", pos);
      const end = next < 0 ? xml.length : next;
      const raw = xml.slice(pos, end);
      if (stack.length === 1) {
        if (raw.trim() !== "") fail("Text outside the root element");
      } else {
        current.children.push(decodeEntities(raw, pos));
      }
      pos = end;
    }
  }

  if (stack.length > 1) throw new LamlParseError(`Unclosed <${stack[stack.length - 1]!.name}> at end of document`);
  const elements = root.children.filter((node): node is LamlElement => typeof node !== "string");
  if (elements.length !== 1) throw new LamlParseError(`A document has exactly one root element, found ${elements.length}`);
  const [top] = elements;
  if (top!.name !== "Response") throw new LamlParseError(`The root element is <${top!.name}>, not <Response>`);
  return top!;
}

/** The element's text with whitespace collapsed, as a verb such as <Say> or <Redirect> reads it. */
export function textOf(element: LamlElement): string {
  return element.children
    .filter((node): node is string => typeof node === "string")
    .join("")
    .replace(/\s+/g, " ")
    .trim();
}

export function childElements(element: LamlElement): LamlElement[] {
  return element.children.filter((node): node is LamlElement => typeof node !== "string");
}
