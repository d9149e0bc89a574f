// The pure parts of the untrusted-input rules: which probed formats pass, how the probe's verdict is read, whose pid is ours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedDemuxerOf, fileUrl, probedFormatOf } from '../../../../server/origin/ffmpeg/input-rules.ts';
import { isLeftoverOf } from '../../../../server/origin/ffmpeg/leftover-process.ts';
import { isRecentVersion, untrustedInputProblem } from '../../../../server/origin/ffmpeg/paths.ts';

describe('allowedDemuxerOf', () => {
  it('pins container demuxers by their first name', () => {
    assert.equal(allowedDemuxerOf('mov,mp4,m4a,3gp,3g2,mj2'), 'mov');
    assert.equal(allowedDemuxerOf('matroska,webm'), 'matroska');
    assert.equal(allowedDemuxerOf('mpegts'), 'mpegts');
  });
  it('refuses demuxers that open other files or URLs, and pictures', () => {
    for (const f of ['dash', 'hls', 'concat', 'ffconcat', 'image2', 'png_pipe', 'jpeg_pipe', 'tty', 'mpegtsraw', 'lavfi', 'mpd', 'webm_dash_manifest', 'data']) {
      assert.equal(allowedDemuxerOf(f), undefined, f);
    }
  });
});

describe('probedFormatOf', () => {
  it('reads avformat\'s probe line, else the refusal\'s context', () => {
    assert.equal(probedFormatOf('[dash @ 0x55] Format dash probed with size=2048 and score=100\n[dash @ 0x55] Format not on whitelist \'x\''), 'dash');
    assert.equal(probedFormatOf('[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55e7] Format not on whitelist \'x\'\n'), 'mov,mp4,m4a,3gp,3g2,mj2');
    assert.equal(probedFormatOf('file:/x: Invalid data found when processing input'), undefined);
  });
  it('makes a file: URL of any path, so a name never selects another protocol', () => {
    assert.equal(fileUrl('/m/uploads/http:x.upload'), 'file:/m/uploads/http:x.upload');
  });
});

describe('isLeftoverOf', () => {
  it('is an ffmpeg writing into that folder, nothing else', () => {
    assert.equal(isLeftoverOf(['/usr/bin/ffmpeg', '-i', 'in', '/m/hls/.tmp-a-1-0/240p/ffmpeg.m3u8'], '/m/hls/.tmp-a-1-0'), true);
    assert.equal(isLeftoverOf(['/usr/bin/ffmpeg', '-i', 'in', '/m/hls/.tmp-b-2-0/240p/ffmpeg.m3u8'], '/m/hls/.tmp-a-1-0'), false);
    assert.equal(isLeftoverOf(['/usr/bin/node', '/m/hls/.tmp-a-1-0'], '/m/hls/.tmp-a-1-0'), false);
  });
});

describe('ffmpeg version rule', () => {
  it('accepts FFmpeg 5 and later and recent snapshots, not the 2018 static build', () => {
    assert.equal(isRecentVersion('ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers'), true);
    assert.equal(isRecentVersion('ffmpeg version n7.0.2 Copyright (c) 2000-2024 the FFmpeg developers'), true);
    assert.equal(isRecentVersion('ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021 the FFmpeg developers'), false);
    assert.equal(isRecentVersion('ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018 the FFmpeg developers'), false);
    assert.equal(isRecentVersion('ffmpeg version N-112000-gabc Copyright (c) 2000-2023 the FFmpeg developers'), true);
  });
  it('explains the refusal and what to do', () => {
    assert.match(untrustedInputProblem({ ffmpeg: 'x', ffprobe: 'y', source: 'npm', isMaintained: false }) ?? '', /2018 static ffmpeg.*apt-get install ffmpeg.*FFMPEG_PATH/);
    assert.equal(untrustedInputProblem({ ffmpeg: 'x', ffprobe: 'y', source: 'path', isMaintained: true }), undefined);
  });
});
