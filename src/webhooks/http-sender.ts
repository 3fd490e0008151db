/**
 * One webhook POST. Success is a 2xx within the connect and read timeouts; everything else —
 * other statuses (redirects are never followed), DNS/connect/TLS/reset errors, timeouts and a
 * target refused by target safety — is a failed attempt with an error class for the log.
 */
import { Agent, request } from 'undici';
import { checkTargetUrl, safeLookup, TargetRefused, type TargetPolicy } from './target-safety.ts';

export type ErrorClass = 'dns' | 'connect' | 'timeout' | 'tls' | 'reset' | 'http-status' | 'blocked';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  errorClass: ErrorClass | null;
  error: string | null;
  durationMs: number;
  /** The first RESPONSE_EXCERPT_BYTES of the response body, as text (for the attempt log). */
  responseExcerpt?: string | null;
  /** The Retry-After header of a 429 or 503, as sent. */
  retryAfter?: string | null;
}

export interface SendRequest {
  url: string;
  body: string;
  contentType: string;
  headers: Record<string, string>;
  /** A notification profile's own timeouts; the configured ones otherwise. */
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

export interface SenderOptions {
  policy: TargetPolicy;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

/**
 * The longest one attempt may take in total. The read timeout bounds only the silence between
 * packets, so a receiver trickling bytes could otherwise outlive the delivery's lease.
 */
export const maxAttemptMs = (o: Pick<SenderOptions, 'connectTimeoutMs' | 'readTimeoutMs'>) => o.connectTimeoutMs + 2 * o.readTimeoutMs;

const RESPONSE_EXCERPT_BYTES = 4096;

/** The first RESPONSE_EXCERPT_BYTES as text; a multi-byte character cut at the end is dropped. */
function excerpt(chunks: Buffer[]): string {
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes, { stream: true }).replaceAll('\u0000', '');
}

/** Which kind of network failure an undici error is (shared with the OAuth token client). */
export function classifyNetworkError(error: unknown): { errorClass: ErrorClass; message: string } {
  let e = error as { code?: string; name?: string; message?: string; cause?: unknown } | undefined;
  // undici wraps the socket error; the useful code is usually on the cause.
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof TargetRefused) return { errorClass: e.reason === 'dns' ? 'dns' : 'blocked', message: e.message };
    const code = e.code ?? '';
    const message = e.message ?? String(e);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { errorClass: 'dns', message };
    if (['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ABORT_ERR'].includes(code) || e.name === 'TimeoutError') {
      return { errorClass: 'timeout', message };
    }
    if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate|SSL|TLS/i.test(message)) return { errorClass: 'tls', message };
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { errorClass: 'connect', message };
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return { errorClass: 'reset', message };
    if (!e.cause) return { errorClass: 'connect', message };
    e = e.cause as typeof e;
  }
  return { errorClass: 'connect', message: String(error) };
}

export class HttpSender {
  /** One connection pool per connect timeout (undici sets it per pool, not per request). */
  private readonly agents = new Map<number, Agent>();

  constructor(private readonly options: SenderOptions) {}

  private agentFor(connectTimeoutMs: number): Agent {
    let agent = this.agents.get(connectTimeoutMs);
    if (!agent) {
      agent = new Agent({
        connect: { timeout: connectTimeoutMs, lookup: safeLookup(this.options.policy) },
        headersTimeout: this.options.readTimeoutMs,
        bodyTimeout: this.options.readTimeoutMs,
        keepAliveTimeout: 4_000,
      });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }

  async send(req: SendRequest, startedAt: number = performance.now()): Promise<SendResult> {
    const elapsed = () => Math.round(performance.now() - startedAt);
    try {
      // Literal IP hosts never reach the lookup hook, so they are checked here, every time.
      checkTargetUrl(req.url, this.options.policy);
      const timeouts = { connectTimeoutMs: req.connectTimeoutMs ?? this.options.connectTimeoutMs, readTimeoutMs: req.readTimeoutMs ?? this.options.readTimeoutMs };
      const response = await request(req.url, {
        method: 'POST',
        dispatcher: this.agentFor(timeouts.connectTimeoutMs),
        headersTimeout: timeouts.readTimeoutMs,
        bodyTimeout: timeouts.readTimeoutMs,
        signal: AbortSignal.timeout(maxAttemptMs(timeouts)),
        body: req.body,
        headers: { 'content-type': req.contentType, 'user-agent': 'Hookline-Webhooks/1', ...req.headers },
      });
      // Read at most a small excerpt; a receiver's large answer must not cost us memory.
      const chunks: Buffer[] = [];
      let read = 0;
      for await (const chunk of response.body) {
        chunks.push(chunk as Buffer);
        read += (chunk as Buffer).length;
        if (read >= RESPONSE_EXCERPT_BYTES) {
          response.body.destroy();
          break;
        }
      }
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      const retryAfter = response.statusCode === 429 || response.statusCode === 503 ? response.headers['retry-after'] : undefined;
      return {
        ok,
        statusCode: response.statusCode,
        errorClass: ok ? null : 'http-status',
        error: ok ? null : `HTTP ${response.statusCode}`,
        durationMs: elapsed(),
        responseExcerpt: read === 0 ? null : excerpt(chunks),
        retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
      };
    } catch (error) {
      const { errorClass, message } = classifyNetworkError(error);
      return { ok: false, statusCode: null, errorClass, error: message.slice(0, 500), durationMs: elapsed() };
    }
  }

  /** Closes idle connections; with `abort`, also cuts requests still in flight. */
  async close(abort = false): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => (abort ? agent.destroy() : agent.close())));
  }
}
