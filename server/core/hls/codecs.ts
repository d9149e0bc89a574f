// RFC 6381 CODECS strings for HLS variants (avc1 from the SPS fields, mp4a by AAC object type): VOD and live alike.

// profile_idc and the constraint_set flags byte, by the profile name ffprobe reports. Constraint flags as x264 writes
// them: Baseline sets constraint_set0 and set1 (so ffprobe calls it "Constrained Baseline"), Main sets set1.
const AVC_PROFILES: Readonly<Record<string, { idc: number; constraints: number }>> = {
  'Baseline': { idc: 66, constraints: 0x00 },
  'Constrained Baseline': { idc: 66, constraints: 0xc0 },
  'Main': { idc: 77, constraints: 0x40 },
  'Extended': { idc: 88, constraints: 0x00 },
  'High': { idc: 100, constraints: 0x00 },
  'Constrained High': { idc: 100, constraints: 0x0c },
  'Progressive High': { idc: 100, constraints: 0x08 },
  'High 10': { idc: 110, constraints: 0x00 },
  'High 10 Intra': { idc: 110, constraints: 0x10 },
  'High 4:2:2': { idc: 122, constraints: 0x00 },
  'High 4:2:2 Intra': { idc: 122, constraints: 0x10 },
  'High 4:4:4 Predictive': { idc: 244, constraints: 0x00 },
  'High 4:4:4 Intra': { idc: 244, constraints: 0x10 },
};

const isByte = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 255;
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * RFC 6381 §3.3 `avc1.PPCCLL`: profile_idc, the constraint_set flags byte and level_idc of the SPS, in hex (what an
 * fMP4 init segment's avcC box carries as AVCProfileIndication, profile_compatibility and AVCLevelIndication).
 */
export function avcCodecFromSps(sps: { readonly profileIdc: number; readonly constraintFlags: number; readonly levelIdc: number }): string | undefined {
  if (!isByte(sps.profileIdc) || !isByte(sps.constraintFlags) || !isByte(sps.levelIdc) || sps.profileIdc === 0 || sps.levelIdc === 0) return undefined;
  return `avc1.${hex2(sps.profileIdc)}${hex2(sps.constraintFlags)}${hex2(sps.levelIdc)}`;
}

/** `avc1.PPCCLL` from the profile name and level_idc ffprobe reports; undefined for a profile name it does not know. */
export function avcCodecString(profile: string, level: number): string | undefined {
  const p = AVC_PROFILES[profile];
  return p ? avcCodecFromSps({ profileIdc: p.idc, constraintFlags: p.constraints, levelIdc: level }) : undefined;
}

// RFC 6381 §3.3 with the MPEG-4 Audio Object Types (ISO/IEC 14496-3): 2 = AAC LC, 5 = HE-AAC (SBR), 29 = HE-AAC v2 (PS).
const AAC_OBJECT_TYPES: Readonly<Record<string, number>> = { 'LC': 2, 'HE-AAC': 5, 'HE-AACv2': 29 };

/** `mp4a.40.N` for an AAC profile name as ffprobe reports it; AAC LC when unknown, as that is what we encode. */
export function aacCodecString(profile: string | undefined): string {
  return `mp4a.40.${AAC_OBJECT_TYPES[profile ?? 'LC'] ?? 2}`;
}

/** One stream as ffprobe describes it: codec_name, profile, level. */
export interface CodecStream {
  readonly codec: string;
  readonly profile: string | undefined;
  readonly level: number | undefined;
}

/** The CODECS entry of one stream: H.264 and AAC, the codecs we encode; undefined for anything else or an unknown profile. */
export function codecOf(stream: CodecStream): string | undefined {
  if (stream.codec === 'h264') return avcCodecString(stream.profile ?? '', stream.level ?? 0);
  if (stream.codec === 'aac') return aacCodecString(stream.profile);
  return undefined;
}
