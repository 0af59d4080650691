// EDI_GROUP_FILTER has one meaning: the server applies it (`$regex`, PCRE) to choose what the
// stream and the catch-up scan read, and JavaScript (RegExp) reads it in the in-memory twin and
// as a cross-check. The two dialects agree only on a common core, so the filter must stay in it:
// literals, escaped metacharacters, `.`, `\d` `\w` (and `\D` `\W`), character classes of
// literals and ranges, `^` `$`, `|`, `( )` and `(?: )`, and the quantifiers `* + ? {n} {n,}
// {n,m}` (each optionally lazy). Everything else is refused rather than guessed at, e.g. POSIX
// classes `[[:upper:]]` (PCRE only: JavaScript reads a class of `[:uper` then a literal `]`),
// `\s` / `\b` / `\p{..}` / backreferences (their sets or syntax differ), inline flags `(?i)`,
// lookarounds, possessive quantifiers `a*+`, `{,n}`, and any non-ASCII character.
//
// `.`, `$`, `\d` and `\w` differ between the dialects only on line terminators and non-ASCII
// text, which a valid group_id (^[A-Z0-9_]{1,20}$) never holds.

/** Why a filter is refused, with the 1-based position of the offending character. */
export interface PortableRegexProblem {
  readonly position: number;
  readonly message: string;
}

export const PORTABLE_REGEX_RULE =
  "use only literals, escaped metacharacters (\\. \\( …), ., \\d \\w, [a-z0-9_] classes, ^ $, |, ( ) (?: ), " +
  "and * + ? {n} {n,} {n,m}";

const MAX_LENGTH = 200;
/** Characters with a meaning outside a class: a literal one must be escaped. */
const META = new Set(["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]);
/** What may follow a backslash and stand for itself (the metacharacters, plus `/` and `-`). */
const ESCAPABLE = new Set([...META, "/", "-"]);
const SHORTHANDS = new Set(["d", "D", "w", "W"]);

/** Null when `source` is in the common core; else the first problem found. */
export function checkPortableRegex(source: string): PortableRegexProblem | null {
  if (source.length === 0) return { position: 1, message: "must not be empty" };
  if (source.length > MAX_LENGTH)
    return { position: MAX_LENGTH + 1, message: `longer than ${MAX_LENGTH} characters` };
  try {
    new RegExp(source);
  } catch {
    return { position: 1, message: "is not a valid regular expression" };
  }
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return { position: i + 1, message: "has a control or non-ASCII character" };
  }
  return new Checker(source).run();
}

class Checker {
  private i = 0;
  private depth = 0;
  /** A quantifier may follow: the last thing read was an atom. */
  private atom = false;

  constructor(private readonly s: string) {}

  private fail(message: string, at = this.i): PortableRegexProblem {
    return { position: at + 1, message };
  }

  run(): PortableRegexProblem | null {
    const s = this.s;
    while (this.i < s.length) {
      const ch = s[this.i] as string;
      const problem =
        ch === "\\"
          ? this.escape()
          : ch === "["
            ? this.charClass()
            : ch === "("
              ? this.open()
              : ch === ")"
                ? this.close()
                : ch === "*" || ch === "+" || ch === "?" || ch === "{"
                  ? this.quantifier()
                  : ch === "]" || ch === "}"
                    ? this.fail(`has an unescaped '${ch}' (write \\${ch})`)
                    : this.plain(ch);
      if (problem) return problem;
    }
    if (this.depth !== 0) return this.fail("has an unclosed group");
    return null;
  }

  private plain(ch: string): null {
    // `^`, `$` and `|` are not atoms: nothing may be quantified right after them.
    this.atom = ch !== "^" && ch !== "$" && ch !== "|";
    this.i++;
    return null;
  }

  private escape(): PortableRegexProblem | null {
    const next = this.s[this.i + 1];
    if (next === undefined) return this.fail("ends with a lone backslash");
    if (!ESCAPABLE.has(next) && !SHORTHANDS.has(next))
      return this.fail(`has the escape \\${next}, which JavaScript and MongoDB read differently`);
    this.i += 2;
    this.atom = true;
    return null;
  }

  private open(): PortableRegexProblem | null {
    if (this.s[this.i + 1] === "?") {
      if (this.s[this.i + 2] !== ":")
        return this.fail("has a (? construct other than (?: (inline flags, lookarounds, named groups)");
      this.i += 3;
    } else this.i++;
    this.depth++;
    this.atom = false;
    return null;
  }

  private close(): PortableRegexProblem | null {
    if (this.depth === 0) return this.fail("has an unmatched ')'");
    this.depth--;
    this.i++;
    this.atom = true;
    return null;
  }

  private quantifier(): PortableRegexProblem | null {
    const start = this.i;
    if (!this.atom) return this.fail("has a quantifier with nothing to repeat");
    if (this.s[this.i] === "{") {
      const m = /^\{(\d{1,4})(,(\d{1,4})?)?\}/.exec(this.s.slice(this.i));
      if (!m)
        return this.fail("has a '{' that is not a quantifier {n} {n,} {n,m} (write \\{ for the character)");
      if (m[3] !== undefined && Number(m[3]) < Number(m[1]))
        return this.fail("has a quantifier {n,m} with m < n");
      this.i += m[0].length;
    } else this.i++;
    if (this.s[this.i] === "?") this.i++;
    const after = this.s[this.i];
    if (after === "*" || after === "+" || after === "?" || after === "{")
      return this.fail("has a quantifier after a quantifier (possessive or nested)", start);
    this.atom = false;
    return null;
  }

  private charClass(): PortableRegexProblem | null {
    const start = this.i;
    this.i++;
    if (this.s[this.i] === "^") this.i++;
    if (this.s[this.i] === "]") return this.fail("has an empty class or a class starting with ']'");
    let members = 0;
    let prevLiteral: string | undefined;
    while (this.i < this.s.length) {
      const ch = this.s[this.i] as string;
      if (ch === "]") {
        if (members === 0) return this.fail("has an empty class");
        this.i++;
        this.atom = true;
        return null;
      }
      if (ch === "[")
        return this.fail("has '[' inside a class (POSIX [:name:] classes are PCRE only; write \\[)");
      let literal: string | undefined;
      if (ch === "\\") {
        const next = this.s[this.i + 1];
        if (next === undefined) return this.fail("ends with a lone backslash");
        if (SHORTHANDS.has(next)) literal = undefined;
        else if (ESCAPABLE.has(next)) literal = next;
        else
          return this.fail(
            `has the escape \\${next} in a class, which JavaScript and MongoDB read differently`,
          );
        this.i += 2;
      } else if (ch === "-" && members > 0 && this.s[this.i + 1] !== "]") {
        // A range, between two plain characters; a '-' elsewhere (after \d, after a range) is
        // read differently by the two dialects, so it must be first, last or escaped.
        const end = this.s[this.i + 1] as string;
        if (prevLiteral === undefined || end === "\\" || end === "[")
          return this.fail(
            "has a '-' that is neither a range between two characters nor first or last (write \\-)",
          );
        if (end.charCodeAt(0) < prevLiteral.charCodeAt(0)) return this.fail("has a range out of order");
        this.i += 2;
        literal = undefined;
      } else {
        literal = ch;
        this.i++;
      }
      prevLiteral = literal;
      members++;
    }
    return this.fail("has an unclosed '['", start);
  }
}
