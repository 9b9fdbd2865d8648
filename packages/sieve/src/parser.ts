// RFC 5228 §8.2 grammar: commands, arguments, tests, test-lists and blocks, into the syntax tree.
import type { Argument, Command, Script, Test } from './ast.js';
import { SieveSyntaxError, tokenize, type Token } from './lexer.js';

/** Deepest nesting of blocks and tests; a deeper script is refused instead of exhausting the stack. */
export const MAX_NESTING = 64;

export function parseScript(source: string): Script {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (): Token => tokens[at]!;
  const next = (): Token => tokens[at++]!;
  const isSpecial = (text: string): boolean => {
    const t = peek();
    return t.type === 'special' && t.text === text;
  };
  const describe = (t: Token): string =>
    t.type === 'end' ? 'end of script' : t.type === 'string' ? 'a string' : t.type === 'number' ? 'a number' : t.type === 'tag' ? `":${t.text}"` : `"${t.text}"`;
  const expect = (text: string, what: string): void => {
    const t = next();
    if (t.type !== 'special' || t.text !== text) throw new SieveSyntaxError(`expected ${what} but found ${describe(t)}`, t.pos);
  };

  const commands = (depth: number, inBlock: boolean): Command[] => {
    const list: Command[] = [];
    for (;;) {
      const t = peek();
      if (t.type === 'end') {
        if (inBlock) throw new SieveSyntaxError('expected "}" but found end of script', t.pos);
        return list;
      }
      if (inBlock && isSpecial('}')) return list;
      list.push(command(depth));
    }
  };

  const command = (depth: number): Command => {
    const t = next();
    if (t.type !== 'identifier') throw new SieveSyntaxError(`expected a command but found ${describe(t)}`, t.pos);
    if (depth > MAX_NESTING) throw new SieveSyntaxError(`blocks nested deeper than ${MAX_NESTING}`, t.pos);
    const { args, tests } = argumentsOf(depth);
    if (isSpecial(';')) {
      next();
      return { name: t.text, pos: t.pos, args, tests, block: null };
    }
    if (isSpecial('{')) {
      next();
      const block = commands(depth + 1, true);
      expect('}', '"}"');
      return { name: t.text, pos: t.pos, args, tests, block };
    }
    const after = peek();
    throw new SieveSyntaxError(`expected ";" or "{" after ${t.text} but found ${describe(after)}`, after.pos);
  };

  // RFC 5228 §8.2: arguments = *argument [ test / test-list ]
  const argumentsOf = (depth: number): { args: Argument[]; tests: Test[] } => {
    const args: Argument[] = [];
    for (;;) {
      const t = peek();
      if (t.type === 'string') {
        next();
        args.push({ kind: 'string', value: t.text, multiline: t.multiline, pos: t.pos });
      } else if (t.type === 'number') {
        next();
        args.push({ kind: 'number', value: t.value, pos: t.pos });
      } else if (t.type === 'tag') {
        next();
        args.push({ kind: 'tag', name: t.text, pos: t.pos });
      } else if (t.type === 'special' && t.text === '[') {
        next();
        const values: string[] = [];
        for (;;) {
          const s = next();
          if (s.type !== 'string') throw new SieveSyntaxError(`expected a string in the list but found ${describe(s)}`, s.pos);
          values.push(s.text);
          if (isSpecial(',')) next();
          else break;
        }
        expect(']', '"]" or ","');
        args.push({ kind: 'string-list', values, pos: t.pos });
      } else break;
    }
    const t = peek();
    if (t.type === 'identifier') return { args, tests: [test(depth + 1)] };
    if (t.type === 'special' && t.text === '(') {
      next();
      const tests = [test(depth + 1)];
      while (isSpecial(',')) {
        next();
        tests.push(test(depth + 1));
      }
      expect(')', '")" or ","');
      return { args, tests };
    }
    return { args, tests: [] };
  };

  const test = (depth: number): Test => {
    const t = next();
    if (t.type !== 'identifier') throw new SieveSyntaxError(`expected a test but found ${describe(t)}`, t.pos);
    if (depth > MAX_NESTING) throw new SieveSyntaxError(`tests nested deeper than ${MAX_NESTING}`, t.pos);
    const { args, tests } = argumentsOf(depth);
    return { name: t.text, pos: t.pos, args, tests };
  };

  return { commands: commands(0, false) };
}
