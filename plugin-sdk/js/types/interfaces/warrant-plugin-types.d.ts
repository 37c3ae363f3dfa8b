declare module 'warrant:plugin/types@0.1.0' {
  /**
   * How much harm a tool can do. The host uses it for annotations, policy
   * and approval gates; the signed manifest pins it.
   * # Variants
   * 
   * ## `"read"`
   * 
   * Reads data; changes nothing.
   * ## `"write"`
   * 
   * Changes state the operator can undo.
   * ## `"high"`
   * 
   * Changes state with consequences: needs a named human's approval by default.
   */
  export type Impact = 'read' | 'write' | 'high';
  /**
   * One tool a plugin offers.
   */
  export interface Tool {
    /**
     * Unique within the plugin; `[a-z0-9-_]`, at most 48 characters.
     */
    name: string,
    description: string,
    /**
     * JSON Schema (as JSON text) of the tool's input object.
     */
    inputSchema: string,
    impact: Impact,
  }
  /**
   * What one tool returns: its output's JSON Schema (as JSON text). The
   * signed manifest pins it as `output-schema`; the host then returns the
   * output as structured content and refuses an output that does not
   * match it.
   */
  export interface ToolOutput {
    name: string,
    outputSchema: string,
  }
  /**
   * Why a call failed, as the plugin reports it.
   */
  export type CallError = CallErrorInvalidInput | CallErrorFailed;
  /**
   * The input did not match the schema or made no sense.
   */
  export interface CallErrorInvalidInput {
    tag: 'invalid-input',
    val: string,
  }
  /**
   * The tool ran and could not do its job.
   */
  export interface CallErrorFailed {
    tag: 'failed',
    val: string,
  }
}
