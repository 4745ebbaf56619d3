import { VigilError } from '../../core/errors.js';
import type { MediaInfo } from '../media/probe.js';

/**
 * What a leaked copy must be for blind detection to say anything: long enough for the per-frame
 * evidence to add up, and large enough for the tile to survive. A copy that falls short ends the
 * detection as Error naming the requirement (the seed service's "does not meet the detection
 * requirements"); it is not retried, since no retry makes a copy longer.
 */

export const DETECTION_REQUIREMENTS = {
  /** Seconds of video: under this the accumulated evidence of a real mark stays near chance. */
  minSeconds: 10,
  /** Frame size: the detector reads a ~128-line raster; smaller pictures have lost the mark's cells. */
  minHeight: 120,
  minWidth: 160,
} as const;

/** Which requirement a copy failed, as a record keeps it. */
export type Requirement = 'too short' | 'too small' | 'no video' | 'undecodable';

export const REQUIREMENTS: readonly Requirement[] = ['too short', 'too small', 'no video', 'undecodable'];

/** A copy that fails a requirement, with the requirement kept apart so records and texts can name it. */
export class RequirementNotMet extends VigilError {
  readonly requirement: Requirement;
  constructor(requirement: Requirement, message: string, cause?: unknown) {
    super('COPY_NOT_DETECTABLE', message, cause === undefined ? undefined : { cause });
    this.requirement = requirement;
  }
}

/** Pure: the requirement `info` fails (or undefined when it meets them all). `what` names the copy in the message. */
export function unmetRequirement(info: Pick<MediaInfo, 'duration' | 'video'>, what: string): RequirementNotMet | undefined {
  const r = DETECTION_REQUIREMENTS;
  if (!info.video) return new RequirementNotMet('no video', `${what} has no video stream (audio or data only): there is no picture to read a watermark from`);
  const { width, height } = info.video;
  if (height < r.minHeight || width < r.minWidth) {
    return new RequirementNotMet('too small', `${what} is ${width}x${height}; detection needs at least ${r.minWidth}x${r.minHeight}`);
  }
  if (!(info.duration >= r.minSeconds)) {
    const seconds = Number.isFinite(info.duration) ? info.duration.toFixed(1) : 'an unknown number of';
    return new RequirementNotMet('too short', `${what} is ${seconds} s long; detection needs at least ${r.minSeconds} s of video`);
  }
  return undefined;
}
