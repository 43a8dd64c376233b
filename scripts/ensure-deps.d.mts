export declare function staleDependencies(root?: string): string[];
export declare function ensureDependencies(root?: string): void;
