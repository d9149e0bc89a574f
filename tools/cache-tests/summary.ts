// The suite's raw results (test id → true | [kind, message]) classified the way cache-tests.fyi shows them.

export type Verdict = 'pass' | 'fail' | 'optional' | 'yes' | 'no' | 'setup' | 'harness' | 'dependency' | 'retry' | 'untested';

/** The suite's symbols (lib/display.mjs resultTypes[…][2]) → our names. */
const BY_SYMBOL: Readonly<Record<string, Verdict>> = {
  '✅': 'pass',
  '⛔️': 'fail',
  '⚠️': 'optional',
  Y: 'yes',
  N: 'no',
  '🔹': 'setup',
  '⁉️': 'harness',
  '⚪️': 'dependency',
  '↻': 'retry',
  '-': 'untested',
};

export interface TestOutcome {
  readonly id: string;
  readonly verdict: Verdict;
  /** The suite's message for anything but a pass. */
  readonly detail: string | undefined;
}

export interface Summary {
  readonly counts: Readonly<Record<Verdict, number>>;
  readonly tests: readonly TestOutcome[];
}

export function verdictOf(symbol: string): Verdict {
  return BY_SYMBOL[symbol] ?? 'harness';
}

function detailOf(raw: unknown): string | undefined {
  if (raw === true) return undefined;
  if (Array.isArray(raw)) return raw.map((p) => String(p)).join(': ');
  return JSON.stringify(raw);
}

/** `classify(id)` gives the suite's own symbol for a test (its determineTestResult, dependencies honoured). */
export function summarise(ids: readonly string[], raw: Readonly<Record<string, unknown>>, classify: (id: string) => string): Summary {
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, optional: 0, yes: 0, no: 0, setup: 0, harness: 0, dependency: 0, retry: 0, untested: 0 };
  const tests: TestOutcome[] = [];
  for (const id of ids) {
    const verdict = verdictOf(classify(id));
    counts[verdict]++;
    tests.push({ id, verdict, detail: verdict === 'pass' || verdict === 'yes' ? undefined : detailOf(raw[id]) });
  }
  return { counts, tests };
}

export function summaryText(s: Summary): string {
  const c = s.counts;
  const lines = [
    `pass ${c.pass}  fail ${c.fail}  optional-fail ${c.optional}  checks yes/no ${c.yes}/${c.no}  setup ${c.setup}  harness ${c.harness}  dependency ${c.dependency}  retry ${c.retry}  untested ${c.untested}`,
  ];
  for (const v of ['fail', 'setup', 'harness', 'retry', 'dependency', 'optional'] as const) {
    const list = s.tests.filter((t) => t.verdict === v);
    if (list.length === 0) continue;
    lines.push('', `${v} (${list.length}):`);
    for (const t of list) lines.push(`  ${t.id}${t.detail ? ` — ${t.detail.slice(0, 160)}` : ''}`);
  }
  return lines.join('\n');
}
