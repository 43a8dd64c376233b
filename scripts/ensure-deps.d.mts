export declare function staleDependencies(root?: string): string[];
export declare function pinnedNodeVersion(root?: string): string;
export declare function projectNode(root?: string): string;
export declare function installCommand(
  pin: string,
  version?: string,
): { command: string; args: string[]; pathPrefix: string | null };
export declare function ensureDependencies(root?: string): void;
