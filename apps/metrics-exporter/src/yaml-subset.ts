// Reads the block-style YAML that `kubectl kustomize` prints and that infra/ is written in: maps,
// sequences, plain and quoted scalars, literal blocks (| and |-), empty {} and []. Anything else
// (anchors, flow collections, folded blocks, multi-line plain scalars) throws, so a test built on
// it fails loudly instead of reading a file wrongly. Used only by the infra tests.

interface Line {
  indent: number;
  text: string;
  raw: string;
}

export function parseYamlDocuments(source: string): unknown[] {
  const docs: unknown[] = [];
  for (const chunk of source.split(/^---[ \t]*$/m)) {
    const lines = chunk.split('\n').map((raw) => {
      const text = raw.trimStart();
      return { indent: raw.length - text.length, text: text.trimEnd(), raw };
    });
    const parser = new Parser(lines);
    const doc = parser.document();
    if (doc !== undefined) docs.push(doc);
  }
  return docs;
}

function isBlank(line: Line): boolean {
  return line.text === '' || line.text.startsWith('#');
}

function isDash(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

class Parser {
  #i = 0;

  constructor(private readonly lines: Line[]) {}

  document(): unknown {
    this.#skipBlank();
    if (this.#i >= this.lines.length) return undefined;
    const value = this.#block(this.lines[this.#i]!.indent);
    this.#skipBlank();
    if (this.#i < this.lines.length) this.#fail('unexpected content');
    return value;
  }

  #skipBlank(): void {
    while (this.#i < this.lines.length && isBlank(this.lines[this.#i]!)) this.#i++;
  }

  #fail(message: string): never {
    const line = this.lines[this.#i];
    throw new Error(`yaml: ${message} at line ${this.#i + 1}: ${JSON.stringify(line?.raw ?? '')}`);
  }

  #block(indent: number): unknown {
    this.#skipBlank();
    const line = this.lines[this.#i]!;
    if (line.indent !== indent) this.#fail(`expected indentation ${indent}`);
    return isDash(line.text) ? this.#sequence(indent) : this.#map(indent);
  }

  #sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (this.#skipBlank(); this.#i < this.lines.length; this.#skipBlank()) {
      const line = this.lines[this.#i]!;
      if (line.indent < indent || (line.indent === indent && !isDash(line.text))) break;
      if (line.indent > indent || !isDash(line.text)) this.#fail('unexpected indentation in a sequence');
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.#i++;
        this.#skipBlank();
        const next = this.lines[this.#i];
        if (!next || next.indent <= indent) out.push(null);
        else out.push(this.#block(next.indent));
        continue;
      }
      const inner = indent + (line.text.length - rest.length);
      if (isDash(rest) || entry(rest)) {
        this.lines[this.#i] = { indent: inner, text: rest, raw: line.raw };
        out.push(this.#block(inner));
      } else {
        this.#i++;
        out.push(this.#scalar(rest));
      }
    }
    return out;
  }

  #map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (this.#skipBlank(); this.#i < this.lines.length; this.#skipBlank()) {
      const line = this.lines[this.#i]!;
      if (line.indent < indent || isDash(line.text)) {
        if (line.indent === indent && isDash(line.text)) this.#fail('sequence item where a key was expected');
        break;
      }
      if (line.indent > indent) this.#fail('unexpected indentation');
      const kv = entry(line.text) ?? this.#fail('expected "key: value"');
      if (Object.hasOwn(out, kv.key)) this.#fail(`duplicate key '${kv.key}'`);
      this.#i++;
      if (kv.value === '') {
        this.#skipBlank();
        const next = this.lines[this.#i];
        if (next && (next.indent > indent || (next.indent === indent && isDash(next.text)))) {
          out[kv.key] = this.#block(next.indent);
        } else {
          out[kv.key] = null;
        }
      } else if (kv.value === '|' || kv.value === '|-') {
        out[kv.key] = this.#literal(indent, kv.value === '|-');
      } else {
        out[kv.key] = this.#scalar(kv.value);
      }
    }
    return out;
  }

  #literal(parentIndent: number, strip: boolean): string {
    const body: string[] = [];
    let contentIndent: number | undefined;
    while (this.#i < this.lines.length) {
      const line = this.lines[this.#i]!;
      if (line.text !== '') {
        if (line.indent <= parentIndent) break;
        contentIndent ??= line.indent;
        if (line.indent < contentIndent) this.#fail('literal block line less indented than its first line');
      }
      body.push(line.text === '' ? '' : line.raw.slice(contentIndent));
      this.#i++;
    }
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    return body.join('\n') + (strip ? '' : '\n');
  }

  #scalar(text: string): unknown {
    if (text === '{}') return {};
    if (text === '[]') return [];
    if (text.startsWith("'")) {
      if (!/^'(?:[^']|'')*'$/.test(text)) this.#fail('unterminated single-quoted string');
      return text.slice(1, -1).replaceAll("''", "'");
    }
    if (text.startsWith('"')) {
      try {
        return JSON.parse(text) as string;
      } catch {
        this.#fail('unsupported double-quoted string');
      }
    }
    if (/^[[{&*!|>%@`]/.test(text)) this.#fail(`unsupported YAML syntax '${text}'`);
    if (text === 'true' || text === 'false') return text === 'true';
    if (text === 'null' || text === '~') return null;
    if (/^-?\d+$/.test(text)) return Number(text);
    if (/^-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
    if (text.includes(' #')) this.#fail('comments after values are not supported');
    return text;
  }
}

function entry(text: string): { key: string; value: string } | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const close = text.indexOf(text[0]!, 1);
    if (close < 0 || text[close + 1] !== ':') return undefined;
    key = text.slice(1, close);
    rest = text.slice(close + 2);
  } else {
    const m = /^([^\s:][^:]*?):(?: |$)/.exec(text);
    if (!m) return undefined;
    key = m[1]!;
    rest = text.slice(m[0].length);
  }
  return { key, value: rest.trim() };
}
