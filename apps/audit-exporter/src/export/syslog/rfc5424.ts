/**
 * RFC 5424 syslog messages and RFC 5425 octet-counting frames, hand-written: the format is a dozen lines of grammar,
 * and the npm syslog clients either speak RFC 3164, frame with newlines (which a JSON MSG may break) or own their
 * socket (this sink owns its TLS socket to decide what "delivered" means).
 */
import type { OcsfEvent } from '../ocsf';

/** RFC 5424 facility 13: log audit. */
export const FACILITY_LOG_AUDIT = 13;

export interface SyslogHeader {
  /** HOSTNAME: printable US-ASCII, ≤ 255. */
  hostname: string;
  /** APP-NAME: ≤ 48. */
  appName: string;
  /** PROCID: ≤ 128. */
  procId: string;
  /** The SD-ID of the structured data element, `name@PEN`. */
  sdId: string;
}

/** Severity from OCSF severity_id: Informational → 6 info, Low/Medium → 4 warning, High and above → 3 error. */
export function syslogSeverity(severityId: number): number {
  if (severityId >= 4) return 3;
  if (severityId >= 2) return 4;
  return 6;
}

/** A header field: printable US-ASCII (33..126) only, cut to `max`, "-" (the NILVALUE) when empty. */
export function headerField(text: string, max: number): string {
  const printable = text.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** An SD-PARAM value: `"`, `\` and `]` escaped with a backslash (RFC 5424 §6.3.3). */
export function sdValue(text: string): string {
  return text.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** JSON with every non-ASCII character escaped, so the MSG is plain US-ASCII and needs no BOM. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** An SD-NAME may not hold '=', ' ', ']' or '"' (RFC 5424 §6.3.2). */
function sdName(text: string): string {
  return headerField(text.replace(/[= \]"]/g, ''), 32);
}

/**
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`: PRI from facility 13 and the event's severity, the
 * event time in UTC with milliseconds, MSGID `ocsf-<class_uid>`, one SD element with the Closeout event id, store
 * position, OCSF type and case id, and the OCSF JSON as MSG.
 */
export function formatRfc5424(ocsf: OcsfEvent, header: SyslogHeader): string {
  const severity = syslogSeverity(typeof ocsf['severity_id'] === 'number' ? ocsf['severity_id'] : 1);
  const pri = FACILITY_LOG_AUDIT * 8 + severity;
  const unmapped = (ocsf['unmapped'] ?? {}) as { case_id?: string | null };
  const params: [string, string][] = [
    ['eventId', ocsf.metadata.uid],
    ['seq', String(ocsf.metadata.sequence)],
    ['typeUid', String(ocsf.type_uid)],
  ];
  if (unmapped.case_id) params.push(['caseId', unmapped.case_id]);
  const sd = `[${sdName(header.sdId)} ${params.map(([k, v]) => `${k}="${sdValue(v)}"`).join(' ')}]`;
  return [
    `<${pri}>1`,
    new Date(ocsf.time).toISOString(),
    headerField(header.hostname, 255),
    headerField(header.appName, 48),
    headerField(header.procId, 128),
    headerField(`ocsf-${ocsf.class_uid}`, 32),
    sd,
    asciiJson(ocsf),
  ].join(' ');
}

/** RFC 5425 §4.3 octet-counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN in octets. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** Splits a stream of octet-counted frames (the receiving side, for tests); `rest` is an incomplete last frame. */
export function readOctetFrames(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(buffer.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) throw new Error(`bad MSG-LEN at offset ${at}`);
    if (space + 1 + len > buffer.length) break;
    messages.push(buffer.subarray(space + 1, space + 1 + len).toString('utf8'));
    at = space + 1 + len;
  }
  return { messages, rest: buffer.subarray(at) };
}
