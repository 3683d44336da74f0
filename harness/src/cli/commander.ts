/**
 * commander, loaded as the CommonJS module it is. Through `import` Node would first scan its source
 * for named exports (cjs-module-lexer) on every start; `require` skips that, which is a measurable
 * part of `jpki-harness --help`. The types are commander's own.
 */
import { createRequire } from 'node:module';
import type * as commander from 'commander';

const loaded = createRequire(import.meta.url)('commander') as typeof commander;

export const Command = loaded.Command;
export const Option = loaded.Option;
export const CommanderError = loaded.CommanderError;
export type Command = commander.Command;
export type Option = commander.Option;
export type CommanderError = commander.CommanderError;
