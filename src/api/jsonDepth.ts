/**
 * A bound on how deeply a JSON body may nest. What reads the bodies recurses (JSON.stringify for derived
 * event ids and notification keys, Temporal's payload converter): a body a few thousand levels deep, well
 * inside the 256 KB limit, overflowed the stack and answered 500 (found by the ingress fuzz suite, issue 15.4).
 * No appointment format needs more than a few dozen levels.
 */
export const MAX_JSON_DEPTH = 100;

/** True when `value` nests objects or arrays more than `max` levels deep (the root is level 1). Iterative. */
export function nestedDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const pending: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth } = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) pending.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}
