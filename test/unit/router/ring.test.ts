// Consistent hashing: stable under membership changes, balanced, deterministic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ring } from '../../../server/router/ring.ts';

const ASSETS = Array.from({ length: 10_000 }, (_, i) => `asset-${i}`);
const nodes = (n: number): string[] => Array.from({ length: n }, (_, i) => `http://10.0.0.${i + 1}:8081`);

function owners(ring: Ring): Map<string, string> {
  return new Map(ASSETS.map((a) => [a, ring.primary(a) ?? '']));
}

describe('Ring', () => {
  test('an edge joining takes about 1/N of the assets, all of them moving to it', () => {
    const before = owners(new Ring(nodes(9)));
    const grown = nodes(10);
    const joined = grown[9] ?? '';
    const after = owners(new Ring(grown));
    const moved = ASSETS.filter((a) => before.get(a) !== after.get(a));
    const share = moved.length / ASSETS.length;
    assert.ok(share > 0.5 / 10 && share < 1.5 / 10, `moved ${share} of assets, expected about 1/10`);
    assert.ok(moved.every((a) => after.get(a) === joined), 'assets may only move to the new edge');
  });

  test('an edge leaving gives away only its own assets (about 1/N)', () => {
    const all = nodes(10);
    const leaving = all[3] ?? '';
    const before = owners(new Ring(all));
    const after = owners(new Ring(all.filter((n) => n !== leaving)));
    const moved = ASSETS.filter((a) => before.get(a) !== after.get(a));
    assert.ok(moved.every((a) => before.get(a) === leaving), 'only the leaving edge’s assets may move');
    assert.equal(moved.length, ASSETS.filter((a) => before.get(a) === leaving).length);
    const share = moved.length / ASSETS.length;
    assert.ok(share > 0.5 / 10 && share < 1.5 / 10, `moved ${share} of assets, expected about 1/10`);
  });

  test('distributes assets evenly: every edge within 25% of the mean', () => {
    for (const n of [2, 3, 5, 10]) {
      const counts = new Map<string, number>();
      for (const owner of owners(new Ring(nodes(n))).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
      assert.equal(counts.size, n);
      const mean = ASSETS.length / n;
      for (const [node, count] of counts) assert.ok(Math.abs(count - mean) / mean < 0.25, `${n} edges: ${node} got ${count}, mean ${mean}`);
    }
  });

  test('is the same whatever order the edges are given in, and walks every edge once', () => {
    const a = new Ring(nodes(5));
    const b = new Ring([...nodes(5)].reverse());
    for (const asset of ASSETS.slice(0, 500)) {
      assert.deepEqual(a.walk(asset), b.walk(asset));
      const walk = a.walk(asset);
      assert.equal(walk.length, 5);
      assert.equal(new Set(walk).size, 5);
      assert.equal(walk[0], a.primary(asset));
    }
  });

  test('falling over to the next edge on the walk spreads a dead edge’s assets over the others', () => {
    const ring = new Ring(nodes(5));
    const dead = nodes(5)[0] ?? '';
    const heirs = new Set(ASSETS.filter((a) => ring.primary(a) === dead).map((a) => ring.walk(a)[1]));
    assert.equal(heirs.size, 4, 'each surviving edge inherits part of the dead edge’s assets');
  });

  test('an empty ring owns nothing', () => {
    const ring = new Ring([]);
    assert.equal(ring.primary('x'), undefined);
    assert.deepEqual(ring.walk('x'), []);
  });
});
