export declare const ROOT: string;
export declare const OUT_DIR: string;
export declare function buildFunctions(options?: {
  outdir?: string;
  logLevel?: 'silent' | 'error' | 'warning' | 'info';
}): Promise<{ name: string; file: string; bytes: number }[]>;
