// The live QoE panel: renders a meter snapshot into the page (textContent only: nothing from the network becomes markup).
import type { BeaconError, BeaconSegment } from '../server/core/qoe/beacon-schema.ts';
import type { QoeSnapshot } from './qoe-meter.ts';

export interface PanelExtras {
  readonly renditionName: string;
  readonly beaconsSent: number;
  readonly beaconsFailed: number;
}

type Row = readonly [label: string, value: (s: QoeSnapshot, x: PanelExtras) => string];

const ms = (v: number | null): string => (v === null ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
const kbps = (v: number | null): string => (v === null ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} Mbit/s` : `${Math.round(v)} kbit/s`);
const bytes = (v: number): string => (v >= 1_048_576 ? `${(v / 1_048_576).toFixed(2)} MiB` : `${(v / 1024).toFixed(1)} KiB`);

const ROWS: readonly Row[] = [
  ['State', (s) => s.state],
  ['Startup time', (s) => ms(s.startupMs)],
  ['First segment TTFB', (s) => ms(s.firstSegmentTtfbMs)],
  ['Stalls', (s) => `${s.stallCount} (${ms(s.stallMs)})`],
  ['Watch time', (s) => ms(s.watchMs)],
  ['Rebuffering ratio', (s) => (s.rebufferRatio === null ? '–' : `${(s.rebufferRatio * 100).toFixed(2)} %`)],
  ['Rendition', (_s, x) => x.renditionName],
  ['Bitrate avg / peak', (s) => `${kbps(s.avgBitrateKbps)} / ${kbps(s.peakBitrateKbps)}`],
  ['Rendition switches', (s) => String(s.renditionSwitches)],
  ['Dropped frames', (s) => `${s.droppedFrames} of ${s.totalFrames}`],
  ['Buffer ahead', (s) => `${s.bufferS.toFixed(1)} s`],
  ['Segments', (s) => `${s.segmentCount} (${bytes(s.bytesLoaded)})`],
  ['Mean throughput', (s) => kbps(s.meanThroughputKbps)],
  ['X-Cache', (s) => Object.entries(s.xCacheCounts).map(([k, n]) => `${k} ${n}`).join(', ') || '–'],
  ['Errors fatal / recovered / other', (s) => `${s.fatalErrors} / ${s.recoveries} / ${s.nonFatalErrors}`],
  ['Beacons sent', (_s, x) => `${x.beaconsSent}${x.beaconsFailed > 0 ? ` (${x.beaconsFailed} failed)` : ''}`],
];

const SEGMENT_ROWS = 12;

export class Panel {
  private readonly values: HTMLElement[] = [];
  private shownSegments = -1;
  private shownErrors = -1;

  constructor(
    private readonly summary: HTMLElement,
    private readonly segmentBody: HTMLElement,
    private readonly errorList: HTMLElement,
  ) {
    for (const [label] of ROWS) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = '–';
      summary.append(dt, dd);
      this.values.push(dd);
    }
  }

  render(s: QoeSnapshot, x: PanelExtras, segments: readonly BeaconSegment[], errors: readonly BeaconError[]): void {
    ROWS.forEach(([, value], i) => {
      const dd = this.values[i];
      if (dd) dd.textContent = value(s, x);
    });
    if (segments.length !== this.shownSegments) {
      this.shownSegments = segments.length;
      this.segmentBody.replaceChildren(...segments.slice(-SEGMENT_ROWS).reverse().map(segmentRow));
    }
    if (errors.length !== this.shownErrors) {
      this.shownErrors = errors.length;
      this.errorList.replaceChildren(
        ...errors.slice(-10).map((e) => {
          const li = document.createElement('li');
          li.textContent = `${ms(e.atMs)}: ${e.fatal ? 'FATAL ' : ''}${e.type} ${e.details}`;
          if (e.fatal) li.className = 'fatal';
          return li;
        }),
      );
    }
  }
}

function segmentRow(seg: BeaconSegment): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const ratio = seg.durationS > 0 && !seg.isInit ? (seg.downloadMs / 1000 / seg.durationS).toFixed(2) : '–';
  const cells = [
    seg.isInit ? 'init' : String(seg.sn),
    String(seg.level),
    seg.type,
    ms(seg.ttfbMs),
    ms(seg.downloadMs),
    bytes(seg.bytes),
    kbps(seg.throughputKbps),
    ratio,
    seg.xCache ?? '–',
  ];
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  if (seg.xCache !== null) tr.dataset['xCache'] = seg.xCache.split(/[\s,]/)[0]?.toUpperCase() ?? '';
  return tr;
}
