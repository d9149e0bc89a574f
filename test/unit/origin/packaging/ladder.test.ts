// The ABR ladder: capping at the source, odd and portrait sizes, tiny sources, frame rates, audio-only, bad names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../../../server/core/errors.ts';
import { AUDIO_RENDITION, outputFrameRate, parseLadder, planRenditions, type SourceShape } from '../../../../server/origin/packaging/ladder.ts';

function src(width: number, height: number, fps = 30, opts: { vfr?: boolean; channels?: number | null } = {}): SourceShape {
  return {
    video: { width, height, frameRate: { num: fps, den: 1 }, isVariableFrameRate: opts.vfr ?? false },
    audio: opts.channels === null ? undefined : { channels: opts.channels ?? 2 },
  };
}

describe('planRenditions', () => {
  it('keeps every rung of a 1080p source, largest first, 16:9 sizes', () => {
    const plans = planRenditions(src(1920, 1080));
    assert.deepEqual(plans.map((p) => p.name), ['1080p', '720p', '480p', '360p', '240p']);
    assert.deepEqual(plans.map((p) => [p.video?.width, p.video?.height]), [[1920, 1080], [1280, 720], [854, 480], [640, 360], [426, 240]]);
  });

  it('never upscales: a 720p source drops 1080p', () => {
    const plans = planRenditions(src(1280, 720));
    assert.deepEqual(plans.map((p) => p.name), ['720p', '480p', '360p', '240p']);
    assert.ok(plans.every((p) => (p.video?.height ?? 0) <= 720));
  });

  it('a source between rungs keeps only the smaller ones', () => {
    assert.deepEqual(planRenditions(src(1024, 576)).map((p) => p.name), ['480p', '360p', '240p']);
  });

  it('honours the ladder asked for, in ladder order', () => {
    assert.deepEqual(planRenditions(src(1920, 1080), ['240p', '720p']).map((p) => p.name), ['720p', '240p']);
  });

  it('gives a source smaller than every rung one rendition at its own even size', () => {
    const plans = planRenditions(src(322, 182));
    assert.equal(plans.length, 1);
    assert.equal(plans[0]?.name, '182p');
    assert.deepEqual([plans[0]?.video?.width, plans[0]?.video?.height], [322, 182]);
    // Bits scaled down from 240p by area, but never below the floor.
    assert.ok((plans[0]?.video?.kbps ?? 0) < 400 && (plans[0]?.video?.kbps ?? 0) >= 100);
  });

  it('rounds odd source sizes to even dimensions', () => {
    const [own] = planRenditions(src(321, 181));
    assert.deepEqual([own?.video?.width, own?.video?.height], [320, 180]);
    const plans = planRenditions(src(643, 361), ['360p', '240p']);
    for (const p of plans) {
      assert.equal((p.video?.width ?? 1) % 2, 0);
      assert.equal((p.video?.height ?? 1) % 2, 0);
    }
    assert.deepEqual(plans.map((p) => p.video?.width), [642, 428]);
  });

  it('treats the short side as the rung for portrait video', () => {
    const plans = planRenditions(src(720, 1280));
    assert.deepEqual(plans.map((p) => p.name), ['720p', '480p', '360p', '240p']);
    assert.deepEqual([plans[0]?.video?.width, plans[0]?.video?.height], [720, 1280]);
    assert.deepEqual([plans[3]?.video?.width, plans[3]?.video?.height], [240, 426]);
  });

  it('gives an audio-only source one AAC rendition', () => {
    const plans = planRenditions({ video: undefined, audio: { channels: 2 } });
    assert.deepEqual(plans, [{ name: AUDIO_RENDITION, video: undefined, audio: { kbps: 128, channels: 2 } }]);
  });

  it('leaves audio out for a video-only source and downmixes surround to stereo', () => {
    assert.ok(planRenditions(src(640, 360, 30, { channels: null })).every((p) => p.audio === undefined));
    assert.ok(planRenditions(src(640, 360, 30, { channels: 6 })).every((p) => p.audio?.channels === 2));
    assert.ok(planRenditions(src(640, 360, 30, { channels: 1 })).every((p) => p.audio?.channels === 1 && p.audio.kbps <= 64));
  });

  it('halves 60 fps for the small rungs, keeps it for 720p, and spends more bits on it', () => {
    const plans = planRenditions(src(1280, 720, 60));
    const rate = (name: string): number => {
      const fr = plans.find((p) => p.name === name)?.video?.frameRate;
      return fr ? fr.num / fr.den : NaN;
    };
    assert.equal(rate('720p'), 60);
    assert.equal(rate('480p'), 30);
    assert.equal(plans[0]?.video?.kbps, 4200);
    assert.equal(plans[0]?.video?.level, 32, '1280x720@60 needs level 3.2');
  });

  it('raises the level when size and rate need it', () => {
    const [p480] = planRenditions(src(854, 480), ['480p']);
    assert.equal(p480?.video?.level, 31, '854x480@30 exceeds level 3.0 macroblock rate');
    const [p240] = planRenditions(src(426, 240), ['240p']);
    assert.equal(p240?.video?.level, 30);
  });

  it('sets capped VBR around the target', () => {
    const [p] = planRenditions(src(1280, 720), ['720p']);
    assert.deepEqual([p?.video?.kbps, p?.video?.maxrateKbps, p?.video?.bufsizeKbps], [2800, 3080, 5600]);
  });
});

describe('outputFrameRate', () => {
  it('keeps an exact fractional rate under the cap', () => {
    assert.deepEqual(outputFrameRate({ num: 30000, den: 1001 }, false, 30), { num: 30000, den: 1001 });
  });
  it('divides rates above the cap by the smallest whole factor', () => {
    assert.deepEqual(outputFrameRate({ num: 60, den: 1 }, false, 30), { num: 30, den: 1 });
    assert.deepEqual(outputFrameRate({ num: 50, den: 1 }, false, 30), { num: 25, den: 1 });
    assert.deepEqual(outputFrameRate({ num: 60000, den: 1001 }, false, 30), { num: 30000, den: 1001 });
    assert.deepEqual(outputFrameRate({ num: 120, den: 1 }, false, 30), { num: 30, den: 1 });
  });
  it('rounds a variable rate average to a whole rate', () => {
    assert.deepEqual(outputFrameRate({ num: 2743, den: 100 }, true, 30), { num: 27, den: 1 });
  });
  it('falls back to 30 fps when the source rate is unknown', () => {
    assert.deepEqual(outputFrameRate(undefined, false, 60), { num: 30, den: 1 });
  });
});

describe('parseLadder', () => {
  it('refuses unknown rendition names, naming them', () => {
    assert.throws(() => parseLadder(['720p', '4k']), (err: unknown) => isAppError(err) && err.code === 'LADDER_INVALID' && err.message.includes('"4k"'));
  });
  it('refuses an empty ladder', () => {
    assert.throws(() => parseLadder([]), (err: unknown) => isAppError(err) && err.code === 'LADDER_INVALID');
  });
});
