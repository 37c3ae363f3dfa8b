declare module 'warrant:plugin/host@0.1.0' {
  /**
   * Write a line to the host's log, attributed to this plugin and call.
   */
  export function log(level: Level, message: string): void;
  /**
   * Read a secret the manifest grants, by name. An error names why not.
   */
  export function secret(name: string): string;
  /**
   * # Variants
   * 
   * ## `"debug"`
   * 
   * ## `"info"`
   * 
   * ## `"warn"`
   * 
   * ## `"error"`
   */
  export type Level = 'debug' | 'info' | 'warn' | 'error';
}
