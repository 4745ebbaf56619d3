/**
 * User-facing errors carry a stable code, a cause and a fix. Every code is defined here once and
 * documented in docs/errors.md (a test keeps the two in step).
 */
export const ERROR_CODES = {
  // 01xx: catalog and configuration
  CATALOG_NOT_FOUND: { code: 'VIGIL-E0101', cause: 'The catalog directory given (or ./catalog) does not exist.', fix: 'Pass the catalog directory (vigil validate DIR) or run from a folder that has one.' },
  CATALOG_INVALID: { code: 'VIGIL-E0102', cause: 'validate found errors; each is printed as FILE:LINE:COL: kind/id: message.', fix: 'Fix the problems listed above, each at its FILE:LINE:COL, then run vigil validate again.' },
  CONFIG_INVALID: { code: 'VIGIL-E0103', cause: 'An environment variable holds a value Vigil cannot use.', fix: 'Correct the environment variable named in the message (see Configuration in README.md).' },
  USAGE: { code: 'VIGIL-E0104', cause: 'A command was given an unknown option, a bad value or too many arguments.', fix: 'Run vigil help COMMAND for the options it takes.' },
  IMPORT_INVALID: { code: 'VIGIL-E0105', cause: 'Rows of the imported spreadsheet are missing or have bad values.', fix: 'Fix the rows listed above in the spreadsheet and import again; nothing was written.' },
  IMPORT_CONFLICT: { code: 'VIGIL-E0106', cause: 'An import would overwrite an existing catalog file or id.', fix: 'Remove the existing file or import into another directory; nothing was written.' },
  PLAN_REJECTED: { code: 'VIGIL-E0107', cause: 'The catalog changes something that is permanent, such as a recipient watermark ID.', fix: 'The catalog asks for a change the database cannot accept (listed above); restore the field to its recorded value.' },
  OUTPUT_ESCAPES: { code: 'VIGIL-E0110', cause: 'An embed output (the pattern filled in with a recipient name) would land outside the output directory, through "..", an absolute path or a symbolic link.', fix: 'Write the output pattern as a relative path without ".." and keep symbolic links out of the output directory; choose where outputs go with --out.' },
  EMBEDDED_SERVICE_BUSY: { code: 'VIGIL-E0115', cause: 'Another vigil process has been starting or stopping the embedded PostgreSQL or redis-server of this VIGIL_HOME for too long.', fix: 'Wait for the other vigil command to finish; if none runs, delete the lock file named in the message (VIGIL_HOME/run/NAME.lock).' },
  // 02xx: services
  DATABASE_UNAVAILABLE: { code: 'VIGIL-E0201', cause: 'PostgreSQL could not be reached, started or migrated.', fix: 'Check DATABASE_URL, or unset it to use the embedded PostgreSQL under VIGIL_HOME.' },
  REDIS_UNAVAILABLE: { code: 'VIGIL-E0202', cause: 'Redis could not be reached, or redis-server could not be started.', fix: 'Check REDIS_URL, or unset it and install redis-server (apt-get install -y redis-server) so Vigil can start its own.' },
  GIT_FAILED: { code: 'VIGIL-E0203', cause: 'Cloning or fetching the catalog repository failed.', fix: 'Check that the repository URL or path and the branch exist and are readable.' },
  GITHUB_UNAVAILABLE: { code: 'VIGIL-E0204', cause: 'The GitHub App is not configured or the GitHub API refused a call.', fix: 'Check GITHUB_APP_ID, GITHUB_PRIVATE_KEY and the GitHub API URL.' },
  CATALOG_REPO_MISSING: { code: 'VIGIL-E0205', cause: 'vigil serve was started without the catalog repository the GitHub App follows.', fix: 'Set VIGIL_CATALOG_REPO to owner/name or the clone URL of the catalog repository (and VIGIL_CATALOG_BRANCH if it is not the default branch); the App ignores every other repository.' },
  JOB_PAYLOAD_INVALID: { code: 'VIGIL-E0208', cause: 'A queue job carries a payload Vigil cannot read (a missing or wrong field); it fails at once, without retries.', fix: 'Enqueue jobs through vigil or core/queues.ts, whose payloads are references to rows (e.g. { findingId: 42 }); remove the bad job.' },
  FINDING_UNKNOWN: { code: 'VIGIL-E0209', cause: 'No finding has the id given.', fix: 'Check the finding id (vigil findings lists them with #ID); the finding may belong to another database.' },
  SLACK_NOT_CONFIGURED: { code: 'VIGIL-E0210', cause: 'The Slack bot was asked to run without the settings its transport needs.', fix: 'Set SLACK_BOT_TOKEN and, for the HTTP transport (the default), SLACK_SIGNING_SECRET; for Socket Mode set VIGIL_SLACK_TRANSPORT=socket and SLACK_APP_TOKEN (see "Slack" in README.md).' },
  SLACK_API_FAILED: { code: 'VIGIL-E0211', cause: 'The Slack Web API refused a call or could not be reached.', fix: 'Read the Slack error named in the message (e.g. not_in_channel: invite the bot to the channel; invalid_auth: check SLACK_BOT_TOKEN); Vigil retries calls that can pass.' },
  SLACK_CHANNEL_UNAVAILABLE: { code: 'VIGIL-E0214', cause: 'Slack refused to post finding cards in a channel (channel_not_found, not_in_channel, is_archived); the cards wait and are posted once it can.', fix: 'Invite the bot to the channel (/invite @Vigil there), or name an existing channel in the Policy (spec.channels.findings) or the Content (spec.channel) and apply the catalog.' },
  SLACK_NO_CHANNEL: { code: 'VIGIL-E0215', cause: 'Findings were recorded for a title whose Content and Policy name no Slack channel, so their cards were skipped.', fix: 'Set spec.channels.findings in the Policy (or spec.channel on the Content) and apply the catalog; later findings get cards (vigil findings lists the skipped ones).' },
  ACTION_NOT_ALLOWED: { code: 'VIGIL-E0216', cause: "A person asked for an action on a finding (a Slack button or /vigil takedown|ignore) that the Policy's approvers for that action do not include, or the Policy lists no approvers for it.", fix: 'Ask one of the approvers named in the message; to let someone act, add their Slack user id (U…) or a user group of theirs (S…) to spec.approvers.<action> of the Policy and apply the catalog.' },
  ACTION_REFUSED: { code: 'VIGIL-E0217', cause: "The finding's state does not allow the action: take down of watermarked content before detection completed without the override, detect on content that is not watermarked or on a link already taken down, or ignore after the takedown notice went out.", fix: 'Read the reason in the message; for a watermarked title, detect first or confirm the override in the Take down dialog.' },
  SUSPECT_UNKNOWN: { code: 'VIGIL-E0212', cause: 'No suspect in the review queue has the id given.', fix: 'Run /vigil review (or vigil findings --review) for the suspects waiting and their ids; the suspect may belong to another database.' },
  REVIEW_NEEDS_CONTENT: { code: 'VIGIL-E0213', cause: 'A reported link was confirmed without naming the content it leaks, or with a content the catalog does not have.', fix: 'Choose the title in the review message\'s content menu, then press Confirm again; a new title is added with /vigil register.' },
  LINK_INVALID: { code: 'VIGIL-E0218', cause: 'A link given to report or detect is not an http or https URL.', fix: 'Paste the full address of the page or video, starting with https:// (e.g. https://example.to/watch/123).' },
  REGISTER_FAILED: { code: 'VIGIL-E0219', cause: 'The catalog pull request for a new title could not be opened: the GitHub App is not configured, or GitHub refused a call.', fix: 'Set GITHUB_APP_ID, GITHUB_PRIVATE_KEY and VIGIL_CATALOG_REPO (the App must be installed on that repository with contents and pull-request write access), then run /vigil register again.' },
  // 03xx: media and watermarking
  INPUT_MISSING: { code: 'VIGIL-E0301', cause: 'The input media file does not exist or cannot be read.', fix: 'Check the input path; it must be an existing, readable file.' },
  NO_VIDEO_TRACK: { code: 'VIGIL-E0302', cause: 'The input has no video stream.', fix: 'Give a file that has a video stream (ffprobe FILE lists its streams).' },
  UNSUPPORTED_CODEC: { code: 'VIGIL-E0303', cause: 'The input video codec is not one Vigil can re-encode to.', fix: 'Use H.264, H.265, VP9, ProRes or XDCAM (MPEG-2) video; transcode other sources first.' },
  EXTENSION_MISMATCH: { code: 'VIGIL-E0304', cause: 'Input or output has no extension, or they differ.', fix: 'Give input and output the same known extension (.mp4, .mov, .mxf, .mkv, .webm).' },
  OUTPUT_NOT_WRITABLE: { code: 'VIGIL-E0305', cause: 'The output directory is missing or read-only.', fix: 'Choose an output directory that exists and that you may write to.' },
  VISIBLE_SETTINGS_INVALID: { code: 'VIGIL-E0306', cause: 'Visible watermark alpha, times or size are out of range.', fix: 'Use alpha 0.01-1.0, times as HH:MM:SS, and an image of at most 5 % of the frame area.' },
  WATERMARK_IMAGE_MISSING: { code: 'VIGIL-E0307', cause: 'The visible watermark image cannot be read.', fix: 'Check the visible watermark image path; it must be a readable PNG or JPEG.' },
  INPUT_TOO_SHORT: { code: 'VIGIL-E0308', cause: 'The input is shorter than 30 seconds.', fix: 'Give an input of at least 30 seconds; shorter clips cannot carry a reliable mark.' },
  KEY_MISSING: { code: 'VIGIL-E0309', cause: 'No watermark key was configured.', fix: 'Create a key with vigil keygen and set VIGIL_WATERMARK_KEY_FILE (or VIGIL_WATERMARK_KEY).' },
  INTERRUPTED: { code: 'VIGIL-E0310', cause: 'The run was stopped (Ctrl-C or SIGTERM) before it finished.', fix: 'Run the command again; no partial output was kept.' },
  RECIPIENT_UNKNOWN: { code: 'VIGIL-E0311', cause: 'A recipient named for an embed has no watermark ID allocated in the database, or is retired.', fix: 'Add the recipient to the catalog and run vigil apply (allocations are recorded there), or name one that is not retired.' },
  MEDIA_FAILED: { code: 'VIGIL-E0312', cause: 'ffmpeg failed while decoding or encoding the media.', fix: 'Read the ffmpeg lines above; check that the input plays (ffprobe FILE), that the disk has room and that ffmpeg has the encoder (ffmpeg -encoders).' },
  KEY_FILE_EXISTS: { code: 'VIGIL-E0313', cause: 'vigil keygen was asked to write a key file that already exists.', fix: 'Keys are never overwritten: choose another --out path (an old key may still be needed to detect older copies).' },
  ORIGINAL_REQUIRED: { code: 'VIGIL-E0314', cause: 'A still image was given to vigil detect without --original.', fix: 'Pass --original with the video or image the screenshot was taken from; one frame needs it for non-blind detection.' },
  RECIPIENT_UNALLOCATED: { code: 'VIGIL-E0315', cause: 'A raw watermark ID given to vigil embed is not allocated to any recipient in the database.', fix: 'Name the recipient instead (after vigil apply has allocated its ID); only benches and test suites may pass --unallocated-lab, and the ledger records such copies as unallocated.' },
  EMBED_JOB_UNKNOWN: { code: 'VIGIL-E0316', cause: 'vigil embed --job names an EmbedJob that is not in the applied catalog (the database).', fix: 'Check the EmbedJob id, add it to the catalog and run vigil apply; embed jobs run from the applied catalog, never from files alone.' },
  // 04xx: monitoring
  FETCH_BLOCKED: { code: 'VIGIL-E0401', cause: 'The crawler refused an address in a private, loopback or link-local range.', fix: 'The address is private, loopback or link-local; pass --allow-private only for tests.' },
  FETCH_FAILED: { code: 'VIGIL-E0402', cause: 'A page or feed could not be fetched.', fix: 'Check that the URL is reachable; Vigil retries on the next round.' },
  SOURCE_CREDENTIAL_REFUSED: { code: 'VIGIL-E0403', cause: "A Site source's apiKeyEnv names a variable outside VIGIL_SOURCE_ENV_PREFIX (default VIGIL_SOURCE_), or one of Vigil's own settings; the crawler did not read it and sent no request.", fix: 'Put the key in a variable that starts with the prefix (e.g. VIGIL_SOURCE_INDEXER_KEY), name that in apiKeyEnv, and run vigil validate.' },
  DOWNLOAD_TOO_LARGE: { code: 'VIGIL-E0404', cause: 'A leaked copy downloaded for watermark detection is larger than its byte bound (a file, or a playlist\'s segments together); the download was stopped and nothing kept.', fix: 'The message names the URL and the bound; give a link to a smaller rendition (a lower HLS/DASH variant, a shorter clip), or raise the bound with vigil detect URL --max-mb.' },
  DOWNLOAD_TOO_SLOW: { code: 'VIGIL-E0405', cause: 'A leaked copy downloaded for watermark detection did not arrive within its time bound (a server that dribbles bytes, or a very large copy on a slow link); the download was stopped.', fix: 'Try another mirror of the leak, or raise the bound with vigil detect URL --max-minutes; the message names the URL and how much had arrived.' },
  PLAYLIST_LOOPS: { code: 'VIGIL-E0406', cause: 'An HLS or DASH playlist loops: a variant or MPD refers back to itself, its segment list repeats, or a live playlist never ends, so it cannot be downloaded as one copy.', fix: 'Nothing was detected; give the link of a finished (VOD) rendition of the video, or the media file itself; the message names the playlist URL at fault.' },
  PLAYLIST_UNREADABLE: { code: 'VIGIL-E0407', cause: 'An HLS or DASH playlist could not be used: not a playlist, no segments, encrypted (EXT-X-KEY, ContentProtection), nested too deeply, more segments than the bound, or a DASH addressing Vigil does not read.', fix: 'Read the reason in the message (it names the playlist URL and the line or element); give the link of another rendition or of the media file itself.' },
  NO_MEDIA_FOUND: { code: 'VIGIL-E0408', cause: 'A link given for watermark detection is a page on which no player names a video (no <video>/<source>, og:video, JSON-LD contentUrl, player iframe one level down, or download link).', fix: 'Open the page in a browser and copy the address of the video itself (the .mp4, .m3u8 or .mpd the player loads, e.g. from the developer tools\' network tab), then detect that link.' },
  COPY_NOT_DETECTABLE: { code: 'VIGIL-E0409', cause: 'A leaked copy does not meet the detection requirements: too short, too small (frame size), no video stream, or not decodable.', fix: 'The message names the requirement and the copy; find a longer or larger copy of the leak (at least the length and frame size named), or the video itself rather than its audio.' },
  FOLLOW_BUDGET_INVALID: { code: 'VIGIL-E0410', cause: 'VIGIL_MONITOR_FOLLOW_LINKS (how many pages a round follows from link lists, series and episode pages) or VIGIL_MONITOR_BROWSER_PAGES (how many pages a round may render in the headless browser) is not a whole number.', fix: 'Set it to a whole number of pages, e.g. VIGIL_MONITOR_FOLLOW_LINKS=40 or VIGIL_MONITOR_BROWSER_PAGES=10 (0 turns it off), or unset it for the default.' },
  BROWSER_UNAVAILABLE: { code: 'VIGIL-E0411', cause: 'VIGIL_MONITOR_BROWSER=1 asks for the headless-browser fallback, but playwright-core or Chromium (VIGIL_MONITOR_CHROMIUM, default /usr/bin/chromium) could not be loaded or started.', fix: 'Install Chromium (Debian: apt-get install -y chromium) and the playwright-core package, or point VIGIL_MONITOR_CHROMIUM at a Chromium binary; or unset VIGIL_MONITOR_BROWSER to crawl without it.' },
  SITEMAP_UNREADABLE: { code: 'VIGIL-E0414', cause: "A Site's sitemap source answered with something that is not a sitemap (neither <urlset> nor <sitemapindex>, not XML) or a gzip sitemap that unpacks past its bound (50 MB, the protocol's own limit).", fix: 'Open the URL the message names in a browser: point the source at the sitemap itself (often /sitemap.xml, /sitemap_index.xml or the Sitemap: line of /robots.txt), or use a web source for that site.' },
  TORRENT_UNREADABLE: { code: 'VIGIL-E0415', cause: "A suspect's torrent link did not give usable metadata: the .torrent is not valid bencode (truncated, nested too deep, too many values, absurd lengths), has no info dictionary or name, or the magnet link names no file.", fix: 'Nothing to change in the catalog: the suspect stays in the review queue with this reason; check the link the message names by hand, or rely on the indexer\'s other links for the same release.' },
  // 05xx: enforcement
  NOTICE_SENDER_MISSING: { code: 'VIGIL-E0501', cause: 'A takedown notice was asked for under a Policy that names no notice sender, so the notice would carry no signature and no contact for the complaining party (17 U.S.C. 512(c)(3)(A)(i) and (iv)).', fix: 'Add spec.noticeSender to the Policy file named in the message, with at least name and email (and address and phone, which a complete notice needs), then run vigil apply.' },
  NOTICE_INCOMPLETE: { code: 'VIGIL-E0502', cause: 'A composed takedown notice lacks an element that 17 U.S.C. 512(c)(3) requires (signature, the work, the infringing material and where it is, contact details, the good-faith statement, the accuracy and authority statement); it was not sent.', fix: 'Add what the message names (usually spec.noticeSender.address, a postal address, in the Policy file), run vigil apply, and send again.' },
  RDAP_FAILED: { code: 'VIGIL-E0503', cause: "The RDAP bootstrap (VIGIL_RDAP_BOOTSTRAP) could not be read, or an RDAP server's answer could not be used (unreachable, too slow, too large, not RDAP JSON).", fix: 'Check that VIGIL_RDAP_BOOTSTRAP names a readable file or URL in IANA\'s bootstrap format (dns.json, ipv4.json, ipv6.json) and that the RDAP server named in the message answers; the lookup is tried again when its cached answer expires.' },
  CONTACT_PRIVATE_ADDRESS: { code: 'VIGIL-E0504', cause: 'An abuse contact found through RDAP (an e-mail domain, a form or registrar URL) resolves to a private, loopback or link-local address, so no notice is sent to it.', fix: 'Nothing is sent to that contact; give the Site its own takedown contact in the catalog (spec.takedown.email or formUrl) and apply the catalog, or report the bad RDAP record to its registry.' },
  NOTICE_ADDRESS_INVALID: { code: 'VIGIL-E0505', cause: 'A takedown notice was to go to an address that cannot be a mail address (a line break, no or several @, no real domain), so it was refused before any connection.', fix: 'Correct the takedown email of the Site in the catalog (or the abuse contact named in the message) to one plain address such as abuse@example.com, then send again.' },
  CHANNEL_NOT_CONFIGURED: { code: 'VIGIL-E0506', cause: 'A notice channel was asked for whose settings are missing or unusable (e-mail without VIGIL_SMTP_URL, a contact with neither e-mail nor form).', fix: 'Set the environment variable named in the message (see Configuration in README.md), or give the Site a takedown email or formUrl in the catalog.' },
  COUNTER_NOTICE_DATE_INVALID: { code: 'VIGIL-E0513', cause: 'vigil counter-notice was given a receipt day (--received) that is not a calendar date (yyyy-MM-dd), is after today, or is before the takedown notice it answers went out.', fix: 'Give --received as the yyyy-MM-dd day the counter-notice arrived (e.g. --received 2026-11-20); it cannot be later than today or earlier than the notice (vigil findings --link URL shows the finding).' },
  COUNTER_NOTICE_NOT_TAKEN_DOWN: { code: 'VIGIL-E0514', cause: 'A counter-notice was recorded for a finding whose takedown notice never went out (its takedown is Available, Takedown requested, Ignore or Failed before any notice), so there is nothing it could answer.', fix: 'Check the finding id in the counter-notice (vigil findings --takedown "In Progress" --takedown Complete lists the links taken down); record it against the finding whose notice it answers.' },
  ALLOW_LIST_PROPOSAL_FAILED: { code: 'VIGIL-E0515', cause: 'The catalog pull request that adds an ignored host to the allow-list (sites/allow-HOST.yaml) could not be opened: GitHub refused a call, or the generated Site did not validate.', fix: 'Read the GitHub answer named in the message (the App needs contents and pull-request write access on VIGIL_CATALOG_REPO); the proposal stays recorded and is opened again at the next Ignore of that host.' },
  EVIDENCE_PACK_EXISTS: { code: 'VIGIL-E0519', cause: 'vigil evidence was to write its pack over a file that already exists (a pack handed to a lawyer or a platform must not be replaced by accident).', fix: 'Choose another --out FILE.zip, move the old pack away, or pass --force to replace it.' },
  EVIDENCE_OUT_UNWRITABLE: { code: 'VIGIL-E0520', cause: 'The folder an evidence pack was to be written to does not exist or cannot be written.', fix: 'Give --out a FILE.zip in a folder that exists and that you may write to (the pack is written as FILE.zip.tmp there, then renamed).' },
  EVIDENCE_UPLOAD_FAILED: { code: 'VIGIL-E0521', cause: "An evidence pack was built but Slack's file upload refused it (files.getUploadURLExternal, the upload URL, or files.completeUploadExternal).", fix: 'Read the Slack error in the message (not_in_channel: invite the bot to the channel; missing_scope: add files:write to the app and reinstall it); press Evidence again, or build the pack with vigil evidence FINDING.' },
  // 06xx: edge and sessions
  PACKAGE_OUT_EXISTS: { code: 'VIGIL-E0630', cause: 'vigil package was to write an A/B package into a folder that already exists and is not empty (a package the edge may be serving must not be replaced by accident).', fix: 'Give --out a new folder (the package is written beside it as a hidden temp folder and renamed into place at the end), or remove the old package first.' },
  PACKAGE_SEGMENTS_INVALID: { code: 'VIGIL-E0631', cause: 'vigil package cannot cut the title into A/B segments as asked: --segment-seconds is not a number from 0.5 to 30, is not a whole number of frames at the source frame rate, or the title is shorter than one segment.', fix: 'Give --segment-seconds as a length that is a whole number of frames (e.g. 4 at 25 or 30 fps, 2 at 23.976 fps only with --segment-seconds 2.002), or package a longer title; the message names the input and its frame rate.' },
  PACKAGE_VARIANTS_DIVERGE: { code: 'VIGIL-E0632', cause: 'The A and B encodes of a package did not agree where they must (the initialisation segment, or the segment list and durations), so the edge could not mix their segments in one session; nothing was written.', fix: 'This is an encoder problem, not an input one: the message names the file that differs; run again, and report it with VIGIL_LOG_LEVEL=debug if it persists.' },
  PACKAGE_UNREADABLE: { code: 'VIGIL-E0633', cause: 'A folder given as an A/B package (vigil detect --package DIR) is not one: no vigil-package.json, a manifest field that does not check, or a segment, init or sidecar file it lists is missing.', fix: 'Point --package at the folder vigil package --out wrote (it holds vigil-package.json, A/ and B/); the message names the file or field at fault.' },
  PACKAGE_CONTENT_UNKNOWN: { code: 'VIGIL-E0634', cause: 'vigil package --content names a Content that is not in the applied catalog, so the package could not be recorded against it.', fix: 'Check the id (metadata.id of a Content document), run vigil apply if it was only just added, or leave --content out to package an uncatalogued title.' },
} as const;

export type ErrorName = keyof typeof ERROR_CODES;

/** The documentation table (docs/errors.md) as generated from ERROR_CODES; a test keeps the file equal to it. */
export function errorTableMarkdown(): string {
  const rows = Object.entries(ERROR_CODES).map(([name, e]) => `| ${e.code} | ${name} | ${e.cause} | ${e.fix} |`);
  return [
    '# Error codes',
    '',
    'Every error Vigil reports to a person carries a stable code, printed as `error VIGIL-Exxxx: message`',
    'followed by `fix: …`. Codes are defined once in `core/errors.ts`; this file is generated from them',
    '(`npm run docs:errors`) and a test fails when the two differ.',
    '',
    '| code | name | cause | fix |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

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
