// The syntax tree of RFC 5228 §8.2's grammar, with each node's source position.

export interface Position {
  line: number;
  column: number;
}

export type Argument =
  | { kind: 'string'; value: string; multiline: boolean; pos: Position }
  | { kind: 'string-list'; values: string[]; pos: Position }
  | { kind: 'number'; value: number; pos: Position }
  | { kind: 'tag'; name: string; pos: Position };

export interface Test {
  name: string;
  pos: Position;
  args: Argument[];
  tests: Test[];
}

export interface Command {
  name: string;
  pos: Position;
  args: Argument[];
  tests: Test[];
  block: Command[] | null;
}

export interface Script {
  commands: Command[];
}

/** An argument after checking: strings with encoded-character (RFC 5228 §2.4.2.4) already decoded. */
export type Value = string | string[] | number;

/** A checked command or test: tagged arguments by name, positional arguments in order. */
export interface Node {
  name: string;
  pos: Position;
  tags: Record<string, Value | true>;
  args: Value[];
  tests: Node[];
  block: Node[] | null;
}
