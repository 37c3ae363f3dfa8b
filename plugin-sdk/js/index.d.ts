// Types of warrant-sdk for TypeScript (the implementation is index.js).
// The host's interfaces themselves are typed in types/, generated from the
// WIT world by `jco guest-types`.

/// <reference path="./types/plugin-js.d.ts" />

/** The tool ran and could not do its job (`failed` in the audit chain). */
export class ToolError extends Error {}
/** The input made no sense (`invalid-input` in the audit chain). */
export class InvalidInput extends ToolError {}

/** Lines in the host's log, attributed to this plugin and call. */
export const log: {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
};

/** A secret the manifest grants, by name; throws ToolError if it is not. */
export function secret(name: string): string;
/** An environment variable the manifest grants, or undefined. */
export function env(name: string): string | undefined;

/** Files under the directories the manifest grants, by guest path. */
export const fs: {
  readFile(path: string): Uint8Array;
  readText(path: string): string;
  readDir(path: string): string[];
  writeText(path: string, text: string): void;
};

/** A schema: the JSON Schema agents see, and the type of what it accepts. */
export interface Schema<T> {
  readonly json: Record<string, unknown>;
  readonly optional: boolean;
  /** @internal */
  readonly __type?: T;
}
type Optional<T> = Schema<T | undefined> & { readonly optional: true };
type Infer<S> = S extends Schema<infer T> ? T : never;
type RequiredKeys<P> = { [K in keyof P]: P[K] extends { readonly optional: true } ? never : K }[keyof P];
type OptionalKeys<P> = Exclude<keyof P, RequiredKeys<P>>;
type ObjectOf<P extends Record<string, Schema<unknown>>> = { [K in RequiredKeys<P>]: Infer<P[K]> } & {
  [K in OptionalKeys<P>]?: Exclude<Infer<P[K]>, undefined> | null;
};

interface Common {
  description?: string;
}

/** Schema builders: the JSON Schema agents see, checked on every input. */
export const s: {
  string(o?: Common & { minLength?: number; maxLength?: number; pattern?: string; default?: string }): Schema<string>;
  number(o?: Common & { minimum?: number; maximum?: number; default?: number }): Schema<number>;
  integer(o?: Common & { minimum?: number; maximum?: number; default?: number }): Schema<number>;
  boolean(o?: Common & { default?: boolean }): Schema<boolean>;
  enum<const V extends readonly (string | number)[]>(values: V, o?: Common): Schema<V[number]>;
  array<T>(item: Schema<T>, o?: Common & { minItems?: number; maxItems?: number }): Schema<T[]>;
  object<P extends Record<string, Schema<unknown>>>(props: P, o?: Common): Schema<ObjectOf<P>>;
  optional<T>(schema: Schema<T>): Optional<T>;
};

export type Impact = 'read' | 'write' | 'high';

/** A tool: what agents see, and the function that runs it. */
export interface Tool<I = unknown, O = unknown> {
  name: string;
  description: string;
  impact?: Impact;
  input: Schema<I>;
  run(input: I): O | Promise<O>;
}

/** Declare a tool; `input`'s schema types `run`'s argument. */
export function tool<I, O>(def: Tool<I, O>): Tool<I, O>;

/** The component's exports: `export const { tools, call } = plugin(...)`. */
export function plugin(...tools: Tool<any, any>[]): {
  tools(): import('warrant:plugin/types@0.1.0').Tool[];
  call(tool: string, input: string): string;
};
