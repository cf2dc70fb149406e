/**
 * Proving who the customer is, per the method the workflow and its actions ask: a one-time code sent through
 * messaging, and/or the known facts the mini-app holds as salted hashes. Each check gets MAX_WRONG_TRIES; a try is
 * reserved (counted as wrong) before it is checked and given back when right, so parallel guesses are never more than
 * five. The fifth wrong one locks the session, revokes the case's links and publishes `identity.locked`, which the
 * orchestrator routes to the exception queue. Codes and answers are never logged or audited.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { insertOutboxMessages, outboxRowsParam } from '@closeout/outbox';
import {
  KNOWN_FACT_NAMES,
  KnownFactFormatError,
  normalizeKnownFact,
  verifyKnownFact,
  type HashedKnownFact,
  type KnownFactName,
} from '@closeout/privacy';
import { buildAuditMessage } from '@closeout/audit';
import { MessagingClient, type CodeSent } from '../clients/messaging.client';
import { revokeCaseLinks } from '../links/link-events';
import { publishAction } from '../actions/publish-action';
import type { SessionRow } from '../sessions/session-store';
import type { MiniAppSettings } from '../settings';
import { MINIAPP_SETTINGS } from '../tokens';
import { MAX_WRONG_TRIES } from './identity-method';
import { CODE_VALID_MS, codeHmac, newCode, normalizeCode, sameHmac } from './one-time-code';
import { rowsOf } from '../persistence/rows';
import { outboxCte } from '../persistence/outbox-cte';

/** Codes a session may ask for (messaging allows 5 per link per hour besides). */
export const MAX_CODES_PER_SESSION = 5;

export type Check = 'otp' | 'knownFact';

export type CheckOutcome =
  | { kind: 'verified' }
  | { kind: 'wrong'; triesLeft: number }
  | { kind: 'locked' }
  | { kind: 'invalid'; errors: Array<{ field: string; rule: string }> };

export type SendOutcome = { kind: 'sent'; sent: CodeSent } | { kind: 'too-many' };

@Injectable()
export class IdentityService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(MINIAPP_SETTINGS) private readonly settings: MiniAppSettings,
    private readonly messaging: MessagingClient,
  ) {}

  /**
   * A new code (the session's earlier ones no longer count), sent by messaging on the link's channel. The count, the
   * voiding of the earlier codes, the new code and its audit event are one statement.
   */
  async sendCode(session: SessionRow): Promise<SendOutcome> {
    const code = newCode();
    const audit = buildAuditMessage(this.settings.serviceName, {
      actor: { type: 'CUSTOMER', id: session.ref },
      action: 'miniapp.otp-issued',
      outcome: 'PENDING',
      reason: 'a one-time code was issued for the session and handed to messaging to send',
      correlationId: session.correlationId,
      caseId: session.caseId,
      references: { sessionRef: session.ref },
    });
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH issued AS (SELECT count(*)::int AS n FROM one_time_code WHERE session_ref = $1),
       voided AS (
         UPDATE one_time_code SET used_at = now()
          WHERE session_ref = $1 AND used_at IS NULL AND (SELECT n FROM issued) < $4
          RETURNING id),
       created AS (
         INSERT INTO one_time_code (session_ref, code_hmac, expires_at)
         SELECT $1, $2, now() + make_interval(secs => $3) WHERE (SELECT n FROM issued) < $4
         RETURNING id),
       ${outboxCte('audited', 5, 'created')}
       SELECT id FROM created`,
      [
        session.ref,
        codeHmac(this.settings.otpKey, session.ref, code),
        CODE_VALID_MS / 1000,
        MAX_CODES_PER_SESSION,
        outboxRowsParam([audit]),
      ],
    );
    const inserted = rows[0]?.id;
    if (inserted === undefined) return { kind: 'too-many' };
    try {
      return { kind: 'sent', sent: await this.messaging.sendOneTimeCode(session.tokenSha256, code) };
    } catch (error) {
      // Not sent: the code must not be usable.
      await this.db.query(`UPDATE one_time_code SET used_at = now() WHERE id = $1 AND used_at IS NULL`, [
        inserted,
      ]);
      throw error;
    }
  }

  /** Whether a code is live for the session (sent and neither used nor expired). */
  async codeLive(session: SessionRow): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM one_time_code WHERE session_ref = $1 AND used_at IS NULL AND expires_at > now() LIMIT 1`,
      [session.ref],
    );
    return rows.length > 0;
  }

  /**
   * One statement takes the try and reads the live code; when the code matches (compared here, in constant time), one
   * more uses it, gives the try back, records the check and writes its audit event.
   */
  async checkCode(session: SessionRow, input: string): Promise<CheckOutcome> {
    const code = normalizeCode(input);
    if (code === undefined) return { kind: 'invalid', errors: [{ field: 'code', rule: 'must be 6 digits' }] };
    const rows: Array<{ used: number; id: string | null; code_hmac: string | null }> = await this.db.query(
      `WITH reserved AS (
         UPDATE session SET otp_failures = otp_failures + 1
          WHERE id_sha256 = $1 AND status = 'ACTIVE' AND otp_failures < $2 RETURNING otp_failures AS used)
       SELECT reserved.used, live.id, live.code_hmac
         FROM reserved LEFT JOIN LATERAL (
           SELECT id, code_hmac FROM one_time_code
            WHERE session_ref = $3 AND used_at IS NULL AND expires_at > now()
            ORDER BY id DESC LIMIT 1) live ON true`,
      [session.idSha256, MAX_WRONG_TRIES, session.ref],
    );
    const reserved = rows[0];
    if (reserved === undefined) return { kind: 'locked' };
    const expected = codeHmac(this.settings.otpKey, session.ref, code);
    const right =
      reserved.id !== null &&
      reserved.code_hmac !== null &&
      sameHmac(reserved.code_hmac, expected) &&
      (await this.passed(session, 'otp', reserved.id));
    return right ? { kind: 'verified' } : this.wrong(session, 'otp', reserved.used);
  }

  /** The facts the mini-app holds for the customer (names only), in a stable order. */
  async factsHeld(customerId: string): Promise<KnownFactName[]> {
    const rows: Array<{ name: KnownFactName }> = await this.db.query(
      `SELECT name FROM known_fact WHERE customer_id = $1`,
      [customerId],
    );
    const held = new Set(rows.map((r) => r.name));
    return KNOWN_FACT_NAMES.filter((n) => held.has(n));
  }

  /** Every held fact must be answered and match; a format error names the field and is not a wrong try. */
  async checkFacts(session: SessionRow, answers: Record<string, string>): Promise<CheckOutcome> {
    const stored: HashedKnownFact[] = await this.db.query(
      `SELECT name, algorithm, salt, hash FROM known_fact WHERE customer_id = $1 ORDER BY name`,
      [session.customerId],
    );
    if (stored.length === 0) return { kind: 'invalid', errors: [{ field: 'facts', rule: 'none held' }] };
    // Format first, for every field, before a try is taken.
    const errors: Array<{ field: string; rule: string }> = [];
    for (const fact of stored) {
      try {
        normalizeKnownFact(fact.name, answers[fact.name] ?? '');
      } catch (error) {
        if (!(error instanceof KnownFactFormatError)) throw error;
        errors.push({ field: fact.name, rule: error.rule });
      }
    }
    if (errors.length > 0) return { kind: 'invalid', errors };
    const reserved = await this.reserveTry(session, 'knownFact');
    if (reserved === undefined) return { kind: 'locked' };
    // Every fact is checked, all at once (scrypt runs on libuv's thread pool), whether or not one fails.
    const matches = await Promise.all(stored.map((fact) => verifyKnownFact(fact, answers[fact.name] ?? '')));
    const right = matches.every(Boolean) && (await this.passed(session, 'knownFact'));
    return right ? { kind: 'verified' } : this.wrong(session, 'knownFact', reserved);
  }

  /** Takes one try of the check: the number of tries used with it, or undefined when the session has none left. */
  private async reserveTry(session: SessionRow, check: Check): Promise<number | undefined> {
    const column = check === 'otp' ? 'otp_failures' : 'fact_failures';
    const rows = await rowsOf<{ used: number }>(
      this.db,
      `UPDATE session SET ${column} = ${column} + 1
        WHERE id_sha256 = $1 AND status = 'ACTIVE' AND ${column} < $2 RETURNING ${column} AS used`,
      [session.idSha256, MAX_WRONG_TRIES],
    );
    return rows[0]?.used;
  }

  /**
   * A right answer, in one statement: the code used (a code check), the try given back and the check recorded unless
   * the session was locked meanwhile, and the audit event with them. False when the session was locked or the code
   * used by a parallel check.
   */
  private async passed(session: SessionRow, check: Check, codeId?: string): Promise<boolean> {
    const [failures, verified] =
      check === 'otp' ? ['otp_failures', 'otp_verified_at'] : ['fact_failures', 'fact_verified_at'];
    const audit = buildAuditMessage(this.settings.serviceName, {
      actor: { type: 'CUSTOMER', id: session.ref },
      action: 'miniapp.identity-verified',
      outcome: 'SUCCESS',
      reason: check === 'otp' ? 'the one-time code matched' : 'the known facts matched',
      correlationId: session.correlationId,
      caseId: session.caseId,
      references: { sessionRef: session.ref, identityMethod: check === 'otp' ? 'OTP' : 'KNOWN_FACT' },
    });
    const rows: unknown[] = await this.db.query(
      `WITH used AS (
         UPDATE one_time_code SET used_at = now()
          WHERE id = $3 AND used_at IS NULL AND expires_at > now() RETURNING id),
       passed AS (
         UPDATE session SET ${failures} = ${failures} - 1, ${verified} = now()
          WHERE id_sha256 = $1 AND status = 'ACTIVE' AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM used))
          RETURNING id_sha256),
       ${outboxCte('audited', 2, 'passed')}
       SELECT id_sha256 FROM passed`,
      [session.idSha256, outboxRowsParam([audit]), codeId ?? null],
    );
    return rows.length > 0;
  }

  private async wrong(session: SessionRow, check: Check, used: number): Promise<CheckOutcome> {
    const method = check === 'otp' ? 'OTP' : 'KNOWN_FACT';
    if (used < MAX_WRONG_TRIES) {
      await insertOutboxMessages(this.db.manager, 'outbox', [
        buildAuditMessage(this.settings.serviceName, {
          actor: { type: 'CUSTOMER', id: session.ref },
          action: 'miniapp.identity-failed',
          outcome: 'DENIED',
          reason: `wrong ${check === 'otp' ? 'one-time code' : 'known facts'}: try ${used} of ${MAX_WRONG_TRIES}`,
          correlationId: session.correlationId,
          caseId: session.caseId,
          references: { sessionRef: session.ref, identityMethod: method },
        }),
      ]);
      return { kind: 'wrong', triesLeft: MAX_WRONG_TRIES - used };
    }
    await this.lock(session, check === 'otp' ? 'otp-attempts' : 'known-fact-attempts', method);
    return { kind: 'locked' };
  }

  /** Locks the session, revokes the case's open links and publishes `identity.locked` once. */
  async lock(
    session: SessionRow,
    reason: 'otp-attempts' | 'known-fact-attempts',
    method: 'OTP' | 'KNOWN_FACT',
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      const locked = await rowsOf(
        tx,
        `UPDATE session SET status = 'LOCKED' WHERE id_sha256 = $1 AND status = 'ACTIVE' RETURNING ref`,
        [session.idSha256],
      );
      if (locked.length === 0) return;
      await revokeCaseLinks(tx, session.caseId, 'identity-locked');
      await publishAction(tx, this.settings.serviceName, {
        session,
        actionId: `identity-locked-${session.ref}`,
        action: 'identity.locked',
        parameters: { reason },
        identityMethod: 'NONE',
        consent: null,
        reason: `${MAX_WRONG_TRIES} wrong ${method === 'OTP' ? 'one-time codes' : 'known-fact answers'}: the session is locked and the case's links revoked`,
      });
    });
  }
}
