// The `edgeline sample` and `edgeline package` commands, run as a user runs them (a child process, plain output).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import HLS from 'hls-parser';
import { ffmpegPaths, makeClip } from '../../tools/media/clip.ts';

const BIN = new URL('../../bin/edgeline.js', import.meta.url).pathname;

function edgeline(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'silent', MEDIA_DIR: '' }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function decodes(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPaths.ffprobe, ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path], { env: ffmpegPaths.env }, (err, stdout, stderr) => {
      if (err || stderr.trim()) return reject(new Error(`${path} does not decode: ${err?.message ?? ''} ${stderr}`));
      resolve(stdout);
    });
  });
}

describe('edgeline sample', () => {
  let media: string;
  before(() => {
    media = mkdtempSync(join(tmpdir(), 'edgeline-sample-cli-'));
  });
  after(() => {
    rmSync(media, { recursive: true, force: true });
  });

  it('generates and packages the sample as four renditions, with plain progress lines off a terminal', async () => {
    const r = await edgeline(['sample', '--media', media, '--seconds', '4', '--preset', 'ultrafast']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sample: \d+% \(generating/m, 'plain progress lines');
    assert.match(r.stdout, /^sample: 100% \(finishing\)$/m);
    assert.match(r.stdout, /packaged "sample" \(MPEG-TS\): 4\.0 s of video, 4 rendition\(s\)/);
    assert.match(r.stdout, /speed: \d+\.\d\d s of video per second for the whole ladder/);
    const dir = join(media, 'hls', 'sample');
    const master = HLS.parse(readFileSync(join(dir, 'master.m3u8'), 'utf8'));
    assert.ok(master.isMasterPlaylist);
    const sizes = (master as HLS.types.MasterPlaylist).variants.map((v) => `${v.resolution?.width}x${v.resolution?.height}`).sort();
    assert.deepEqual(sizes, ['1280x720', '426x240', '640x360', '854x480']);
    await decodes(join(dir, '720p', 'seg-00000.ts'));
  });

  it('leaves an existing sample alone and says so', async () => {
    const master = join(media, 'hls', 'sample', 'master.m3u8');
    const before = statSync(master).mtimeMs;
    const r = await edgeline(['sample', '--media', media]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already exists/);
    assert.equal(statSync(master).mtimeMs, before);
  });

  it('explains its options', async () => {
    const r = await edgeline(['sample', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: edgeline sample/);
    assert.match(r.stdout, /--seconds/);
  });
});

describe('edgeline package', () => {
  let media: string;
  before(() => {
    media = mkdtempSync(join(tmpdir(), 'edgeline-package-cli-'));
  });
  after(() => {
    rmSync(media, { recursive: true, force: true });
  });

  it('packages a file under an id made from its name and prints a summary', async () => {
    const clip = await makeClip({ seconds: 6, width: 320, height: 240 });
    const r = await edgeline(['package', clip, '--media', media, '--ladder', '240p', '--segment-seconds', '2', '--preset', 'ultrafast']);
    assert.equal(r.code, 0, r.stderr);
    const id = 'clip-6s-320x240-25-av';
    assert.match(r.stdout, new RegExp(`packaged "${id}" \\(MPEG-TS\\): 6\\.0 s of video, 1 rendition`));
    assert.match(r.stdout, /240p\s+320x240/);
    const media240 = HLS.parse(readFileSync(join(media, 'hls', id, '240p', 'index.m3u8'), 'utf8'));
    assert.equal((media240 as HLS.types.MediaPlaylist).segments.length, 3);
  });

  it('fails with the file and ffprobe\'s reason for a file that is not video', async () => {
    const notes = join(media, 'notes.txt');
    writeFileSync(notes, 'not a video\n');
    const r = await edgeline(['package', notes, '--media', media]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(notes), r.stderr);
    assert.match(r.stderr, /Invalid data found when processing input/);
  });

  it('reports bad flags together and explains its options', async () => {
    const bad = await edgeline(['package', '--ladder', '4k', '--segment-seconds', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /PACKAGE_LADDER \(--ladder\): expected renditions among 1080p,720p,480p,360p,240p, got "4k"/);
    assert.match(bad.stderr, /--segment-seconds\): expected a number >= 1/);
    assert.match(bad.stderr, /<input>: required/);
    const help = await edgeline(['package', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: edgeline package <input>/);
    assert.match(help.stdout, /--ladder/);
  });
});
