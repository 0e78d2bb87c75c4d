/**
 * The Jupyter messaging protocol (v5.3), client side: signed multipart messages, a connection file, and a
 * client that runs code on a kernel over zeromq and collects what the kernel publishes for each request.
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as zmq from 'zeromq';

/** The connection file a kernel is started with. */
export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name: string;
}

/** The header of a protocol message. */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** One protocol message (content is JSON whose shape depends on `header.msg_type`). */
export interface JupyterMessage {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

const DELIMITER = '<IDS|MSG>';
/** The messaging protocol version the kit speaks (tslab's). */
export const PROTOCOL_VERSION = '5.3';

/** HMAC-SHA256 hex signature of the four JSON frames (empty string when the key is empty). */
export function signFrames(key: string, frames: readonly (string | Buffer)[]): string {
  if (!key) return '';
  const h = crypto.createHmac('sha256', key);
  for (const f of frames) h.update(f);
  return h.digest('hex');
}

/** The wire frames of a message: [identities..., '<IDS|MSG>', signature, header, parent, metadata, content]. */
export function encodeMessage(key: string, msg: JupyterMessage, identities: readonly Buffer[] = []): Buffer[] {
  const body = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p)));
  return [...identities, Buffer.from(DELIMITER), Buffer.from(signFrames(key, body)), ...body];
}

/** Parse wire frames, checking the signature; throws on a malformed or wrongly signed message. */
export function decodeMessage(key: string, frames: readonly Buffer[]): JupyterMessage {
  const at = frames.findIndex((f) => f.toString() === DELIMITER);
  if (at < 0 || frames.length < at + 6) throw new Error('malformed Jupyter message: no <IDS|MSG> delimiter or missing frames');
  const signature = frames[at + 1].toString();
  const body = frames.slice(at + 2, at + 6);
  const expected = signFrames(key, body);
  const a = Buffer.from(signature);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) throw new Error('Jupyter message with a wrong signature');
  const [header, parent, metadata, content] = body.map((f) => JSON.parse(f.toString()) as Record<string, unknown>);
  return {
    header: header as unknown as MessageHeader,
    parent_header: parent as Partial<MessageHeader>,
    metadata,
    content,
  };
}

/** A new message of a type, optionally in reply to a parent. */
export function makeMessage(msgType: string, content: Record<string, unknown>, session: string, parent?: MessageHeader): JupyterMessage {
  return {
    header: {
      msg_id: crypto.randomUUID(),
      session,
      username: 'ipa-kit',
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    },
    parent_header: parent ?? {},
    metadata: {},
    content,
  };
}

/** `n` distinct free TCP ports on 127.0.0.1 (held open together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
      ports.push((s.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** A fresh connection description with free ports and a random key. */
export async function newConnectionInfo(kernelName: string): Promise<ConnectionInfo> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  return {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: crypto.randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
  };
}

/** What one `execute_request` produced. */
export interface ExecuteReply {
  status: 'ok' | 'error' | 'abort';
  executionCount: number | null;
  /** The reply's error fields when the kernel sent them (tslab does not: its errors arrive on stderr). */
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** Thrown when a request is abandoned (timeout, dead kernel, closed client). */
export class RequestAbortedError extends Error {
  override name = 'RequestAbortedError';
}

/** How a request handles the messages that answer it. */
export interface ReplyHandler {
  onIopub: (msg: JupyterMessage) => void;
  onReply: (msg: JupyterMessage) => void;
}

interface Pending extends ReplyHandler {
  fail: (err: Error) => void;
}

/** A client of one kernel: shell and control (DEALER) and iopub (SUB) sockets. */
export class KernelClient {
  readonly session = crypto.randomUUID();
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(private readonly info: ConnectionInfo) {
    const url = (port: number) => `${info.transport}://${info.ip}:${port}`;
    this.shell.connect(url(info.shell_port));
    this.control.connect(url(info.control_port));
    this.iopub.connect(url(info.iopub_port));
    this.iopub.subscribe();
    void this.pump(this.shell, 'reply');
    void this.pump(this.control, 'reply');
    void this.pump(this.iopub, 'iopub');
  }

  private async pump(sock: zmq.Dealer | zmq.Subscriber, kind: 'reply' | 'iopub'): Promise<void> {
    try {
      for await (const frames of sock) {
        let msg: JupyterMessage;
        try {
          msg = decodeMessage(this.info.key, frames);
        } catch {
          continue; // not ours or corrupt: ignore, as Jupyter's clients do
        }
        const p = msg.parent_header.msg_id ? this.pending.get(msg.parent_header.msg_id) : undefined;
        if (p) (kind === 'reply' ? p.onReply : p.onIopub)(msg);
      }
    } catch {
      // the socket was closed
    }
  }

  /** Send a request and handle its reply and iopub messages until `done` resolves or the signal aborts. */
  request<T>(
    channel: 'shell' | 'control',
    msgType: string,
    content: Record<string, unknown>,
    handle: (done: (value: T) => void, fail: (err: Error) => void) => ReplyHandler,
    signal?: AbortSignal,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new RequestAbortedError('the kernel client is closed'));
    const msg = makeMessage(msgType, content, this.session);
    const id = msg.header.msg_id;
    return new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        this.pending.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      const done = (v: T) => {
        cleanup();
        resolve(v);
      };
      const fail = (e: Error) => {
        cleanup();
        reject(e);
      };
      const onAbort = () => fail(new RequestAbortedError(String(signal?.reason ?? 'aborted')));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort);
      this.pending.set(id, { ...handle(done, fail), fail });
      const sock = channel === 'shell' ? this.shell : this.control;
      sock.send(encodeMessage(this.info.key, msg)).catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
    });
  }

  /**
   * Wait until the kernel answers on shell and its iopub messages reach us (the subscription is live): repeat
   * `kernel_info_request` until a status message for one of them arrives. Returns the kernel info reply content.
   */
  async waitReady(signal: AbortSignal): Promise<Record<string, unknown>> {
    let info: Record<string, unknown> | null = null;
    let seenIopub = false;
    while (!signal.aborted) {
      const attempt = new AbortController();
      const timer = setTimeout(() => attempt.abort('retry'), 500);
      const onOuter = () => attempt.abort(signal.reason);
      signal.addEventListener('abort', onOuter);
      try {
        await this.request<void>(
          'shell',
          'kernel_info_request',
          {},
          (done) => ({
            onReply: (m) => {
              info = m.content;
              if (seenIopub) done();
            },
            onIopub: () => {
              seenIopub = true;
              if (info) done();
            },
          }),
          attempt.signal,
        );
        return info ?? {};
      } catch (err) {
        if (!(err instanceof RequestAbortedError)) throw err;
        if (info && seenIopub) return info;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onOuter);
      }
    }
    throw new RequestAbortedError(String(signal.reason ?? 'aborted'));
  }

  /**
   * Run code; `onOutput` receives each iopub message of the request (stream, display_data, execute_result,
   * error, clear_output, update_display_data). Resolves once both the reply and the idle status have arrived.
   */
  execute(code: string, onOutput: (msg: JupyterMessage) => void, signal?: AbortSignal): Promise<ExecuteReply> {
    let reply: ExecuteReply | null = null;
    let idle = false;
    const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true };
    return this.request<ExecuteReply>(
      'shell',
      'execute_request',
      content,
      (done) => ({
        onReply: (m) => {
          const c = m.content;
          const status = c.status === 'ok' || c.status === 'abort' ? c.status : 'error';
          reply = {
            status,
            executionCount: typeof c.execution_count === 'number' ? c.execution_count : null,
            ...(typeof c.ename === 'string' ? { ename: c.ename } : {}),
            ...(typeof c.evalue === 'string' ? { evalue: c.evalue } : {}),
            ...(Array.isArray(c.traceback) ? { traceback: c.traceback.map(String) } : {}),
          };
          if (idle) done(reply);
        },
        onIopub: (m) => {
          if (m.header.msg_type === 'status') {
            if (m.content.execution_state === 'idle') {
              idle = true;
              if (reply) done(reply);
            }
            return;
          }
          if (m.header.msg_type !== 'execute_input') onOutput(m);
        },
      }),
      signal,
    );
  }

  /** Ask the kernel to shut down (control channel); resolves on the reply or after `ms`. */
  async shutdown(ms: number): Promise<void> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort('no shutdown reply'), ms);
    try {
      await this.request<void>('control', 'shutdown_request', { restart: false }, (done) => ({ onReply: () => done(), onIopub: () => undefined }), ac.signal);
    } catch {
      // a kernel that does not answer is killed by the caller
    } finally {
      clearTimeout(timer);
    }
  }

  /** Close the sockets; pending requests are rejected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const sock of [this.shell, this.control, this.iopub]) sock.close();
    for (const p of [...this.pending.values()]) p.fail(new RequestAbortedError('the kernel client was closed'));
    this.pending.clear();
  }
}
