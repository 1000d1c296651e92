import { createHash } from "node:crypto";
import type { SpeechMetadata } from "./speech-metadata";

/**
 * The transcriber stand-in's "model": from the speech metadata found in downloaded audio and
 * the request's parameters, the fields of AssemblyAI's transcript object (words, utterances,
 * sentiment, entities, redaction, translation). Pure and deterministic; honest about being
 * simulated (the model name says so, and untranslatable text is marked `[es] …`).
 *
 * Shapes follow the assemblyai SDK's types (Transcript, TranscriptWord, TranscriptUtterance,
 * SentimentAnalysisResult, Entity): times in ms, confidences 0..1, speakers as AssemblyAI labels
 * them — "A", "B"… in order of first speech with speaker_labels; the channel number ("1", "2")
 * with multichannel, combined with a letter ("1A") when both are asked; null with neither (and
 * then no utterances, as AssemblyAI returns none).
 */

export const SIMULATED_MODEL = "verbatim-simulated-transcriber";

export interface ModelParams {
  speaker_labels?: boolean | null;
  multichannel?: boolean | null;
  language_detection?: boolean | null;
  sentiment_analysis?: boolean | null;
  entity_detection?: boolean | null;
  redact_pii?: boolean | null;
  redact_pii_policies?: string[] | null;
  redact_pii_sub?: "entity_name" | "hash" | null;
  redact_pii_return_unredacted?: boolean | null;
  target_languages?: string[];
}

export interface Word {
  text: string;
  start: number;
  end: number;
  confidence: number;
  speaker: string | null;
  channel?: string;
}

export interface Utterance {
  speaker: string;
  text: string;
  start: number;
  end: number;
  confidence: number;
  words: Word[];
  channel?: string;
}

export interface SentimentResult {
  text: string;
  start: number;
  end: number;
  sentiment: "POSITIVE" | "NEUTRAL" | "NEGATIVE";
  confidence: number;
  speaker: string | null;
  channel?: string;
}

export interface Entity {
  entity_type: "phone_number" | "person_name" | "credit_card_number";
  text: string;
  start: number;
  end: number;
}

export interface ModelResult {
  text: string;
  words: Word[];
  utterances: Utterance[] | null;
  confidence: number;
  language_code: string;
  language_confidence: number | null;
  sentiment_analysis_results: SentimentResult[] | null;
  entities: Entity[] | null;
  translated_texts: Record<string, string> | null;
  unredacted?: { text: string; words: Word[]; utterances: Utterance[] | null };
  /** Spans (ms) to silence in redacted audio. */
  redactedSpans: Array<{ start: number; end: number }>;
}

interface Token {
  text: string;
  start: number;
  end: number;
  channel: number;
  turn: number;
  speakerKey: string;
  entity?: number;
}

export function transcribe(meta: SpeechMetadata, audioChannels: number, params: ModelParams): ModelResult {
  const multichannel = Boolean(params.multichannel) && audioChannels > 1;
  const turns = [...meta.turns].map((t, i) => ({ ...t, i })).sort((a, b) => a.startMs - b.startMs || a.i - b.i);

  // Speaker labels: letters by order of first speech (per channel when multichannel).
  const letters = new Map<string, string>();
  const labelOf = (turn: (typeof turns)[number]): string | null => {
    const key = multichannel ? `${turn.channel}/${turn.speaker}` : turn.speaker;
    if (!letters.has(key)) {
      const used = [...letters.keys()].filter((k) => !multichannel || k.startsWith(`${turn.channel}/`)).length;
      letters.set(key, String.fromCharCode(65 + used));
    }
    const letter = letters.get(key)!;
    if (multichannel) return params.speaker_labels ? `${turn.channel}${letter}` : String(turn.channel);
    return params.speaker_labels ? letter : null;
  };

  const tokens: Token[] = [];
  const speakers: Array<string | null> = [];
  turns.forEach((turn, index) => {
    speakers.push(labelOf(turn));
    for (const word of turn.words) {
      tokens.push({ text: word.text, start: word.startMs, end: Math.max(word.startMs, word.endMs), channel: turn.channel, turn: index, speakerKey: turn.speaker });
    }
  });
  // Words in time order across turns (both channels of a call interleave).
  const order = tokens.map((t, i) => ({ t, i })).sort((a, b) => a.t.start - b.t.start || a.i - b.i);

  const entities = detectEntities(tokens);
  const policies = new Set(params.redact_pii_policies ?? []);
  const redacted = params.redact_pii ? entities.filter((e) => policies.has(e.entity_type)) : [];
  const redactedIds = new Set(redacted.map((e) => e.id));

  const wordOf = (token: Token, text = token.text): Word => ({
    text,
    start: token.start,
    end: token.end,
    confidence: confidenceOf(token.text),
    speaker: speakers[token.turn] ?? null,
    ...(multichannel ? { channel: String(token.channel) } : {}),
  });

  // Redacted words: an entity's words become one word spanning them (entity_name) or each word
  // hashed (hash), keeping the last word's trailing punctuation.
  const redactWords = (list: Token[]): Word[] => {
    const out: Word[] = [];
    for (let i = 0; i < list.length; i += 1) {
      const token = list[i]!;
      if (token.entity === undefined || !redactedIds.has(token.entity)) {
        out.push(wordOf(token));
        continue;
      }
      const entity = entities.find((e) => e.id === token.entity)!;
      if (params.redact_pii_sub === "hash") {
        out.push(wordOf(token, token.text.replace(/[\p{L}\p{N}]/gu, "#")));
        continue;
      }
      let j = i;
      while (j + 1 < list.length && list[j + 1]!.entity === token.entity) j += 1;
      const lastText = list[j]!.text;
      const trailing = /[^\p{L}\p{N}]*$/u.exec(lastText)![0];
      out.push({ ...wordOf(token, `[${entity.entity_type.toUpperCase()}]${trailing}`), end: list[j]!.end });
      i = j;
    }
    return out;
  };

  const build = (redact: boolean) => {
    const words = redact ? redactWords(order.map((o) => o.t)) : order.map((o) => wordOf(o.t));
    const utterances = multichannel || params.speaker_labels
      ? turns
          .map((turn, index) => {
            const own = tokens.filter((t) => t.turn === index);
            const uw = redact ? redactWords(own) : own.map((t) => wordOf(t));
            return {
              speaker: speakers[index]!,
              text: uw.map((w) => w.text).join(" "),
              start: uw[0]?.start ?? turn.startMs,
              end: uw.at(-1)?.end ?? turn.endMs,
              confidence: mean(uw.map((w) => w.confidence)),
              words: uw,
              ...(multichannel ? { channel: String(turn.channel) } : {}),
            };
          })
          .filter((u) => u.words.length > 0)
      : null;
    return { text: words.map((w) => w.text).join(" "), words, utterances };
  };

  const main = build(redacted.length > 0);
  const sentences = sentencesOf(main.utterances ?? [{ speaker: null, words: main.words }]);

  return {
    text: main.text,
    words: main.words,
    utterances: main.utterances,
    confidence: main.words.length ? mean(main.words.map((w) => w.confidence)) : 0,
    language_code: params.language_detection ? "en" : "en_us",
    language_confidence: params.language_detection ? 0.99 : null,
    sentiment_analysis_results: params.sentiment_analysis
      ? sentences.map((s) => ({ ...s, ...sentimentOf(s.text) }))
      : null,
    entities: params.entity_detection
      ? entities.map((e) => ({
          entity_type: e.entity_type,
          text: redactedIds.has(e.id) ? `[${e.entity_type.toUpperCase()}]` : e.text,
          start: e.start,
          end: e.end,
        }))
      : null,
    translated_texts: params.target_languages?.length
      ? Object.fromEntries(params.target_languages.map((lang) => [lang, translate(sentences.map((s) => s.text), lang)]))
      : null,
    ...(redacted.length > 0 && params.redact_pii_return_unredacted ? { unredacted: build(false) } : {}),
    redactedSpans: redacted.map((e) => ({ start: e.start, end: e.end })),
  };
}

// ---------------------------------------------------------------------------------------------
// Entities: phone numbers and card numbers from runs of digits, names from a short list.

const NAMES = new Set([
  "John", "Jane", "Maria", "Mary", "James", "Robert", "Linda", "Michael", "Sarah", "David", "Emma", "Olivia", "Liam", "Noah",
  "Carlos", "Sofia", "Alex", "Sam", "Priya", "Wei", "Ahmed", "Fatima", "Smith", "Johnson", "Garcia", "Martinez", "Brown",
  "Davis", "Miller", "Wilson", "Lee", "Patel", "Nguyen", "Kim", "Chen", "Rodriguez", "Lopez",
]);

interface FoundEntity extends Entity {
  id: number;
}

function detectEntities(tokens: Token[]): FoundEntity[] {
  const found: FoundEntity[] = [];
  const core = (text: string) => text.replace(/^[^\p{L}\p{N}+(]+|[^\p{L}\p{N})]+$/gu, "");
  const add = (type: Entity["entity_type"], from: number, to: number) => {
    const id = found.length;
    for (let k = from; k <= to; k += 1) tokens[k]!.entity = id;
    const text = tokens
      .slice(from, to + 1)
      .map((t) => core(t.text))
      .join(" ");
    found.push({ id, entity_type: type, text, start: tokens[from]!.start, end: tokens[to]!.end });
  };
  let i = 0;
  while (i < tokens.length) {
    const isDigits = (k: number) => k < tokens.length && tokens[k]!.turn === tokens[i]!.turn && /^[+(]?\d[\d\-().]*$/.test(core(tokens[k]!.text));
    if (isDigits(i)) {
      let j = i;
      let digits = core(tokens[i]!.text).replace(/\D/g, "").length;
      // A run continues across words until a word ends in sentence punctuation.
      while (!/[.,;:?!]$/.test(tokens[j]!.text) && isDigits(j + 1)) {
        j += 1;
        digits += core(tokens[j]!.text).replace(/\D/g, "").length;
      }
      if (digits >= 13 && digits <= 19) add("credit_card_number", i, j);
      else if (digits >= 7 && digits <= 12) add("phone_number", i, j);
      i = j + 1;
      continue;
    }
    if (NAMES.has(core(tokens[i]!.text))) {
      let j = i;
      while (j + 1 < tokens.length && tokens[j + 1]!.turn === tokens[i]!.turn && !/[.,;:?!]$/.test(tokens[j]!.text) && NAMES.has(core(tokens[j + 1]!.text))) j += 1;
      add("person_name", i, j);
      i = j + 1;
      continue;
    }
    i += 1;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Sentences and sentiment

function sentencesOf(utterances: Array<Pick<Utterance, "words" | "channel"> & { speaker: string | null }>): Array<Omit<SentimentResult, "sentiment" | "confidence">> {
  const out: Array<Omit<SentimentResult, "sentiment" | "confidence">> = [];
  for (const utterance of utterances) {
    let current: Word[] = [];
    const flush = () => {
      if (current.length === 0) return;
      out.push({
        text: current.map((w) => w.text).join(" "),
        start: current[0]!.start,
        end: current.at(-1)!.end,
        speaker: utterance.speaker,
        ...(utterance.channel ? { channel: utterance.channel } : {}),
      });
      current = [];
    };
    for (const word of utterance.words) {
      current.push(word);
      if (/[.?!]["')\]]*$/.test(word.text)) flush();
    }
    flush();
  }
  return out;
}

const POSITIVE = new Set(["yes", "thank", "thanks", "great", "happy", "glad", "welcome", "sure", "love", "excellent", "wonderful", "good", "perfect", "pleased", "appreciate", "available", "absolutely", "help", "gladly"]);
const NEGATIVE = new Set(["no", "not", "sorry", "unfortunately", "cannot", "cant", "unable", "closed", "bad", "terrible", "busy", "never", "problem", "hate", "angry", "wont", "dont", "full"]);

function sentimentOf(text: string): { sentiment: SentimentResult["sentiment"]; confidence: number } {
  const words = text.toLowerCase().replace(/['\u2019]/g, "").split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const score = words.filter((w) => POSITIVE.has(w)).length - words.filter((w) => NEGATIVE.has(w)).length;
  const sentiment = score > 0 ? "POSITIVE" : score < 0 ? "NEGATIVE" : "NEUTRAL";
  return { sentiment, confidence: Math.min(0.99, 0.6 + 0.1 * Math.abs(score)) };
}

// ---------------------------------------------------------------------------------------------
// Translation: a phrase book for the demo's lines, everything else marked as untranslated.

const PHRASES: Record<string, Record<string, string>> = {
  es: {
    "hello, this is the front desk.": "Hola, habla la recepción.",
    "yes, we have appointments on tuesday.": "Sí, tenemos citas el martes.",
    "hi, i am calling to ask whether you have any appointments next week.": "Hola, llamo para preguntar si tienen citas la próxima semana.",
    "thank you for calling.": "Gracias por llamar.",
    "thank you.": "Gracias.",
    "goodbye.": "Adiós.",
    "this call is recorded for quality and evidence.": "Esta llamada se graba por calidad y como evidencia.",
    "yes, we can see you on tuesday at ten.": "Sí, podemos atenderle el martes a las diez.",
    "how can i help you?": "¿En qué puedo ayudarle?",
    "sorry, we are fully booked.": "Lo siento, no tenemos disponibilidad.",
    // The shopper numbers' called parties (scenarios.ts).
    "good morning, riverside clinic front desk, this is dana.": "Buenos días, recepción de la Clínica Riverside, le atiende Dana.",
    "yes, we have an appointment on tuesday at ten.": "Sí, tenemos una cita el martes a las diez.",
    "can i book it for you?": "¿Se la reservo?",
    "we are busy right now.": "Ahora mismo estamos ocupados.",
    "i do not know.": "No lo sé.",
    "call back later.": "Vuelva a llamar más tarde.",
    "the nurse was very kind.": "La enfermera fue muy amable.",
    "no comment.": "Sin comentarios.",
  },
};

function translate(sentences: string[], lang: string): string {
  const book = PHRASES[lang] ?? {};
  return sentences.map((s) => book[s.toLowerCase()] ?? `[${lang}] ${s}`).join(" ");
}

// ---------------------------------------------------------------------------------------------

function confidenceOf(text: string): number {
  const h = createHash("sha256").update(text).digest();
  return Math.round((0.86 + (h[0]! / 255) * 0.13) * 1000) / 1000;
}

function mean(values: number[]): number {
  return values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000 : 0;
}
