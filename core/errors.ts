/**
 * User-facing errors carry a stable code, a cause and a fix. Every code is defined here once and
 * documented in docs/errors.md (a test keeps the two in step).
 */
export const ERROR_CODES = {
  // 01xx: catalog and configuration
  CATALOG_NOT_FOUND: { code: 'VIGIL-E0101', fix: 'Pass the catalog directory (vigil validate DIR) or run from a folder that has one.' },
  CATALOG_INVALID: { code: 'VIGIL-E0102', fix: 'Fix the problems listed above, each at its FILE:LINE:COL, then run vigil validate again.' },
  CONFIG_INVALID: { code: 'VIGIL-E0103', fix: 'Correct the environment variable named in the message (see docs/configuration.md).' },
  USAGE: { code: 'VIGIL-E0104', fix: 'Run vigil help COMMAND for the options it takes.' },
  IMPORT_INVALID: { code: 'VIGIL-E0105', fix: 'Fix the rows listed above in the spreadsheet and import again; nothing was written.' },
  IMPORT_CONFLICT: { code: 'VIGIL-E0106', fix: 'Remove the existing file or import into another directory; nothing was written.' },
  PLAN_REJECTED: { code: 'VIGIL-E0107', fix: 'The catalog asks for a change the database cannot accept (listed above); restore the field to its recorded value.' },
  // 02xx: services
  DATABASE_UNAVAILABLE: { code: 'VIGIL-E0201', fix: 'Check DATABASE_URL, or unset it to use the embedded PostgreSQL under VIGIL_HOME.' },
  REDIS_UNAVAILABLE: { code: 'VIGIL-E0202', fix: 'Check REDIS_URL, or unset it and install redis-server (apt-get install -y redis-server) so Vigil can start its own.' },
  GIT_FAILED: { code: 'VIGIL-E0203', fix: 'Check that the repository URL or path and the branch exist and are readable.' },
  GITHUB_UNAVAILABLE: { code: 'VIGIL-E0204', fix: 'Check GITHUB_APP_ID, GITHUB_PRIVATE_KEY and the GitHub API URL.' },
  // 03xx: media and watermarking
  INPUT_MISSING: { code: 'VIGIL-E0301', fix: 'Check the input path; it must be an existing, readable file.' },
  NO_VIDEO_TRACK: { code: 'VIGIL-E0302', fix: 'Give a file that has a video stream (ffprobe FILE lists its streams).' },
  UNSUPPORTED_CODEC: { code: 'VIGIL-E0303', fix: 'Use H.264, H.265, VP9, ProRes or XDCAM (MPEG-2) video; transcode other sources first.' },
  EXTENSION_MISMATCH: { code: 'VIGIL-E0304', fix: 'Give input and output the same known extension (.mp4, .mov, .mxf, .mkv, .webm).' },
  OUTPUT_NOT_WRITABLE: { code: 'VIGIL-E0305', fix: 'Choose an output directory that exists and that you may write to.' },
  VISIBLE_SETTINGS_INVALID: { code: 'VIGIL-E0306', fix: 'Use alpha 0.01-1.0, times as HH:MM:SS, and an image of at most 5 % of the frame area.' },
  WATERMARK_IMAGE_MISSING: { code: 'VIGIL-E0307', fix: 'Check the visible watermark image path; it must be a readable PNG or JPEG.' },
  INPUT_TOO_SHORT: { code: 'VIGIL-E0308', fix: 'Give an input of at least 30 seconds; shorter clips cannot carry a reliable mark.' },
  KEY_MISSING: { code: 'VIGIL-E0309', fix: 'Create a key with vigil keygen and set VIGIL_WATERMARK_KEY_FILE (or VIGIL_WATERMARK_KEY).' },
  INTERRUPTED: { code: 'VIGIL-E0310', fix: 'Run the command again; no partial output was kept.' },
  RECIPIENT_UNKNOWN: { code: 'VIGIL-E0311', fix: 'Name a recipient that is in the catalog and not retired, or give a raw watermark ID.' },
  // 04xx: monitoring
  FETCH_BLOCKED: { code: 'VIGIL-E0401', fix: 'The address is private, loopback or link-local; pass --allow-private only for tests.' },
  FETCH_FAILED: { code: 'VIGIL-E0402', fix: 'Check that the URL is reachable; Vigil retries on the next round.' },
} as const;

export type ErrorName = keyof typeof ERROR_CODES;

export class VigilError extends Error {
  override readonly name = 'VigilError';
  readonly code: string;
  readonly fix: string;
  readonly errorName: ErrorName;

  constructor(errorName: ErrorName, message: string, options?: { cause?: unknown; fix?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.errorName = errorName;
    this.code = ERROR_CODES[errorName].code;
    this.fix = options?.fix ?? ERROR_CODES[errorName].fix;
  }

  /** The two lines a person reads: what went wrong, and what to do. */
  describe(): string {
    return `error ${this.code}: ${this.message}\n  fix: ${this.fix}`;
  }
}

export function isVigilError(error: unknown, errorName?: ErrorName): error is VigilError {
  return error instanceof VigilError && (errorName === undefined || error.errorName === errorName);
}
