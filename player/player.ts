// The Edgeline player page: hls.js playback of ?src=, QoE measurement, a live panel, and beacons to POST /qoe.
import Hls, { ErrorTypes, Events, type ErrorData, type FragLoadedData, type LevelSwitchedData } from 'hls.js';
import { BeaconSender } from './beacon-sender.ts';
import { Panel } from './panel.ts';
import { QoeMeter, type QoeSnapshot } from './qoe-meter.ts';

declare global {
  interface Window {
    /** Live QoE numbers (read by tests and `edgeline compare`). */
    readonly __edgelineQoe?: EdgelineQoe;
    /** Send the final beacon now and resolve when the server has it. */
    __edgelineQoeFinish?: () => Promise<boolean>;
  }
}

export interface EdgelineQoe extends QoeSnapshot {
  readonly sessionId: string;
  readonly src: string;
  readonly arm: string | null;
  readonly beaconsSent: number;
  readonly beaconsFailed: number;
  readonly segments: QoeMeter['segments'];
  readonly errors: QoeMeter['errors'];
}

const DEFAULT_SRC = '/vod/sample/master.m3u8';
const ARM = /^[A-Za-z0-9._-]{1,64}$/;
/** Fatal errors hls.js may recover from; after this many attempts of one kind the session is failed. */
const MAX_RECOVERIES = 3;
const PANEL_EVERY_MS = 500;

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`player page is missing #${id}`);
  return el;
}

function randomId(): string {
  // crypto.randomUUID needs a secure context; an edge on a LAN address over http is not one.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The playlist to play: ?src= resolved against the page, http(s) only. */
function playlistUrl(raw: string | null): URL {
  const url = new URL(raw && raw.trim() !== '' ? raw.trim() : DEFAULT_SRC, location.href);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`src must be an http(s) URL, got "${raw ?? ''}"`);
  return url;
}

function headerOf(details: unknown, name: string): string | null {
  if (typeof XMLHttpRequest !== 'undefined' && details instanceof XMLHttpRequest) return details.getResponseHeader(name);
  if (typeof Response !== 'undefined' && details instanceof Response) return details.headers.get(name);
  return null;
}

function bufferAhead(video: HTMLVideoElement): number {
  const t = video.currentTime;
  for (let i = 0; i < video.buffered.length; i++) {
    if (video.buffered.start(i) <= t + 0.1 && t <= video.buffered.end(i)) return video.buffered.end(i) - t;
  }
  return 0;
}

function start(): void {
  const params = new URLSearchParams(location.search);
  const video = $('video') as HTMLVideoElement;
  const status = $('status');
  const menu = $('rendition') as HTMLSelectElement;
  const srcInput = $('src-input') as HTMLInputElement;
  const panel = new Panel($('summary'), $('segments'), $('errors'));

  let src: URL;
  try {
    src = playlistUrl(params.get('src'));
  } catch (err) {
    status.textContent = (err as Error).message;
    status.className = 'error';
    return;
  }
  srcInput.value = src.href;
  const armParam = params.get('arm');
  const arm = armParam !== null && ARM.test(armParam) ? armParam : null;
  const cmcdMode = params.get('cmcd') ?? 'query';
  const beaconEveryMs = Math.min(60_000, Math.max(1_000, Number(params.get('beaconMs') ?? 5_000) || 5_000));
  const sessionId = randomId();
  $('session').textContent = `session ${sessionId}${arm ? ` · arm ${arm}` : ''}`;

  const meter = new QoeMeter(() => performance.now());
  const sender = new BeaconSender({ endpoint: new URL('/qoe', location.href).href, sessionId, src: src.href, arm, meter });
  let hls: Hls | undefined;
  let renditionName = '–';

  Object.defineProperty(window, '__edgelineQoe', {
    configurable: true,
    get: (): EdgelineQoe => ({ ...meter.snapshot(), sessionId, src: src.href, arm, beaconsSent: sender.sent, beaconsFailed: sender.failed, segments: meter.segments, errors: meter.errors }),
  });
  window.__edgelineQoeFinish = () => sender.send('final', 'fetch');

  // Media element events drive the playback state machine.
  video.addEventListener('playing', () => meter.onPlaying(video.currentTime));
  video.addEventListener('timeupdate', () => {
    const hadStarted = meter.hasStarted;
    meter.onTimeUpdate(video.currentTime, video.paused);
    if (!hadStarted && meter.hasStarted && sender.sent === 0) void sender.send('start', 'fetch');
  });
  video.addEventListener('waiting', () => meter.onWaiting(video.seeking));
  video.addEventListener('seeking', () => meter.onSeeking());
  video.addEventListener('seeked', () => meter.onSeeked(video.paused));
  video.addEventListener('pause', () => {
    if (!video.ended) meter.onPause();
  });
  video.addEventListener('ended', () => {
    meter.onEnded();
    void sender.send('final', 'fetch');
  });

  const tick = (): void => {
    const q = video.getVideoPlaybackQuality?.();
    if (q) meter.setFrames(q.droppedVideoFrames, q.totalVideoFrames);
    meter.setBuffer(bufferAhead(video));
    panel.render(meter.snapshot(), { renditionName, beaconsSent: sender.sent, beaconsFailed: sender.failed }, meter.segments, meter.errors);
  };
  setInterval(tick, PANEL_EVERY_MS);
  setInterval(() => {
    if (sender.isFinalSent) return;
    tick();
    void sender.send(sender.sent === 0 ? 'start' : 'update', 'fetch');
  }, beaconEveryMs);
  // The page may never come back after it is hidden (mobile tabs get killed), so flush then; pagehide is the end.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden' && !sender.isFinalSent) void sender.send(sender.sent === 0 ? 'start' : 'update', 'beacon');
  });
  window.addEventListener('pagehide', () => {
    tick();
    void sender.send('final', 'beacon');
  });

  const play = (): void => {
    video.play().catch((err: unknown) => {
      // Autoplay refused (not muted, or a policy): the viewer's click on the controls starts it.
      status.textContent = `press play (${(err as Error).name})`;
    });
  };

  if (Hls.isSupported()) {
    const recoveries: Record<string, number> = {};
    hls = new Hls({
      workerPath: '/player/hls.worker.js',
      enableWorker: true,
      // CMCD (CTA-5004) so edges can log and count what players report; query mode needs no CORS preflight.
      cmcd: cmcdMode === 'off' ? undefined : { sessionId, contentId: src.pathname.slice(0, 64), useHeaders: cmcdMode === 'headers' },
    });
    const player = hls;
    player.on(Events.MANIFEST_PARSED, () => {
      menu.replaceChildren(new Option('Auto (ABR)', '-1'));
      player.levels.forEach((level, i) => {
        const label = `${level.height ? `${level.height}p` : `level ${i}`} · ${Math.round(level.bitrate / 1000)} kbit/s`;
        menu.append(new Option(label, String(i)));
      });
      menu.disabled = false;
    });
    player.on(Events.LEVEL_SWITCHED, (_e, data: LevelSwitchedData) => {
      const level = player.levels[data.level];
      meter.onLevelSwitched(data.level, level ? level.bitrate / 1000 : null);
      renditionName = `${level?.height ? `${level.height}p` : `level ${data.level}`}${player.autoLevelEnabled ? ' (auto)' : ' (manual)'}`;
    });
    player.on(Events.FRAG_LOADED, (_e, data: FragLoadedData) => {
      const frag = data.frag;
      const stats = data.part?.stats ?? frag.stats;
      const isInit = frag.sn === 'initSegment';
      meter.onSegment({
        sn: typeof frag.sn === 'number' ? frag.sn : -1,
        level: frag.level,
        type: String(frag.type) === 'audio' ? 'audio' : String(frag.type) === 'subtitle' ? 'subtitle' : 'main',
        isInit,
        durationS: isInit ? 0 : (data.part?.duration ?? frag.duration),
        bytes: stats.loaded || stats.total,
        requestMs: stats.loading.start,
        firstByteMs: stats.loading.first || stats.loading.end,
        endMs: stats.loading.end,
        xCache: headerOf(data.networkDetails, 'X-Cache'),
      });
    });
    player.on(Events.ERROR, (_e, data: ErrorData) => {
      meter.onError(data.type, data.details, data.fatal);
      if (!data.fatal) return;
      const tries = (recoveries[data.type] = (recoveries[data.type] ?? 0) + 1);
      if (data.type === ErrorTypes.NETWORK_ERROR && tries <= MAX_RECOVERIES) {
        meter.onRecovery();
        // Without a manifest there is nothing to resume: load it again, a moment later.
        if (data.details.startsWith('manifest')) setTimeout(() => player.loadSource(src.href), 1_000 * tries);
        else player.startLoad();
      } else if (data.type === ErrorTypes.MEDIA_ERROR && tries <= MAX_RECOVERIES) {
        meter.onRecovery();
        player.recoverMediaError();
      } else {
        meter.onFailed();
        status.textContent = `playback failed: ${data.details}`;
        status.className = 'error';
        player.destroy();
        void sender.send(sender.sent === 0 ? 'start' : 'update', 'fetch');
      }
    });
    menu.addEventListener('change', () => {
      // nextLevel switches at the next segment boundary without flushing the buffer; -1 is ABR.
      player.nextLevel = Number(menu.value);
    });
    meter.playRequested();
    player.loadSource(src.href);
    player.attachMedia(video);
    play();
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    // Safari without MSE: native HLS, element events only (no per-segment records).
    status.textContent = 'native HLS playback: per-segment numbers unavailable';
    meter.playRequested();
    video.src = src.href;
    play();
  } else {
    status.textContent = 'this browser has neither Media Source Extensions nor native HLS';
    status.className = 'error';
  }
}

start();
