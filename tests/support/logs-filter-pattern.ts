// Test helper: CloudWatch Logs filter patterns for JSON log events, written from AWS's "Filter
// pattern syntax for metric filters" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html;
// its source: awsdocs/amazon-cloudwatch-logs-user-guide doc_source/FilterAndPatternSyntax.md).
// Its own tests (tests/support/logs-filter-pattern.test.ts) are that page's examples.
//
// Supported, as the page describes:
//   { $.selector = value }, !=, and for numbers <, >, <=, >=; values quoted or bare; "*" wildcards
//   in strings ("AccessDenied*", "*UnauthorizedOperation", "*"); selectors $.a.b, $.a[0].b, $.a[0][1];
//   IS NULL / IS TRUE / IS FALSE; NOT EXISTS; && and || with parentheses, && binding tighter.
// A selector that points to an object or array, or to nothing, makes its comparison false (the page:
// "If a property selector points to an array or object, the metric filter won't match"); only
// NOT EXISTS matches an absent field. Anything else in the pattern throws, naming the position.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class FilterPatternError extends Error {}

type Node =
  | { kind: "and" | "or"; left: Node; right: Node }
  | { kind: "compare"; selector: Step[]; op: string; value: { text: string; quoted: boolean } }
  | { kind: "is"; selector: Step[]; what: "NULL" | "TRUE" | "FALSE" }
  | { kind: "notExists"; selector: Step[] };

type Step = string | number;

/** Parses once; the returned function evaluates a JSON log event (an object or its JSON text). */
export function compileFilterPattern(pattern: string): (event: unknown) => boolean {
  const p = new Parser(pattern);
  const ast = p.parseTop();
  return (event) => evaluate(ast, typeof event === "string" ? (JSON.parse(event) as Json) : (event as Json));
}

export function matchesFilterPattern(pattern: string, event: unknown): boolean {
  return compileFilterPattern(pattern)(event);
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseTop(): Node {
    this.ws();
    this.expect("{");
    const node = this.parseOr();
    this.ws();
    this.expect("}");
    this.ws();
    if (this.i !== this.s.length) this.fail("text after the closing brace");
    return node;
  }

  private parseOr(): Node {
    let left = this.parseAnd();
    for (;;) {
      this.ws();
      if (!this.s.startsWith("||", this.i)) return left;
      this.i += 2;
      left = { kind: "or", left, right: this.parseAnd() };
    }
  }

  private parseAnd(): Node {
    let left = this.parseTerm();
    for (;;) {
      this.ws();
      if (!this.s.startsWith("&&", this.i)) return left;
      this.i += 2;
      left = { kind: "and", left, right: this.parseTerm() };
    }
  }

  private parseTerm(): Node {
    this.ws();
    if (this.s[this.i] === "(") {
      this.i++;
      const inner = this.parseOr();
      this.ws();
      this.expect(")");
      return inner;
    }
    const selector = this.parseSelector();
    this.ws();
    const rest = this.s.slice(this.i);
    const is = /^IS\s+(NULL|TRUE|FALSE)\b/.exec(rest);
    if (is) {
      this.i += is[0].length;
      return { kind: "is", selector, what: is[1] as "NULL" | "TRUE" | "FALSE" };
    }
    const notExists = /^NOT\s+EXISTS\b/.exec(rest);
    if (notExists) {
      this.i += notExists[0].length;
      return { kind: "notExists", selector };
    }
    const op = /^(!=|>=|<=|=|<|>)/.exec(rest);
    if (!op) this.fail("an operator (=, !=, <, >, <=, >=, IS NULL/TRUE/FALSE, NOT EXISTS)");
    this.i += op![0].length;
    this.ws();
    return { kind: "compare", selector, op: op![0], value: this.parseValue() };
  }

  private parseSelector(): Step[] {
    if (!this.s.startsWith("$.", this.i)) this.fail('a property selector starting with "$."');
    this.i += 2;
    const steps: Step[] = [];
    for (;;) {
      const name = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i));
      if (!name) this.fail("a property name");
      steps.push(name![0]);
      this.i += name![0].length;
      for (;;) {
        const index = /^\[(\d+)\]/.exec(this.s.slice(this.i));
        if (!index) break;
        steps.push(Number(index[1]));
        this.i += index[0].length;
      }
      if (this.s[this.i] !== ".") return steps;
      this.i++;
    }
  }

  private parseValue(): { text: string; quoted: boolean } {
    if (this.s[this.i] === '"') {
      let text = "";
      this.i++;
      while (this.i < this.s.length && this.s[this.i] !== '"') {
        if (this.s[this.i] === "\\" && this.i + 1 < this.s.length) this.i++;
        text += this.s[this.i++];
      }
      this.expect('"');
      return { text, quoted: true };
    }
    const bare = /^[^\s()&|}]+/.exec(this.s.slice(this.i));
    if (!bare) this.fail("a value");
    this.i += bare![0].length;
    return { text: bare![0], quoted: false };
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private expect(c: string): void {
    if (this.s[this.i] !== c) this.fail(`"${c}"`);
    this.i++;
  }

  private fail(what: string): never {
    throw new FilterPatternError(`filter pattern ${JSON.stringify(this.s)}: expected ${what} at position ${this.i}`);
  }
}

function select(event: Json, steps: Step[]): Json | undefined {
  let cur: Json | undefined = event;
  for (const step of steps) {
    if (typeof step === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step];
    } else {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
      cur = Object.prototype.hasOwnProperty.call(cur, step) ? cur[step] : undefined;
    }
  }
  return cur;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
      .join(".*")}$`,
    "s",
  );
}

function evaluate(node: Node, event: Json): boolean {
  switch (node.kind) {
    case "and":
      return evaluate(node.left, event) && evaluate(node.right, event);
    case "or":
      return evaluate(node.left, event) || evaluate(node.right, event);
    case "notExists":
      return select(event, node.selector) === undefined;
    case "is": {
      const v = select(event, node.selector);
      return node.what === "NULL" ? v === null : node.what === "TRUE" ? v === true : v === false;
    }
    case "compare": {
      const v = select(event, node.selector);
      if (v === undefined || v === null || typeof v === "object") return false;
      const { text, quoted } = node.value;
      if (!quoted && NUMBER.test(text) && typeof v === "number") {
        const n = Number(text);
        switch (node.op) {
          case "=":
            return v === n;
          case "!=":
            return v !== n;
          case "<":
            return v < n;
          case ">":
            return v > n;
          case "<=":
            return v <= n;
          default:
            return v >= n;
        }
      }
      if (node.op !== "=" && node.op !== "!=") return false;
      const equal = wildcard(text).test(String(v));
      return node.op === "=" ? equal : !equal;
    }
  }
}
