// The few better-sqlite3 APIs the migrator and the write connection use (@types/better-sqlite3 is not installed).
declare module 'better-sqlite3' {
  export interface Options {
    readonly?: boolean;
    fileMustExist?: boolean;
    timeout?: number;
  }
  export interface RunResult {
    changes: number;
  }
  export interface Statement {
    run(...params: unknown[]): RunResult;
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  }
  export interface Database {
    prepare(sql: string): Statement;
    exec(sql: string): Database;
    pragma(source: string, options?: { simple?: boolean }): unknown;
    close(): void;
    defaultSafeIntegers(on?: boolean): Database;
    transaction<F extends (...args: never[]) => unknown>(fn: F): F;
    readonly inTransaction: boolean;
  }
  const Database: new (filename: string, options?: Options) => Database;
  export default Database;
}
