/** A versioned schema change. Never edit a released migration: add a new file and list it in index.ts. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
