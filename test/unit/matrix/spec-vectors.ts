// Loads the spec's published test vectors (../shared/matrix-spec beside the repo checkout).
import { readFileSync } from 'node:fs';

export interface Vector {
  name: string;
  kind: string;
  input: any;
  expected: any;
  derived?: any;
  notes?: string;
}

const url = new URL('../../../../shared/matrix-spec/test-vectors.json', import.meta.url);
export const vectors: Vector[] = JSON.parse(readFileSync(url, 'utf8'));

export function vectorsOfKind(kind: string): Vector[] {
  const found = vectors.filter((v) => v.kind === kind);
  if (found.length === 0) throw new Error(`no test vectors of kind ${kind}`);
  return found;
}
