/// <reference path="./interfaces/warrant-plugin-host.d.ts" />
/// <reference path="./interfaces/warrant-plugin-types.d.ts" />
/// <reference path="./interfaces/wasi-cli-environment.d.ts" />
/// <reference path="./interfaces/wasi-clocks-wall-clock.d.ts" />
/// <reference path="./interfaces/wasi-filesystem-preopens.d.ts" />
/// <reference path="./interfaces/wasi-filesystem-types.d.ts" />
/// <reference path="./interfaces/wasi-io-error.d.ts" />
/// <reference path="./interfaces/wasi-io-poll.d.ts" />
/// <reference path="./interfaces/wasi-io-streams.d.ts" />
declare module 'warrant:plugin/plugin-js@0.1.0' {
  export type Tool = import('warrant:plugin/types@0.1.0').Tool;
  export type CallError = import('warrant:plugin/types@0.1.0').CallError;
  export type * as WarrantPluginHost010 from 'warrant:plugin/host@0.1.0'; // import warrant:plugin/host@0.1.0
  export type * as WarrantPluginTypes010 from 'warrant:plugin/types@0.1.0'; // import warrant:plugin/types@0.1.0
  export type * as WasiCliEnvironment0212 from 'wasi:cli/environment@0.2.12'; // import wasi:cli/environment@0.2.12
  export type * as WasiClocksWallClock0212 from 'wasi:clocks/wall-clock@0.2.12'; // import wasi:clocks/wall-clock@0.2.12
  export type * as WasiFilesystemPreopens0212 from 'wasi:filesystem/preopens@0.2.12'; // import wasi:filesystem/preopens@0.2.12
  export type * as WasiFilesystemTypes0212 from 'wasi:filesystem/types@0.2.12'; // import wasi:filesystem/types@0.2.12
  export type * as WasiIoError0212 from 'wasi:io/error@0.2.12'; // import wasi:io/error@0.2.12
  export type * as WasiIoPoll0212 from 'wasi:io/poll@0.2.12'; // import wasi:io/poll@0.2.12
  export type * as WasiIoStreams0212 from 'wasi:io/streams@0.2.12'; // import wasi:io/streams@0.2.12
  /**
  * The tools this component offers; must equal the signed manifest's.
  */
  export function tools(): Array<Tool>;
  /**
  * Run one tool on JSON input; returns JSON output.
  */
  export function call(tool: string, input: string): string;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
