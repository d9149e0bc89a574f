// report.json of `edgeline compare`: conditions, every session, per-arm summaries and warm/cold-vs-direct ratios (pure).
import type { Variant } from './asset-playlists.ts';
import { ARM_NAMES, type ArmName } from './compare-options.ts';
import { compareArms, downloadRatioOverTime, summarizeArm, ttfbByXCache, type ArmComparison, type ArmSummary, type OriginCount, type TimeSeries, type XCacheTtfb } from './compare-summary.ts';
import type { SessionResult } from './session-result.ts';

export const QUESTION = 'What does the cache tier buy my viewers?';

export const ARM_DESCRIPTIONS: Readonly<Record<ArmName, string>> = {
  floor: 'the same files from a plain static server on this machine: no CDN, no WAN — what the player and browser cost on their own',
  direct: 'player page and media straight from the origin, across the emulated WAN',
  'edge-cold': 'through the edge, the asset purged from its cache before each wave of sessions',
  'edge-cold-no-prefetch': 'through a second edge with prefetch off (--prefetch-segments 0), purged like the cold arm: what prefetch buys a cold cache',
  'edge-warm': 'through the edge, after the cold arm (and the warm-up) filled its cache',
};

export interface Conditions {
  readonly date: string;
  readonly runSeconds: number;
  readonly wan: {
    readonly rttMs: number | null;
    readonly bandwidthMbps: number | null;
    readonly jitterMs: number | null;
    /** Where the emulation sits and what it models. */
    readonly description: string;
    /** What the origin's /healthz says about it, as received. */
    readonly originReports: unknown;
  };
  /** Emulated between the viewers and the edge (null: unknown, a running edge). */
  readonly lastMile: { readonly rttMs: number | null; readonly bandwidthMbps: number | null };
  /** How the floor arm was served; null when it did not run. */
  readonly floor: string | null;
  readonly content: {
    readonly src: string;
    readonly variants: readonly Variant[];
    readonly targetDurationS: number | null;
    readonly durationS: number | null;
    readonly segmentsPerRendition: number | null;
  };
  readonly sessionsPerArm: number;
  readonly secondsPerSession: number;
  readonly concurrent: number;
  readonly stack: {
    readonly startedByCompare: boolean;
    readonly originUrl: string;
    readonly edgeUrl: string;
    readonly viewerEdgeUrl: string;
    readonly edgeTier: string;
    /** The private Redis key prefix of the edge it started (its keys are deleted at the end); null otherwise. */
    readonly redisPrefix: string | null;
    readonly edgeWorkers: number | null;
    readonly coldCache: string;
    readonly warmUp: string;
  };
  readonly machine: {
    readonly cpuModel: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly os: string;
    readonly node: string;
    readonly chromium: string;
    /** 1-minute load averages when the run started and ended: a busy machine slows the browser and the servers alike. */
    readonly loadAverage: { readonly start: number; readonly end: number };
  };
}

export interface ArmReport {
  readonly name: ArmName;
  readonly description: string;
  readonly summary: ArmSummary;
  readonly origin: OriginCount | null;
  readonly sessions: readonly SessionResult[];
}

export interface CompareReport {
  readonly version: 1;
  readonly tool: 'edgeline compare';
  readonly question: string;
  readonly generatedAt: string;
  readonly conditions: Conditions;
  readonly arms: readonly ArmReport[];
  /** Ratios are arm ÷ baseline: below 1 means the arm is better (faster, fewer origin requests). */
  readonly comparisons: {
    readonly warmVsDirect: ArmComparison | null;
    readonly coldVsDirect: ArmComparison | null;
    readonly warmVsCold: ArmComparison | null;
    /** Every other arm ÷ the floor: how far each is from what this machine allows. */
    readonly vsFloor: readonly ArmComparison[];
  };
  readonly charts: {
    readonly downloadRatioOverTime: TimeSeries;
    readonly ttfbByXCache: readonly XCacheTtfb[];
  };
  readonly notes: readonly string[];
}

export interface ArmRun {
  readonly name: ArmName;
  readonly sessions: readonly SessionResult[];
  readonly origin: OriginCount | null;
}

export function buildCompareReport(input: { conditions: Conditions; arms: readonly ArmRun[]; notes: readonly string[]; generatedAt: Date }): CompareReport {
  const arms = [...input.arms]
    .sort((a, b) => ARM_NAMES.indexOf(a.name) - ARM_NAMES.indexOf(b.name))
    .map((a) => ({ name: a.name, description: ARM_DESCRIPTIONS[a.name], summary: summarizeArm(a.name, a.sessions, a.origin), origin: a.origin, sessions: a.sessions }));
  const byName = (n: ArmName): ArmSummary | undefined => arms.find((a) => a.name === n)?.summary;
  const versus = (a: ArmName, b: ArmName): ArmComparison | null => {
    const x = byName(a);
    const y = byName(b);
    return x && y ? compareArms(x, y) : null;
  };
  const sessions = arms.flatMap((a) => a.sessions);
  return {
    version: 1,
    tool: 'edgeline compare',
    question: QUESTION,
    generatedAt: input.generatedAt.toISOString(),
    conditions: input.conditions,
    arms,
    comparisons: { warmVsDirect: versus('edge-warm', 'direct'), coldVsDirect: versus('edge-cold', 'direct'), warmVsCold: versus('edge-warm', 'edge-cold'), vsFloor: arms.filter((a) => a.name !== 'floor').map((a) => versus(a.name, 'floor')).filter((c): c is ArmComparison => c !== null) },
    charts: { downloadRatioOverTime: downloadRatioOverTime(sessions, input.conditions.secondsPerSession), ttfbByXCache: ttfbByXCache(sessions) },
    notes: input.notes,
  };
}
